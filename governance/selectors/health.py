"""Readiness: may this process take traffic? One check per dependency, each named and timed.

/readyz (governance/views/health.py) answers 503 while any check fails. The checks read; the
cache and storage checks write one short-lived key or file, because writable is what matters.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from governance.models import WorkerHeartbeat


@dataclass(frozen=True)
class Check:
    """One dependency's answer: whether it is usable, why not, and how long asking took."""

    name: str
    ok: bool
    detail: str
    ms: float

    def as_dict(self, *, detail: bool) -> dict:
        """The answer as JSON; the detail (hosts, errors) only for those allowed to see it."""
        answer = {"ok": self.ok, "ms": round(self.ms, 1)}
        return {**answer, "detail": self.detail} if detail else answer


def _timed(name: str, probe: Callable[[], str]) -> Check:
    """Run a probe; any exception is the check's failure, in its own words."""
    began = time.perf_counter()
    try:
        detail, ok = probe(), True
    except Exception as error:
        detail, ok = f"{type(error).__name__}: {error}"[:300], False
    return Check(name, ok, detail, (time.perf_counter() - began) * 1000)


def database_check(connection=None) -> Check:
    """The database answers a query."""
    connection = connection or connections[DEFAULT_DB_ALIAS]

    def probe() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return connection.vendor

    return _timed("database", probe)


def migrations_check(connection=None) -> Check:
    """Every migration this release ships is applied (a node of a newer release waits)."""
    connection = connection or connections[DEFAULT_DB_ALIAS]

    def probe() -> str:
        loader = MigrationExecutor(connection).loader
        # Every node, not the plan to the leaves: the plan skips a gap below an applied leaf.
        pending = sorted(set(loader.graph.nodes) - set(loader.applied_migrations))
        if pending:
            names = ", ".join(f"{app}.{name}" for app, name in pending[:5])
            raise RuntimeError(f"{len(pending)} unapplied: {names}")
        return "all applied"

    return _timed("migrations", probe)


def cache_check(alias: str = "default") -> Check:
    """The shared cache stores and returns a value."""

    def probe() -> str:
        cache = caches[alias]
        key, value = f"tollgate:readyz:{uuid.uuid4().hex}", "ok"
        cache.set(key, value, timeout=10)
        try:
            if cache.get(key) != value:
                raise RuntimeError("a value written was not read back")
        finally:
            cache.delete(key)
        return type(cache).__name__

    return _timed("cache", probe)


def broker_check(broker_url: str | None = None) -> Check:
    """The Celery broker accepts a connection (tasks run in-process when none is configured)."""
    broker_url = settings.CELERY_BROKER_URL if broker_url is None else broker_url

    def probe() -> str:
        if not broker_url:
            return "none configured: tasks run in-process"
        from governance.config.celery import app

        with app.connection_for_write(url=broker_url) as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
            return connection.transport_cls

    return _timed("broker", probe)


def worker_check(broker_url: str | None = None, *, max_age: timedelta | None = None) -> Check:
    """A worker ran the scheduled heartbeat recently (beat queues one every five minutes)."""
    broker_url = settings.CELERY_BROKER_URL if broker_url is None else broker_url
    max_age = max_age or timedelta(seconds=settings.TOLLGATE_READY_HEARTBEAT_MAX_AGE)

    def probe() -> str:
        if not broker_url:
            return "none needed: tasks run in-process"
        latest = WorkerHeartbeat.objects.filter(eager=False).order_by("-ran_at").first()
        if latest is None:
            raise RuntimeError("no worker has run a heartbeat yet")
        age = timezone.now() - latest.ran_at
        if age > max_age:
            raise RuntimeError(
                f"the last heartbeat ({latest.hostname}) is {int(age.total_seconds())} s old; "
                f"at most {int(max_age.total_seconds())} s allowed"
            )
        return f"{latest.hostname}, {int(age.total_seconds())} s ago"

    return _timed("worker", probe)


def storage_check(storage: Storage | None = None) -> Check:
    """Files (evidence, packets) can be written and removed."""
    storage = storage or default_storage

    def probe() -> str:
        name = storage.save(f"readyz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
        storage.delete(name)
        return storage.__class__.__name__

    return _timed("storage", probe)


def readiness() -> list[Check]:
    """Every check, in the order an operator reads them."""
    database = database_check()
    checks = [database]
    # Without the database the checks that read it would only repeat its failure.
    if database.ok:
        checks += [migrations_check(), worker_check()]
    return [*checks, cache_check(), broker_check(), storage_check()]
