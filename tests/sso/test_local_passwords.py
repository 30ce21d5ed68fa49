"""Local passwords are optional: off, every way of signing in with one is refused."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from knox.models import AuthToken

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
LOGIN_URL = "/accounts/login/"
OIDC = {
    "OAUTH_PKCE_ENABLED": True,
    "APPS": [
        {
            "provider_id": "corp",
            "name": "Corp Okta",
            "client_id": "tollgate",
            "secret": "s3cret",
            "settings": {"server_url": "https://corp.okta.example.com"},
        }
    ],
}


@pytest.fixture
def passwords_off(settings):
    settings.TOLLGATE_LOCAL_PASSWORDS = False
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": OIDC}


def test_the_login_page_offers_only_sso_when_passwords_are_off(client, passwords_off):
    page = client.get(LOGIN_URL)

    body = page.content.decode()
    assert page.status_code == 200
    assert "Sign in with Corp Okta" in body
    assert 'action="/accounts/oidc/corp/login/"' in body
    assert 'name="password"' not in body
    assert "Forgot your password?" not in body


def test_the_login_page_offers_both_when_passwords_are_on(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": OIDC}

    body = client.get(LOGIN_URL).content.decode()

    assert "Sign in with Corp Okta" in body
    assert 'name="password"' in body


def test_a_password_post_to_the_login_page_is_refused_when_passwords_are_off(
    client, security, passwords_off
):
    response = client.post(LOGIN_URL, {"username": "security", "password": PASSWORD})

    assert response.status_code == 403
    assert "Passwords are not accepted here" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_same_post_signs_in_when_passwords_are_on(client, security):
    response = client.post(LOGIN_URL, {"username": "security", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(security.pk)


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/",
        "/accounts/password_change/",
    ],
)
def test_password_reset_and_change_do_not_exist_when_passwords_are_off(
    client, security, passwords_off, url
):
    client.force_login(security)
    assert client.get(url).status_code == 404
    assert client.post(url, {"email": security.email}).status_code == 404


def test_password_reset_is_offered_when_passwords_are_on(client):
    assert client.get("/accounts/password_reset/").status_code == 200


def test_the_admin_login_sends_people_to_sso_and_ignores_passwords_when_off(
    client, security, passwords_off
):
    page = client.get("/admin/login/?next=/admin/vendors/")
    posted = client.post("/admin/login/", {"username": "security", "password": PASSWORD})

    assert page.status_code == 302
    assert page["Location"] == "/accounts/login/?next=/admin/vendors/"
    assert posted.status_code == 302
    assert posted["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_the_token_endpoint_refuses_passwords_when_off(api, security, passwords_off):
    response = api.post(
        "/api/v1/auth/token/", {"username": "security", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 403
    assert "single sign-on" in response.json()["message"]
    assert not AuthToken.objects.exists()


def test_the_token_endpoint_refuses_an_anonymous_empty_post_when_off(api, passwords_off):
    assert api.post("/api/v1/auth/token/", {}, format="json").status_code == 403


def test_a_signed_in_session_gets_an_api_token(client, finance):
    client.force_login(finance)

    response = client.post("/api/v1/auth/token/", {}, content_type="application/json")

    assert response.status_code == 200
    assert AuthToken.objects.get().user == finance


def test_the_session_route_to_a_token_is_csrf_checked(finance):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(finance)

    assert (
        browser.post("/api/v1/auth/token/", {}, content_type="application/json").status_code == 403
    )
    assert not AuthToken.objects.exists()


def test_no_form_can_authenticate_a_password_when_off(security, passwords_off):
    """The backend is the floor under every form: authenticate() itself says no."""
    assert authenticate(username="security", password=PASSWORD) is None


def _production(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"TOLLGATE_LOCAL_PASSWORDS"}} | {
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "tollgate.example.com",
        "DJANGO_SETTINGS_MODULE": "governance.config.settings_production",
        **env,
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.TOLLGATE_LOCAL_PASSWORDS)",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_turn_local_passwords_off_by_default():
    result = _production()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_production_settings_turn_them_on_when_told():
    result = _production(TOLLGATE_LOCAL_PASSWORDS="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_development_settings_keep_them_on(settings):
    from governance.config import settings as base

    assert base.TOLLGATE_LOCAL_PASSWORDS is True
