"""Real Celery workers a test starts for itself: own node name, own queue, the test database.

A test that kills a worker or reads a worker's log cannot share the suite's worker (CI starts
one for the celery_worker tests): it starts its own here as a subprocess (pid recorded, solo pool
so SIGKILL of that pid ends the task it runs), on a queue of its own so no other worker takes its
tasks, against the database pytest-django made (test_<name>), logging JSON lines to a file.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from django.conf import settings
from django.db import connection

from governance.config.celery import app as celery_app
from tests.conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]

# The worker process: Django set up, the render made to hang when asked (a render that is slow
# enough to kill mid-way), then Celery's own worker command line.
_WORKER = """
import os, sys, time
import django

django.setup()
if os.environ.get("TEST_RENDER_HANGS"):
    from governance.services import packets

    def hangs(html):
        time.sleep(3600)

    packets.html_to_pdf = hangs
from governance.config.celery import app

app.worker_main(sys.argv[1:])
"""


def wait_for(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    """Poll until `condition()` is truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        service_missing("a worker of its own needs PostgreSQL (the test database is SQLite)")
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


@dataclass
class Worker:
    """One worker subprocess and its log."""

    name: str
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def lines(self) -> list[dict]:
        """The JSON log lines written so far (the banner and any other text are skipped)."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue
        return found

    def task_lines(self, task_id: str) -> list[dict]:
        """This worker's end-of-task lines (logger tollgate.task) for one task id."""
        return [
            line
            for line in self.lines()
            if line.get("logger") == "tollgate.task" and line.get("task_id") == task_id
        ]

    def kill(self) -> None:
        """SIGKILL, by pid: no warm shutdown, no acknowledgement, what a lost machine does."""
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop it if it still runs: SIGTERM (warm shutdown), SIGKILL after 30 s."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


@dataclass
class Workers:
    """Starts workers on one queue of the test's own and stops them all at the end."""

    directory: Path
    queue: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:12]}")
    started: list[Worker] = field(default_factory=list)

    def start(self, label: str, *, env: dict[str, str] | None = None) -> Worker:
        """Start a worker named `label`-<random>@<host> and wait until it answers a ping."""
        name = f"{label}-{uuid.uuid4().hex[:8]}@{os.uname().nodename}"
        log = self.directory / f"worker-{label}.log"
        environment = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "TOLLGATE_LOG_FORMAT": "json",
            **(env or {}),
        }
        argv = ["worker", "--pool=solo", "--loglevel=INFO", "-n", name, "-Q", self.queue]
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
                [sys.executable, "-c", _WORKER, *argv],
                cwd=ROOT,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(name=name, process=process, log=log)
        self.started.append(worker)

        def answers() -> bool:
            if process.poll() is not None:
                pytest.fail(f"worker {name} exited:\n{log.read_text(errors='replace')[-4000:]}")
            return bool(celery_app.control.ping(destination=[name], timeout=0.5))

        wait_for(answers, timeout=90, what=f"worker {name} to answer a ping")
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()
        # What is left on the test's queue (nothing, when all went well) goes with it.
        if urlparse(settings.CELERY_BROKER_URL).scheme.startswith("redis"):
            with celery_app.connection_for_write() as conn:
                conn.default_channel.client.delete(self.queue, f"_kombu.binding.{self.queue}")


def route_to(monkeypatch, queue: str, *task_names: str) -> None:
    """Send these tasks to `queue` (where only the test's workers listen) for this test."""
    for task_name in task_names:
        task = celery_app.tasks[task_name]
        monkeypatch.setattr(task, "queue", queue, raising=False)
        monkeypatch.setattr(task, "_exec_options", None)  # Celery caches the options


def own_workers(directory: Path) -> Iterator[Workers]:
    """For a fixture: real workers of the test's own, stopped after it (broker and PostgreSQL
    needed: skipped on a laptop without them, failed under CI)."""
    broker = settings.CELERY_BROKER_URL
    if not broker:
        service_missing("CELERY_BROKER_URL is not set; a test worker needs a broker")
    url = urlparse(broker)
    try:
        socket.create_connection((url.hostname, url.port or 6379), timeout=2).close()
    except OSError as exc:
        service_missing(f"broker {url.hostname}:{url.port} unreachable: {exc}")
    _database_url()
    workers = Workers(directory=directory)
    try:
        yield workers
    finally:
        workers.stop_all()
