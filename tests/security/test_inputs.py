"""Malformed input is a 4xx that names the problem, never a 500, and writes nothing."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from governance.models import Measurement, Spend
from governance.services import pilots as ps
from governance.services.signoffs import shortlist_publish
from tests.governance.finance_fixtures import START
from vendors.kit.errors import ConflictError
from vendors.kit.parsers import SafeJSONParser
from vendors.models import ShortlistVersion
from vendors.services.shortlist import shortlist_draft_create

pytestmark = pytest.mark.django_db

DEEP = ("[" * 5000 + "]" * 5000).encode()
SPEND_HEADER = "month,amount,currency,scope,pilot,vendor,category,reference\n"
MEASUREMENT_HEADER = "pilot,metric,tier,period_start,period_end,value,sample_size\n"


@pytest.fixture
def running(approved_pilot, ai_pm):
    with time_machine.travel(START, tick=False):
        return ps.pilot_start(pilot=approved_pilot, actor=ai_pm)


def _row(pilot, week=0, value="40"):
    start = START + timedelta(days=7 * week)
    return {
        "pilot": pilot.pk,
        "metric": "reviewer-load",
        "tier": "",
        "period_start": start.isoformat(),
        "period_end": (start + timedelta(days=6)).isoformat(),
        "value": value,
        "sample_size": 12,
    }


# --- JSON nested too deep -------------------------------------------------------------------


def _api_views():
    def walk(resolver):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern)
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "cls", None)
                if isinstance(view, type) and issubclass(view, APIView):
                    yield str(pattern.pattern), view

    return list(walk(get_resolver()))


def test_every_api_view_reads_json_through_the_depth_safe_parser():
    views = _api_views()
    assert len(views) > 20
    unsafe = sorted(
        route
        for route, view in views
        for parser in view.parser_classes
        if issubclass(parser, JSONParser) and not issubclass(parser, SafeJSONParser)
    )
    assert unsafe == []
    assert api_settings.DEFAULT_PARSER_CLASSES[0] is SafeJSONParser


def test_the_anonymous_token_endpoint_refuses_deep_json_by_name(api):
    response = api.post("/api/v1/auth/token/", DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["message"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/measurements/bulk/", "/api/v1/pilots/", "/api/v1/spend/", "/api/v1/vendors/"],
)
def test_signed_in_json_endpoints_refuse_deep_json_by_name(api_as, security, platform, path):
    response = api_as(platform).post(path, DEEP, content_type="application/json")
    assert response.status_code in (400, 403)
    if response.status_code == 400:
        assert "nested too deeply" in response.json()["message"]
    response = api_as(security).post(path, DEEP, content_type="application/json")
    assert response.status_code in (400, 403)


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("legal", "/api/v1/evidence/"),
        ("platform", "/api/v1/imports/"),
        ("finance", "/api/v1/benefits/"),
        ("auditor", "/api/v1/packets/verify/"),
    ],
)
def test_uploads_take_multipart_only(api_as, persona, role, path):
    # An upload's body is a file; JSON there is the client's mistake (415), never parsed.
    response = api_as(persona(role)).post(path, DEEP, content_type="application/json")
    assert response.status_code == 415
    assert "application/json" in response.json()["message"]


def test_deep_json_writes_nothing(api_as, platform, running):
    response = api_as(platform).post(
        "/api/v1/measurements/bulk/", DEEP, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["message"]
    assert Measurement.objects.count() == 0


# --- CSV imports: encodings, oversize fields, NUL bytes -------------------------------------


def _spend_csv(pilot, reference="INV-1") -> str:
    slug = pilot.offering.vendor.slug
    return SPEND_HEADER + f"2027-01,2000,USD,pilot,{pilot.pk},{slug},seats,{reference}\n"


def _admin_spend_import(client, finance, data: bytes) -> str:
    client.force_login(finance)
    response = client.post(
        "/admin/governance/spend/import/",
        {"csv_file": SimpleUploadedFile("spend.csv", data)},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_admin_import_names_a_latin_1_file(client, finance, running_pilot):
    page = _admin_spend_import(client, finance, _spend_csv(running_pilot, "Café").encode("latin-1"))
    assert "The file is not UTF-8" in page
    assert "latin-1" in page
    assert Spend.objects.count() == 0


def test_the_admin_import_names_a_utf_16_file(client, finance, running_pilot):
    page = _admin_spend_import(client, finance, _spend_csv(running_pilot).encode("utf-16"))
    assert "it looks like UTF-16 text" in page
    assert Spend.objects.count() == 0


def test_the_admin_import_names_a_binary_file(client, finance, running_pilot):
    page = _admin_spend_import(client, finance, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    assert "The file is not UTF-8" in page
    assert "a binary file" in page


def test_the_admin_import_refuses_a_field_over_128_kb(client, finance, running_pilot):
    page = _admin_spend_import(
        client, finance, _spend_csv(running_pilot, "x" * (129 * 1024)).encode()
    )
    assert "a field over 128 KB" in page
    assert Spend.objects.count() == 0


def test_the_admin_import_refuses_a_nul_byte_in_a_spend_reference(client, finance, running_pilot):
    page = _admin_spend_import(client, finance, _spend_csv(running_pilot, "INV\x001").encode())
    assert "Row 2: reference contains a NUL byte" in page
    assert Spend.objects.count() == 0


def test_import_measurements_names_a_latin_1_file(tmp_path, platform, running):
    path = tmp_path / "m.csv"
    row = _row(running)
    line = ",".join(str(row[c]) for c in MEASUREMENT_HEADER.strip().split(","))
    path.write_bytes((MEASUREMENT_HEADER + line + ",Zürich\n").encode("latin-1"))
    with pytest.raises(CommandError, match=r"The file is not UTF-8: byte 0xfc .*latin-1"):
        call_command("import_measurements", str(path), as_user="platform")
    assert Measurement.objects.count() == 0


# --- admin filter values ---------------------------------------------------------------------


def test_a_nul_byte_in_an_admin_filter_is_a_400_naming_it(client, persona, pilot):
    user = persona("security")
    client.force_login(user)
    response = client.get("/admin/governance/pilot/?status__exact=%00")
    assert response.status_code == 400
    assert "status__exact" in response.content.decode()
    assert "NUL" in response.content.decode()


# --- duplicate keys in one bulk request -----------------------------------------------------


def test_a_bulk_request_repeating_a_key_is_refused_naming_both_rows(api_as, platform, running):
    rows = [_row(running, 0, "40"), _row(running, 1), _row(running, 0, "55")]
    with time_machine.travel(START + timedelta(days=31), tick=False):
        response = api_as(platform).post(
            "/api/v1/measurements/bulk/", {"measurements": rows}, format="json"
        )
    assert response.status_code == 400
    message = response.json()["details"]["measurements[2]"][0]
    assert message.startswith("Rows 0 and 2 both give reviewer-load")
    assert Measurement.objects.count() == 0


# --- the losing shortlist publish -----------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_losing_concurrent_publish_is_a_conflict(draft, security, legal, sign_shortlist):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; CI runs this on PostgreSQL")
    second = shortlist_draft_create(actor=security, copy_from=draft)
    sign_shortlist(draft)
    sign_shortlist(second)
    first_published, release = threading.Event(), threading.Event()
    outcomes = {}

    def publish(name, version, before=None, hold=None):
        from django.db import connections

        try:
            if before is not None:
                before.wait(10)
            with transaction.atomic():
                shortlist_publish(version=version, actor=security)
                if hold is not None:  # keep the first publish uncommitted until told
                    first_published.set()
                    hold.wait(10)
            outcomes[name] = "published"
        except Exception as error:  # the outcome under test is the type
            outcomes[name] = error
        finally:
            connections.close_all()

    winner = threading.Thread(target=publish, args=("first", draft), kwargs={"hold": release})
    loser = threading.Thread(target=publish, args=("second", second, first_published))
    winner.start()
    loser.start()
    first_published.wait(10)
    time.sleep(0.5)  # the second publish is now waiting on the first one's row
    release.set()
    winner.join()
    loser.join()
    assert outcomes["first"] == "published", outcomes
    assert isinstance(outcomes["second"], ConflictError), repr(outcomes["second"])
    assert ShortlistVersion.objects.get(status="published") == draft


def test_publishing_a_version_already_published_is_a_409(api_as, published, security):
    response = api_as(security).post(f"/api/v1/shortlist/versions/{published.pk}/publish/")
    assert response.status_code == 409
    assert "already published" in response.json()["message"]
