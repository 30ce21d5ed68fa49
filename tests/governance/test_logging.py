"""Logs: a request id on every response, carried into tasks; JSON lines with who, what, how long."""

import io
import json
import logging
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from logging.config import dictConfig

import pytest
from django.core.exceptions import ImproperlyConfigured

from governance.config import logging as context
from governance.config.celery import carry_request_id
from governance.config.logging import REQUEST_ID_TASK_HEADER, logging_config, safe_request_id
from governance.models import WorkerHeartbeat
from governance.tasks import heartbeat
from tests.governance.test_settings import ROOT
from tests.governance.workers import own_workers, route_to, wait_for

FRESH_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def workers(tmp_path, transactional_db):
    """Real workers of this test's own (see tests/governance/workers.py)."""
    yield from own_workers(tmp_path)


@pytest.fixture
def json_lines(settings):
    """Log through the project's JSON configuration into a buffer; returns a reader of lines."""
    buffer = io.StringIO()
    config = logging_config(log_format="json", level="INFO")
    config["handlers"]["console"]["stream"] = buffer
    dictConfig(config)

    def read(logger: str | None = None) -> list[dict]:
        lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
        return [line for line in lines if logger is None or line["logger"] == logger]

    yield read
    dictConfig(settings.LOGGING)


# --- the request id header -------------------------------------------------------------------


@pytest.mark.django_db
def test_every_response_carries_a_fresh_request_id(client):
    first, second = client.get("/healthz"), client.get("/accounts/login/")
    assert FRESH_ID.fullmatch(first["X-Request-ID"])
    assert FRESH_ID.fullmatch(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
def test_a_redirect_and_a_404_carry_one_too(client):
    assert client.get("/pilots/")["X-Request-ID"]  # to the sign-in page
    assert client.get("/no-such-page/")["X-Request-ID"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming", ["0f9c2f7a-5d1e-4c1b-9a8e-3f1d2c3b4a59", "lb-1.abc_DEF:42", "a" * 128]
)
def test_a_safe_incoming_request_id_is_kept(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert response["X-Request-ID"] == incoming


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming",
    [
        "a" * 129,  # too long
        "",
        "has space",
        "x\r\nSet-Cookie: a=b",  # header injection
        '"quoted"',
        "ünïcode",
        "-starts-with-a-dash",
        "<script>",
    ],
)
def test_an_unsafe_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert FRESH_ID.fullmatch(response["X-Request-ID"])


def test_the_id_rule_is_bounded_and_plain():
    assert safe_request_id("abc") == "abc"
    assert safe_request_id("a" * 129) is None
    assert safe_request_id(None) is None
    assert safe_request_id(b"abc") is None


# --- the request line ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_writes_one_json_line_with_route_user_status_and_duration(
    api_as, platform, json_lines
):
    response = api_as(platform).get(
        "/api/v1/heartbeats/?secret=hunter2", headers={"X-Request-ID": "req-1"}
    )
    assert response.status_code == 200
    (line,) = json_lines("tollgate.request")
    assert line["request_id"] == response["X-Request-ID"] == "req-1"
    assert line["user"] == "platform"
    assert line["route"] == "api-heartbeats"  # the URL pattern's name, not the path
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["time"]
    assert line["task_id"] is None and line["task_name"] is None
    # The raw path (and its query string, which may hold secrets) is not logged.
    assert "/api/v1/heartbeats" not in json.dumps(line)
    assert "hunter2" not in json.dumps(line)


