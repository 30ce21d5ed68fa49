"""/healthz and /readyz: no sign-in, JSON, and each dependency failing for real makes it 503."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler
from django.utils import timezone

from governance.models import WorkerHeartbeat
from governance.selectors.health import (
    broker_check,
    cache_check,
    database_check,
    migrations_check,
    storage_check,
    worker_check,
)

pytestmark = pytest.mark.django_db
CLOSED_PORT = "127.0.0.1:1"  # nothing listens there: a refused connection, not a mock


def test_healthz_answers_without_sign_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ready_when_every_dependency_answers(client):
    # Under CI a broker is configured, so a worker must have answered recently.
    WorkerHeartbeat.objects.create(task_id="recent", hostname="w@ci", pid=1, eager=False)
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready"
    assert list(body["checks"]) == [
        "database",
        "migrations",
        "worker",
        "cache",
        "broker",
        "storage",
    ]
    assert all(check["ok"] for check in body["checks"].values())
    assert "detail" not in body["checks"]["database"]  # hosts and errors are for operators


def test_operators_read_each_checks_detail(client, platform):
    WorkerHeartbeat.objects.create(task_id="recent", hostname="w@ci", pid=1, eager=False)
    client.force_login(platform)
    checks = client.get("/readyz").json()["checks"]
    assert checks["database"]["detail"] == connection.vendor
    assert checks["migrations"]["detail"] == "all applied"


def test_a_database_that_refuses_connections_fails_its_check():
    host, port = CLOSED_PORT.split(":")
    dead = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "tollgate",
                "USER": "postgres",
                "HOST": host,
                "PORT": port,
            }
        }
    )["default"]
    check = database_check(dead)
    assert check.ok is False
    assert "OperationalError" in check.detail


def test_an_unapplied_migration_makes_the_node_not_ready(client, platform):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'governance' AND name = "
            "'0014_pilot_created_at_index'"
        )
    check = migrations_check()
    assert check.ok is False
    assert "governance.0014_pilot_created_at_index" in check.detail
    client.force_login(platform)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"]["ok"] is False


def test_a_cache_that_refuses_connections_makes_the_node_not_ready(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://{CLOSED_PORT}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    assert cache_check().ok is False
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["ok"] is False


def test_a_broker_that_refuses_connections_fails_its_check():
    check = broker_check(f"redis://{CLOSED_PORT}/0")
    assert check.ok is False
    assert "refused" in check.detail.lower() or "Error" in check.detail


def test_without_a_broker_neither_broker_nor_worker_is_needed():
    assert broker_check("").detail == "none configured: tasks run in-process"
    assert worker_check("").ok is True


def test_with_a_broker_a_recent_worker_heartbeat_is_needed():
    broker = "redis://127.0.0.1:6379/0"  # only its being set matters to this check
    assert worker_check(broker).ok is False  # no heartbeat yet
    beat = WorkerHeartbeat.objects.create(task_id="t1", hostname="w1@host", pid=1, eager=False)
    assert worker_check(broker, max_age=timedelta(minutes=15)).ok is True
    WorkerHeartbeat.objects.filter(pk=beat.pk).update(ran_at=timezone.now() - timedelta(minutes=16))
    stale = worker_check(broker, max_age=timedelta(minutes=15))
    assert stale.ok is False
    assert "at most 900 s allowed" in stale.detail
    # An in-process run proves nothing about workers.
    WorkerHeartbeat.objects.create(task_id="t2", hostname="", pid=1, eager=True)
    assert worker_check(broker, max_age=timedelta(minutes=15)).ok is False


def test_unwritable_storage_makes_the_node_not_ready(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings.MEDIA_ROOT = blocker / "media"  # under a file: no directory can be made there
    assert storage_check().ok is False
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["ok"] is False


def test_readyz_refuses_anything_but_get(client):
    assert client.post("/readyz").status_code == 405
