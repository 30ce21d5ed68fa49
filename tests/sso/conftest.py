"""A real OpenID Connect provider for the SSO tests, in its own process (never a mock).

tests/oidc_idp is django-oauth-toolkit's provider with a tiny settings module: its own SQLite
database and an RSA signing key made here, on a free port. It runs for the whole session and
is stopped by its recorded pid.
"""

import html
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from governance.sso import parse_role_map, sign_in_origins
from tests.browser.conftest import page  # noqa: F401 - the browser tests' chromium page
from tests.conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_ID = "test-idp"
# How the tests' identity provider names its groups, and the roles they map to.
ROLE_MAP = {"tg-security": "security", "tg-finance": ["finance"], "tg-audit": "auditor"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Provider:
    """The running provider: its issuer URL, its pid, and its admin console."""

    url: str
    pid: int
    admin_token: str
    log: Path

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    def _admin(self, path: str, payload: dict) -> None:
        response = httpx.post(
            f"{self.url}/admin/{path}/",
            content=json.dumps(payload),
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=30,
        )
        response.raise_for_status()

    def set_user(self, username: str, password: str, groups: list[str]) -> None:
        """Create or change a person at the provider, with exactly these groups."""
        self._admin(
            "users",
            {
                "username": username,
                "password": password,
                "email": f"{username}@idp.example.com",
                "groups": groups,
            },
        )

    def register_client(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        self._admin(
            "clients",
            {"client_id": client_id, "client_secret": client_secret, "redirect_uri": redirect_uri},
        )


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """Start tests/oidc_idp on a free port; stop it by pid when the session ends."""
    workdir = tmp_path_factory.mktemp("oidc-idp")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = workdir / "signing-key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    port = _free_port()
    admin_token = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_idp.settings",
        "IDP_DB": str(workdir / "idp.sqlite3"),
        "IDP_KEY_FILE": str(key_file),
        "IDP_SECRET_KEY": secrets.token_urlsafe(50),
        "IDP_ADMIN_TOKEN": admin_token,
    }
    log = workdir / "idp.log"
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 - our own module, with our interpreter
            [sys.executable, "-m", "tests.oidc_idp.serve", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    provider = Provider(f"http://127.0.0.1:{port}", process.pid, admin_token, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                service_missing(f"the test OIDC provider exited: {log.read_text()[-2000:]}")
            try:
                discovery = httpx.get(f"{provider.issuer}/.well-known/openid-configuration")
                if discovery.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                service_missing(f"the test OIDC provider did not answer: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield provider
    finally:
        os.kill(provider.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(provider.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def sso(oidc_provider, live_server, settings):
    """Tollgate (the live server) configured as a client of the test provider."""
    client_id = f"tollgate-{secrets.token_hex(4)}"
    client_secret = secrets.token_urlsafe(32)
    oidc_provider.register_client(
        client_id,
        client_secret,
        f"{live_server.url}/accounts/oidc/{PROVIDER_ID}/login/callback/",
    )
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": PROVIDER_ID,
                    "name": "Test IdP",
                    "client_id": client_id,
                    "secret": client_secret,
                    "settings": {
                        "server_url": oidc_provider.issuer,
                        "scope": ["openid", "profile", "email", "groups"],
                    },
                }
            ],
        }
    }
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            **directives,
            "form-action": [
                *directives["form-action"],
                *sign_in_origins(settings.SOCIALACCOUNT_PROVIDERS),
            ],
        }
    }
    settings.TOLLGATE_SSO_GROUPS_CLAIM = "groups"
    settings.TOLLGATE_SSO_ROLE_MAP = parse_role_map(json.dumps(ROLE_MAP))
    sign_in = SignIn(tollgate=live_server.url, provider=oidc_provider)
    yield sign_in
    # Kept-alive connections closed while the test's database is still there to serve them.
    for browser in sign_in.browsers:
        browser.close()


@dataclass
class SignIn:
    """A person's browser going through the authorization-code flow between the two servers."""

    tollgate: str
    provider: Provider
    browsers: list = field(default_factory=list)

    def browser(self) -> httpx.Client:
        browser = httpx.Client(follow_redirects=True, timeout=30)
        self.browsers.append(browser)
        return browser

    def start(self, browser: httpx.Client, next_url: str = "") -> httpx.Response:
        """Press "Sign in with Test IdP" on Tollgate's login page; stop at the redirect."""
        login_page = browser.get(f"{self.tollgate}/accounts/login/", params={"next": next_url})
        login_page.raise_for_status()
        # The form around the page's button, as a browser would submit it.
        form = re.search(
            r'<form method="post" action="([^"]+)">\s*'
            r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">\s*'
            r'<input type="hidden" name="next" value="([^"]*)">'
            r"(?:(?!</form>).)*Sign in with Test IdP",
            login_page.text,
            re.DOTALL,
        )
        assert form, login_page.text
        assert form.group(1) == f"/accounts/oidc/{PROVIDER_ID}/login/"
        return browser.post(
            urljoin(self.tollgate, form.group(1)),
            data={"csrfmiddlewaretoken": form.group(2), "next": html.unescape(form.group(3))},
            follow_redirects=False,
        )

    def sign_in(
        self,
        username: str,
        password: str,
        browser: httpx.Client | None = None,
        next_url: str = "",
    ):
        """The whole flow: Tollgate, the provider's login page, back to Tollgate's callback."""
        browser = browser or self.browser()
        to_provider = self.start(browser, next_url)
        assert to_provider.status_code == 302, to_provider.text
        login_page = browser.get(to_provider.headers["Location"])
        assert login_page.url.port == urlsplit(self.provider.url).port, login_page.url
        next_url = parse_qs(login_page.url.query.decode())["next"][0]
        done = browser.post(
            f"{self.provider.url}/login/",
            data={
                "csrfmiddlewaretoken": browser.cookies["idp_csrftoken"],
                "username": username,
                "password": password,
                "next": next_url,
            },
        )
        return browser, done
