"""Files on an S3-compatible store: evidence and packets written, streamed, verified, checked.

These run against a real local S3 server (moto's server mode, started by .ci/run) named by
TOLLGATE_TEST_S3_ENDPOINT, each test in a bucket of its own. On a laptop without it they are
skipped; under CI (TOLLGATE_REQUIRE_SERVICES) a missing server fails them.
"""

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from governance.selectors.health import storage_check
from governance.services.packets import packet_verify
from tests.conftest import service_missing
from tests.factories import make_pdf
from vendors.models import Evidence
from vendors.selectors.assessments import evidence_file_check
from vendors.services.assessments import evidence_add

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ENDPOINT = os.environ.get("TOLLGATE_TEST_S3_ENDPOINT", "")
# moto accepts any credentials; a real store's come from boto3's chain, never from tests.
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _s3_options(bucket: str) -> dict:
    return {
        "bucket_name": bucket,
        "endpoint_url": ENDPOINT,
        "region_name": "us-east-1",
        "access_key": CREDENTIALS["aws_access_key_id"],
        "secret_key": CREDENTIALS["aws_secret_access_key"],
        "addressing_style": "path",
        "default_acl": None,
        "file_overwrite": False,
    }


@pytest.fixture
def s3_client():
    """A boto3 client of the local S3 server, or skip (laptop) / fail (CI)."""
    if not ENDPOINT:
        service_missing("TOLLGATE_TEST_S3_ENDPOINT is not set; no S3-compatible server to use")
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1", **CREDENTIALS)
    try:
        client.list_buckets()
    except (BotoCoreError, ClientError) as exc:
        service_missing(f"S3 server at {ENDPOINT} unreachable: {exc}")
    return client


def _empty_and_remove(client, bucket: str) -> None:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


@pytest.fixture
def s3_bucket(s3_client, settings):
    """A fresh bucket made the default storage (STORAGES overridden) for one test."""
    bucket = f"tollgate-test-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options(bucket)},
    }
    yield bucket
    _empty_and_remove(s3_client, bucket)


def _keys(client, bucket: str) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


def _object(client, bucket: str, key: str) -> bytes:
    return client.get_object(Bucket=bucket, Key=key)["Body"].read()


def _response(assessment, code="data-residency"):
    return assessment.responses.select_related("item").get(item__code=code)


def test_it_stores_evidence_in_the_bucket_and_streams_it_to_allowed_users_only(
    s3_client, s3_bucket, settings, assessment, legal, auditor, persona, api_as
):
    evidence = evidence_add(
        response=_response(assessment), uploaded_file=make_pdf("dpa.pdf", b"eu"), actor=legal
    )
    assert default_storage.__class__.__name__ == "S3Storage"
    assert _keys(s3_client, s3_bucket) == [evidence.file.name]
    stored = _object(s3_client, s3_bucket, evidence.file.name)
    assert hashlib.sha256(stored).hexdigest() == evidence.sha256
    # Nothing on the web node's own disk: a second node serves the same file.
    assert not settings.MEDIA_ROOT.exists() or not any(settings.MEDIA_ROOT.rglob("*"))
    download = api_as(auditor).get(f"/api/v1/evidence/{evidence.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == stored
    assert download["X-Evidence-SHA256"] == evidence.sha256
    assert (
        api_as(persona("finance")).get(f"/api/v1/evidence/{evidence.pk}/download/").status_code
        == 403
    )


def test_it_renders_a_packet_into_the_bucket_and_verifies_it(
    s3_client, s3_bucket, render_packet_of, published, security, api_as
):
    packet = render_packet_of("shortlist", published, security)
    assert packet.status == "ready", packet.error
    assert packet.file.name in _keys(s3_client, s3_bucket)
    stored = _object(s3_client, s3_bucket, packet.file.name)
    assert stored.startswith(b"%PDF-")
    assert hashlib.sha256(stored).hexdigest() == packet.sha256
    result = packet_verify(packet_id=packet.pk)
    assert (result.matches, result.chain_intact, result.file_state) == (True, True, "verified")
    assert packet_verify(data=stored).packet == packet
    download = api_as(security).get(f"/api/v1/packets/{packet.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == stored


def test_an_object_gone_from_the_bucket_is_missing_not_altered(
    s3_client, s3_bucket, render_packet_of, published, security
):
    packet = render_packet_of("shortlist", published, security)
    s3_client.delete_object(Bucket=s3_bucket, Key=packet.file.name)
    result = packet_verify(packet_id=packet.pk)
    assert (result.matches, result.file_state) == (False, "missing")
    assert result.message == (
        f"The file of packet #{packet.pk} (link 1 of the chain) is missing from storage; "
        f"packet #{packet.pk}'s file is missing."
    )


def test_an_object_rewritten_in_the_bucket_is_changed(
    s3_client, s3_bucket, assessment, legal, render_packet_of, published, security
):
    evidence = evidence_add(response=_response(assessment), uploaded_file=make_pdf(), actor=legal)
    packet = render_packet_of("shortlist", published, security)
    s3_client.put_object(Bucket=s3_bucket, Key=evidence.file.name, Body=b"%PDF-1.7 forged")
    s3_client.put_object(Bucket=s3_bucket, Key=packet.file.name, Body=b"%PDF-1.7 forged")
    assert evidence_file_check(Evidence.objects.get(pk=evidence.pk)).state == "changed"
    result = packet_verify(packet_id=packet.pk)
    assert result.file_state == "changed"
    assert "was altered" in result.message


def test_the_readiness_storage_check_writes_to_the_bucket_and_cleans_up(s3_client, s3_bucket):
    check = storage_check()
    assert (check.ok, check.detail) == (True, "S3Storage")
    assert _keys(s3_client, s3_bucket) == []


def test_the_readiness_storage_check_fails_without_its_bucket(s3_client, s3_bucket, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": _s3_options(f"{s3_bucket}-absent"),
        },
    }
    check = storage_check()
    assert check.ok is False
    assert "NoSuchBucket" in check.detail


# --- configuration (no server needed) ---------------------------------------------------------


def _default_storage_from(**env: str) -> dict:
    """The default storage the settings build from an environment, read in a fresh process."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TOLLGATE_S3_", "AWS_S3_")) and k != "DJANGO_SETTINGS_MODULE"
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="governance.config.settings")
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['default']))"
    )
    done = subprocess.run(  # noqa: S603 - the test's own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_files_stay_on_local_disk_without_a_bucket():
    assert _default_storage_from() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_a_bucket_in_the_environment_puts_files_on_s3_privately():
    storage = _default_storage_from(
        TOLLGATE_S3_BUCKET="tollgate-files",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000",
        AWS_S3_REGION_NAME="eu-central-1",
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"], options["region_name"]) == (
        "tollgate-files",
        "http://127.0.0.1:9000",
        "eu-central-1",
    )
    # Private objects, and no credentials in settings: boto3's chain supplies them.
    assert (options["default_acl"], options["querystring_auth"]) == (None, True)
    assert options["file_overwrite"] is False
    assert not {"access_key", "secret_key"} & options.keys()
