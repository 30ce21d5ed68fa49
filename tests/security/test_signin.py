"""Sign-in: lockout after repeated failures (Retry-After), hashed expiring API tokens with
revocation, an idle session timeout, a CSP without inline script, a Permissions-Policy, and
X-Forwarded-Proto trusted only when configured."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from knox.models import AuthToken

from governance.services.tokens import service_token_create
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TOKEN_URL = "/api/v1/auth/token/"
LOGIN_URL = "/accounts/login/"


# --- lockout -------------------------------------------------------------------------------


def _guess(client, url, username, password, **kwargs):
    if url == TOKEN_URL:
        return client.post(url, {"username": username, "password": password}, format="json")
    return client.post(url, {"username": username, "password": password})


@pytest.mark.signin_lockout
def test_the_login_page_locks_after_the_failure_limit_even_for_the_right_password(client, ai_pm):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _guess(client, LOGIN_URL, "ai_pm", "wrong").status_code == 200
    assert _guess(client, LOGIN_URL, "ai_pm", "wrong").status_code == 429  # the limit reached
    locked = _guess(client, LOGIN_URL, "ai_pm", PASSWORD)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.signin_lockout
def test_the_token_endpoint_locks_after_the_failure_limit_with_retry_after(api, ai_pm):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _guess(api, TOKEN_URL, "ai_pm", "wrong").status_code == 400
    assert _guess(api, TOKEN_URL, "ai_pm", "wrong").status_code == 429  # the limit reached
    locked = _guess(api, TOKEN_URL, "ai_pm", PASSWORD)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert locked.json()["message"].startswith("Too many failed sign-ins")
    assert "token" not in locked.json()
    assert not AuthToken.objects.exists()


@pytest.mark.signin_lockout
def test_the_lock_lifts_after_the_cool_off(api, ai_pm):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _guess(api, TOKEN_URL, "ai_pm", "wrong")
    later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=5)
    with time_machine.travel(later, tick=False):
        assert _guess(api, TOKEN_URL, "ai_pm", PASSWORD).status_code == 200


@pytest.mark.signin_lockout
def test_a_guesser_does_not_lock_another_account(api, ai_pm, finance):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _guess(api, TOKEN_URL, "ai_pm", "wrong")
    assert _guess(api, TOKEN_URL, "finance", PASSWORD).status_code == 200


@pytest.mark.signin_lockout
def test_a_successful_token_sign_in_clears_the_failures(api, ai_pm):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _guess(api, TOKEN_URL, "ai_pm", "wrong")
    assert _guess(api, TOKEN_URL, "ai_pm", PASSWORD).status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _guess(api, TOKEN_URL, "ai_pm", "wrong").status_code == 400
    ai_pm.refresh_from_db()
    assert ai_pm.last_login is not None


def test_the_lockout_limits_come_from_the_environment():
    assert int(os.environ.get("AXES_FAILURE_LIMIT", "5")) == settings.AXES_FAILURE_LIMIT
    minutes = int(os.environ.get("AXES_COOLOFF_MINUTES", "15"))
    assert timedelta(minutes=minutes) == settings.AXES_COOLOFF_TIME


# --- user API tokens: hashed, one per sign-in, expiring, revocable ---------------------------


def _token(api, username="ai_pm") -> str:
    response = api.post(TOKEN_URL, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["expiry"]
    return response.json()["token"]


def test_a_user_token_is_stored_only_as_a_hash(api, ai_pm):
    key = _token(api)
    stored = AuthToken.objects.get(user=ai_pm)
    assert key not in {stored.digest, stored.token_key}
    assert stored.token_key == key[: len(stored.token_key)] and len(stored.token_key) < len(key)


def test_each_sign_in_makes_its_own_token(api, ai_pm):
    assert _token(api) != _token(api)
    assert AuthToken.objects.filter(user=ai_pm).count() == 2


def test_a_user_token_expires(api, ai_pm):
    key = _token(api)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 200
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    with time_machine.travel(timezone.now() + ttl + timedelta(minutes=1), tick=False):
        assert api.get("/api/v1/me/").status_code == 401


def test_logout_revokes_the_token_in_use_only(api, ai_pm):
    kept, revoked = _token(api), _token(api)
    api.credentials(HTTP_AUTHORIZATION=f"Token {revoked}")
    assert api.post("/api/v1/auth/logout/").status_code == 204
    assert api.get("/api/v1/me/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {kept}")
    assert api.get("/api/v1/me/").status_code == 200


def test_logout_all_revokes_every_token_of_the_user(api, ai_pm):
    first, second = _token(api), _token(api)
    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api.post("/api/v1/auth/logout-all/").status_code == 204
    api.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert api.get("/api/v1/me/").status_code == 401


# FORBIDDEN: logging out needs a person's token.
@pytest.mark.parametrize("url", ["/api/v1/auth/logout/", "/api/v1/auth/logout-all/"])
def test_logout_refuses_a_caller_without_a_user_token(api, platform, url):
    assert api.post(url).status_code == 401
    _, key = service_token_create(name="gw", scopes=["shortlist:read"], actor=platform)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.post(url).status_code == 401


def test_service_tokens_keep_working(api, platform, published):
    _, key = service_token_create(name="gw", scopes=["shortlist:read"], actor=platform)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/shortlist/current/").status_code == 200


# --- idle session timeout ------------------------------------------------------------------


def test_an_idle_session_ends_after_eight_hours_by_default(client, ai_pm):
    assert int(os.environ.get("SESSION_IDLE_TIMEOUT", 8 * 3600)) == settings.SESSION_COOKIE_AGE
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(ai_pm)
        assert client.get("/pilots/").status_code == 200
    # Used again within the timeout: the session's expiry moves on.
    with time_machine.travel(start + timedelta(hours=7), tick=False):
        assert client.get("/pilots/").status_code == 200
    with time_machine.travel(start + timedelta(hours=14), tick=False):
        assert client.get("/pilots/").status_code == 200
    with time_machine.travel(start + timedelta(hours=22, minutes=1), tick=False):
        response = client.get("/pilots/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- headers: CSP without inline script, Permissions-Policy ---------------------------------


@pytest.mark.parametrize("path", [LOGIN_URL, "/pilots/", "/admin/", "/admin/governance/pilot/"])
def test_pages_and_admin_send_a_csp_without_inline_script(client, security, path):
    security.is_staff = True
    security.save()
    client.force_login(security)
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert script_src == "'self'"
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "camera=()" in response["Permissions-Policy"]


def test_no_template_has_inline_script_or_event_handlers():
    inline = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text, re.I):
            if "src=" not in match.group(0):
                inline.append(f"{path.name}: {match.group(0)}")
        for match in re.finditer(r"\son[a-z]+\s*=", text, re.I):
            inline.append(f"{path.name}: {match.group(0)}")
        if "javascript:" in text.lower():
            inline.append(f"{path.name}: javascript: URL")
    assert inline == []


# --- X-Forwarded-Proto ---------------------------------------------------------------------


def _production_proxy_header(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "TRUST_X_FORWARDED_PROTO"}
    environment.update(
        env,
        SECRET_KEY="test-" + "x" * 50,
        ALLOWED_HOSTS="tollgate.example.com",
        DJANGO_SETTINGS_MODULE="governance.config.settings_production",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import governance.config.settings_production as s;"
            "print(getattr(s, 'SECURE_PROXY_SSL_HEADER', None))",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_x_forwarded_proto_is_ignored_unless_configured():
    assert _production_proxy_header() == "None"
    assert _production_proxy_header(TRUST_X_FORWARDED_PROTO="false") == "None"


def test_x_forwarded_proto_is_trusted_when_configured():
    trusted = _production_proxy_header(TRUST_X_FORWARDED_PROTO="true")
    assert trusted == "('HTTP_X_FORWARDED_PROTO', 'https')"
