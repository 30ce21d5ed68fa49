"""Shared fixtures: one persona per role, API clients, and service guards for CI."""

import socket
from datetime import date
from urllib.parse import urlparse

import pytest
import time_machine
from django.conf import settings
from rest_framework.test import APIClient

from governance.choices import Role
from governance.config.celery import app as celery_app
from tests.factories import UserFactory

ROLES = [role.value for role in Role]
# The suite's "today": every test that depends on the date travels here (or from here).
TODAY = date(2026, 11, 25)
pytest_plugins = ["tests.review_fixtures", "tests.governance.finance_fixtures"]


def service_missing(reason: str) -> None:
    """Skip on a laptop; fail under CI, where every service must be there."""
    if settings.TOLLGATE_REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True, scope="session")
def _require_postgres_under_ci(django_db_setup, django_db_blocker):
    """Under CI the suite must run on PostgreSQL, never silently on SQLite."""
    if settings.TOLLGATE_REQUIRE_SERVICES and settings.DATABASES["default"]["ENGINE"] != (
        "django.db.backends.postgresql"
    ):
        pytest.exit("TOLLGATE_REQUIRE_SERVICES is set but DATABASE_URL is not PostgreSQL", 3)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.2 s a user; tests only need passwords to round-trip."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _sign_in_lockout_only_where_tested(settings, request):
    """django-axes counts failures in tests marked signin_lockout (tests/security/test_signin.py).

    Elsewhere it is off: the test client's login() authenticates without a request, which axes
    refuses, and thousands of sign-ins from one address must not lock each other out.
    """
    settings.AXES_ENABLED = request.node.get_closest_marker("signin_lockout") is not None


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Each test stores uploads in its own directory, so 'nothing stored' is checkable."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _private_anchors(settings, tmp_path):
    """Each test exports the chain's anchors to its own directory."""
    location = tmp_path / "anchors"
    settings.STORAGES = {
        **settings.STORAGES,
        "anchors": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


@pytest.fixture(autouse=True)
def _eager_tasks_unless_worker(request):
    """Tasks run in-process except in tests that prove a real worker runs them."""
    eager = request.node.get_closest_marker("celery_worker") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager or not settings.CELERY_BROKER_URL
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def celery_worker_available(db):
    """A real worker on the configured broker, or skip (laptop) / fail (CI)."""
    broker = settings.CELERY_BROKER_URL
    if not broker:
        service_missing("CELERY_BROKER_URL is not set; tasks run eagerly")
    url = urlparse(broker)
    try:
        socket.create_connection((url.hostname, url.port or 6379), timeout=2).close()
    except OSError as exc:
        service_missing(f"broker {url.hostname}:{url.port} unreachable: {exc}")
    if not celery_app.control.ping(timeout=5):
        service_missing("no Celery worker answered a ping on the broker")
    return celery_app


@pytest.fixture
def persona(db):
    """Make (or fetch) the user named after a role, e.g. persona("security")."""

    def make(role: str):
        # Fetch before making: the factory's get_or_create would set a new password on the
        # existing user and log out every client already signed in as them.
        from django.contrib.auth import get_user_model

        existing = get_user_model().objects.filter(username=role).first()
        return existing or UserFactory(username=role, role=role)

    return make


@pytest.fixture
def security(persona):
    return persona(Role.SECURITY)


@pytest.fixture
def legal(persona):
    return persona(Role.LEGAL)


@pytest.fixture
def ai_pm(persona):
    return persona(Role.AI_PM)


@pytest.fixture
def finance(persona):
    return persona(Role.FINANCE)


@pytest.fixture
def platform(persona):
    return persona(Role.PLATFORM)


@pytest.fixture
def auditor(persona):
    return persona(Role.AUDITOR)


@pytest.fixture
def nobody(db):
    """A signed-in user with no role at all."""
    return UserFactory(username="nobody", is_staff=False)


@pytest.fixture
def api():
    """An API client; api_as(user) authenticates it."""
    return APIClient()


@pytest.fixture
def api_as():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def today():
    """Freeze the clock at the suite's TODAY (modules that need it everywhere use it autouse)."""
    with time_machine.travel(TODAY, tick=False):
        yield TODAY
