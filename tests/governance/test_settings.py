"""Production settings refuse to start half-configured."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_production_settings(**env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="governance.config.settings_production")
    # Importing the settings module is what refuses; loading every app would add a second.
    return subprocess.run(
        [sys.executable, "-c", "import governance.config.settings_production"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_without_secret_key():
    result = _load_production_settings(ALLOWED_HOSTS="tollgate.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_an_empty_secret_key():
    result = _load_production_settings(SECRET_KEY="  ", ALLOWED_HOSTS="tollgate.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_to_start_without_allowed_hosts():
    result = _load_production_settings(SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_it_starts_with_both_and_turns_debug_off():
    environment = {"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "tollgate.example.com"}
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DEBUG, settings.ALLOWED_HOSTS, settings.SESSION_COOKIE_SECURE)",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            **environment,
            "DJANGO_SETTINGS_MODULE": "governance.config.settings_production",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "False ['tollgate.example.com'] True"


def test_uploads_are_never_routed_as_public_files(settings):
    from django.urls import Resolver404, resolve

    try:
        resolve(f"{settings.MEDIA_URL}evidence/secret.pdf")
    except Resolver404:
        return
    raise AssertionError("/media/ must not resolve to a view")


def test_it_refuses_media_permissions_that_let_other_accounts_read_evidence():
    result = _load_production_settings(
        SECRET_KEY="x" * 60, ALLOWED_HOSTS="tollgate.example.com", FILE_UPLOAD_PERMISSIONS="0644"
    )
    assert result.returncode != 0
    assert "FILE_UPLOAD_PERMISSIONS may grant at most 0640" in result.stderr


def test_media_permissions_default_to_0640_files_in_0750_directories(settings):
    assert settings.FILE_UPLOAD_PERMISSIONS == 0o640
    assert settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o750