@pytest.mark.django_db
def test_an_anonymous_or_unmatched_request_is_logged_without_user_or_route(client, json_lines):
    response = client.get("/no-such-page/")
    (line,) = json_lines("tollgate.request")
    assert (line["status"], line["user"], line["route"]) == (404, None, None)
    assert line["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_lines_logged_while_serving_a_request_carry_its_id(client, json_lines):
    response = client.get("/no-such-page/?token=hunter2", headers={"X-Request-ID": "req-inside"})
    # Django's own warning about the 404, written while the request was served.
    (django_line,) = json_lines("django.request")
    assert django_line["request_id"] == response["X-Request-ID"] == "req-inside"
    assert django_line["status_code"] == 404
    assert "request" not in django_line  # its repr carries the query string
    assert "hunter2" not in json.dumps(json_lines())
    assert context.request_id.get() is None  # reset once the request is done


def _log_format(module: str = "settings_production", **env: str) -> subprocess.CompletedProcess:
    """The log format a settings module picks from this environment (in a fresh process)."""
    environment = {k: v for k, v in os.environ.items() if k != "TOLLGATE_LOG_FORMAT"}
    environment.update(env, SECRET_KEY="x" * 50, ALLOWED_HOSTS="tollgate.example.com")
    code = (
        f"from governance.config import {module} as s; "
        "print(s.LOGGING['handlers']['console']['formatter'])"
    )
    return subprocess.run(  # noqa: S603 - our interpreter, a fixed program
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_text_is_the_default_and_json_is_production_s():
    assert _log_format("settings").stdout.strip() == "text"  # make run, make test
    assert _log_format().stdout.strip() == "json"
    assert _log_format(TOLLGATE_LOG_FORMAT="text").stdout.strip() == "text"
    refused = _log_format(TOLLGATE_LOG_FORMAT="yaml")
    assert refused.returncode != 0
    assert "TOLLGATE_LOG_FORMAT must be one of text, json, not 'yaml'" in refused.stderr


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ImproperlyConfigured, match="must be one of text, json, not 'xml'"):
        logging_config(log_format="xml", level="INFO")


def test_text_lines_name_the_request_and_task(settings):
    buffer = io.StringIO()
    config = logging_config(log_format="text", level="INFO")
    config["handlers"]["console"]["stream"] = buffer
    dictConfig(config)
    token = context.request_id.set("req-text")
    try:
        logging.getLogger("governance.test").info("hello")
    finally:
        context.request_id.reset(token)
        dictConfig(settings.LOGGING)
    assert re.search(r"INFO governance\.test \[req-text\] hello$", buffer.getvalue().strip())


# --- into the tasks a request enqueues -------------------------------------------------------


def test_a_published_task_carries_the_current_request_id():
    headers: dict = {}
    carry_request_id(headers=headers)
    assert headers == {}  # no request, no id
    token = context.request_id.set("req-pub")
    try:
        carry_request_id(headers=headers)
    finally:
        context.request_id.reset(token)
    assert headers == {REQUEST_ID_TASK_HEADER: "req-pub"}


@pytest.mark.django_db
def test_a_task_logs_its_id_name_and_the_request_id_it_came_with(json_lines):
    result = heartbeat.apply(headers={REQUEST_ID_TASK_HEADER: "req-header"})
    (line,) = json_lines("tollgate.task")
    assert line["task_id"] == result.id
    assert line["task_name"] == "governance.tasks.heartbeat"
    assert line["request_id"] == "req-header"
    assert line["state"] == "SUCCESS"
    assert isinstance(line["duration_ms"], float)
    assert context.task_id.get() is None and context.request_id.get() is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_a_request_enqueues_logs_that_request_s_id(api_as, platform, json_lines):
    # transaction=True: the task is queued when the request's transaction commits, inside the
    # request, as in production (and runs eagerly here).
    response = api_as(platform).post("/api/v1/heartbeats/", headers={"X-Request-ID": "req-2"})
    assert response.status_code == 202
    (task_line,) = json_lines("tollgate.task")
    assert task_line["task_id"] == response.json()["task_id"]
    assert task_line["request_id"] == "req-2"
    (request_line,) = json_lines("tollgate.request")
    assert request_line["request_id"] == "req-2"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_logs_the_enqueuing_request_s_id(workers, api_as, platform, monkeypatch):
    worker = workers.start("logs")
    route_to(monkeypatch, workers.queue, "governance.tasks.heartbeat")
    response = api_as(platform).post("/api/v1/heartbeats/", headers={"X-Request-ID": "req-real"})
    assert response.status_code == 202
    task_id = response.json()["task_id"]
    wait_for(
        lambda: WorkerHeartbeat.objects.filter(task_id=task_id).exists(),
        timeout=60,
        what="the worker to run the heartbeat",
    )
    (line,) = wait_for(lambda: worker.task_lines(task_id), timeout=30, what="the task's log line")
    assert line["request_id"] == "req-real"
    assert line["task_name"] == "governance.tasks.heartbeat"
    assert line["state"] == "SUCCESS"
    # Celery's own lines name the task too: "received" before it runs, "succeeded" while it
    # runs, with the request id.
    celery_lines = {
        other["logger"]: other for other in worker.lines() if other.get("task_id") == task_id
    }
    assert celery_lines["celery.worker.strategy"]["task_name"] == "governance.tasks.heartbeat"
    assert celery_lines["celery.app.trace"]["request_id"] == "req-real"


def test_weasyprint_s_noise_about_inline_charts_is_dropped_and_its_other_warnings_kept(
    json_lines,
):
    """Two charts inline in one packet: WeasyPrint warns about their SVG styles and repeated
    ids thousands of times a packet; those go, a duplicate id of the packet's own stays."""
    from governance.charts import metric_chart_svg
    from governance.pdf import html_to_pdf

    def chart(title: str) -> str:
        return metric_chart_svg(
            title=title,
            unit="h",
            points=[(date(2027, 1, 4) + timedelta(days=7 * i), Decimal(10 + i)) for i in range(6)],
            start=date(2027, 1, 1),
            end=date(2027, 2, 28),
            grace_days=0,
            lines=[],
        )

    html_to_pdf(
        f"<html><body><p id='mine'>a</p><p id='mine'>b</p>{chart('One')}{chart('Two')}"
        "</body></html>"
    )
    messages = [line["message"] for line in json_lines("weasyprint")]
    assert messages == ["Anchor defined twice: 'mine'"]
