"""Locust load for the cluster smoke run (deploy/smoke/cluster_smoke.py starts it headless).

Every request goes to one of the web nodes at random, as a balancer without health checks would
send it, so the requests that reach a node while it is down are seen and can be told apart.
The driver writes SMOKE_CONFIG (nodes, tokens, sessions, subjects); this file appends one JSON
line per request to SMOKE_REQUEST_LOG and one per accepted item to SMOKE_ACCEPTED_LOG.
"""

import itertools
import json
import os
import random
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from locust import HttpUser, between, events, task

CONFIG = json.loads(Path(os.environ["SMOKE_CONFIG"]).read_text())
NODES: list[str] = CONFIG["nodes"]
ROWS_PER_POST = int(CONFIG.get("rows_per_post", 20))
IMPORT_AFTER = float(CONFIG.get("import_after", 15))
# Behind the TLS-terminating balancer: without it production settings redirect to https. A
# connection per request: one kept alive to a killed node fails after it is back, which is
# the client's pool, not the node.
PROXY = {"X-Forwarded-Proto": "https", "Connection": "close"}

_log_lock = threading.Lock()
_request_log = open(os.environ["SMOKE_REQUEST_LOG"], "a", buffering=1)  # noqa: SIM115
_accepted_log = open(os.environ["SMOKE_ACCEPTED_LOG"], "a", buffering=1)  # noqa: SIM115
_started = time.time()
_import_sent = threading.Event()


def _keys():
    """Measurement keys no one posted before: every (metric, start, length) in the pilot's
    window, each once, so a stored row can be matched to the one post that carried it."""
    first = date.fromisoformat(CONFIG["pilot_started_on"])
    last = date.fromisoformat(CONFIG["last_day"])
    span = (last - first).days
    # Never 7 days: imports derive weekly rows, and a key of their own keeps the check exact.
    for length in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13):
        for offset in range(span - length + 1):
            start = first + timedelta(days=offset)
            for metric in CONFIG["metrics"]:
                yield metric, start, start + timedelta(days=length - 1)


_key_source = _keys()
_key_lock = threading.Lock()
_serial = itertools.count(1)


def _next_rows(n: int) -> list[dict]:
    rows = []
    with _key_lock:
        for metric, start, end in itertools.islice(_key_source, n):
            rows.append(
                {
                    "pilot": CONFIG["pilot"],
                    "metric": metric,
                    "tier": "",
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                    # A value unique to this row: a stored row proves which post it came from.
                    "value": str(next(_serial)),
                    "sample_size": 10,
                }
            )
    return rows


def _accepted(kind: str, **item) -> None:
    with _log_lock:
        _accepted_log.write(json.dumps({"kind": kind, **item}) + "\n")


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response, exception, context, **kw):
    status = getattr(response, "status_code", 0) or 0
    end = time.time()
    line = {
        "route": name,
        # Named by the caller: a refused connection has no response to read the node from.
        "node": context.get("node", "?"),
        "start": end - response_time / 1000,
        "end": end,
        "ms": round(response_time, 1),
        "status": status if exception is None or status else 0,
        "error": None if exception is None else str(exception)[:200],
        "cause": None if response is None else str(getattr(response, "error", "") or "")[:200],
    }
    with _log_lock:
        _request_log.write(json.dumps(line) + "\n")


class Operator(HttpUser):
    """One person or pipeline: telemetry posts, page views of a role, packet requests."""

    wait_time = between(0.2, 1.0)
    # The host is required by Locust; every request names its node itself.
    host = NODES[0]

    def _node(self) -> str:
        return random.choice(NODES)

    def _call(self, method: str, path: str, **kwargs):
        node = self._node()
        return self.client.request(method, node + path, context={"node": node}, **kwargs)

    def _api(self, role: str) -> dict:
        return {**PROXY, "Authorization": f"Token {CONFIG['tokens'][role]}"}

    @task(5)
    def post_measurements(self) -> None:
        rows = _next_rows(ROWS_PER_POST)
        if not rows:
            return
        headers = {**PROXY, "Authorization": f"Token {CONFIG['service_token']}"}
        with self._call(
            "POST",
            "/api/v1/measurements/bulk/",
            json={"measurements": rows},
            headers=headers,
            name="POST /api/v1/measurements/bulk/",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                _accepted("measurements", rows=rows)
            else:
                response.failure(f"{response.status_code} {response.text[:200]}")

    @task(4)
    def view_page(self) -> None:
        role = random.choice(list(CONFIG["pages"]))
        path = random.choice(CONFIG["pages"][role])
        session = CONFIG["sessions"][role]
        with self._call(
            "GET",
            path,
            headers={**PROXY, "Cookie": f"sessionid={session}"},
            name=f"GET page ({role})",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} on {path}")

    @task(1)
    def request_packet(self) -> None:
        subject = random.choice(CONFIG["packets"])
        with self._call(
            "POST",
            "/api/v1/packets/",
            json={"kind": subject["kind"], "subject_id": subject["subject_id"]},
            headers=self._api(subject["role"]),
            name="POST /api/v1/packets/",
            catch_response=True,
        ) as response:
            if response.status_code in (200, 201):
                _accepted("packet", id=response.json()["id"])
            else:
                response.failure(f"{response.status_code} {response.text[:200]}")

    @task(1)
    def read_packets(self) -> None:
        self._call(
            "GET",
            "/api/v1/packets/?page_size=20",
            headers=self._api("auditor"),
            name="GET /api/v1/packets/",
        )

    @task(1)
    def import_once(self) -> None:
        # One import per run, once the cluster has warmed up; it retries until one is taken.
        if _import_sent.is_set() or time.time() - _started < IMPORT_AFTER:
            return
        _import_sent.set()
        data = Path(CONFIG["import_file"]).read_bytes()
        with self._call(
            "POST",
            "/api/v1/imports/",
            data={"kind": CONFIG["import_kind"]},
            files={"file": (Path(CONFIG["import_file"]).name, data, "text/csv")},
            headers=self._api("platform"),
            name="POST /api/v1/imports/",
            catch_response=True,
        ) as response:
            if response.status_code == 202:
                _accepted("import", id=response.json()["id"])
            else:
                _import_sent.clear()
                response.failure(f"{response.status_code} {response.text[:200]}")
