"""Packet API, pages and admin: request, follow, download (audited), verify; no edits; 403s."""

import hashlib

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile

from governance.models import Packet

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(render_packet_of, approved_assessment, security):
    """A ready packet of Acme AI's approved assessment."""
    return render_packet_of("assessment", approved_assessment, security)


def _pdf(packet) -> bytes:
    with packet.file.open("rb") as handle:
        return handle.read()


# --- API ------------------------------------------------------------------------------------


def test_an_ai_pm_requests_a_packet_and_downloads_it_when_ready(
    api_as, ai_pm, approved_assessment, django_capture_on_commit_callbacks
):
    client = api_as(ai_pm)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/packets/", {"kind": "assessment", "subject_id": approved_assessment.pk}
        )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert set(body) == {"id", "status"} and body["status"] == "queued"
    detail = client.get(f"/api/v1/packets/{body['id']}/").json()
    assert detail["status"] == "ready"
    assert detail["download_url"] == f"/api/v1/packets/{body['id']}/download/"
    download = client.get(detail["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Packet-SHA256"] == detail["sha256"]
    content = b"".join(download.streaming_content)
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == detail["sha256"]
    access = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert (access.actor, access.object_pk) == (ai_pm, str(body["id"]))


def test_a_bad_request_is_a_400_naming_the_field(api_as, ai_pm, pilot):
    client = api_as(ai_pm)
    bad_kind = client.post("/api/v1/packets/", {"kind": "invoice", "subject_id": 1})
    assert bad_kind.status_code == 400
    assert "kind" in bad_kind.json()["details"]
    missing = client.post("/api/v1/packets/", {"kind": "shortlist", "subject_id": 999})
    assert missing.status_code == 400
    assert missing.json()["details"]["subject_id"] == ["There is no shortlist version #999."]
    draft = client.post("/api/v1/packets/", {"kind": "pilot_charter", "subject_id": pilot.pk})
    assert draft.status_code == 400
    assert "once the charter is approved" in draft.json()["message"]


def test_a_ready_packet_cannot_be_changed_or_deleted_through_the_api(api_as, security, ready):
    client = api_as(security)
    url = f"/api/v1/packets/{ready.pk}/"
    # No role holds change or delete on packets, and the routes do not exist either.
    assert client.patch(url, {"summary": "x"}).status_code in (403, 405)
    assert client.put(url, {"summary": "x"}).status_code in (403, 405)
    assert client.delete(url).status_code in (403, 405)
    retry = client.post(f"{url}retry/")
    assert retry.status_code == 400
    assert "only a failed packet is retried" in retry.json()["message"]
    assert Packet.objects.get().sha256 == ready.sha256


def test_the_list_shows_only_packets_of_subjects_i_may_see(
    api_as, platform, auditor, ready, render_packet_of, approved_pilot, ai_pm
):
    charter = render_packet_of("pilot_charter", approved_pilot, ai_pm)
    seen = [p["id"] for p in api_as(platform).get("/api/v1/packets/").json()["results"]]
    assert seen == [charter.pk]
    seen = {p["id"] for p in api_as(auditor).get("/api/v1/packets/").json()["results"]}
    assert seen == {charter.pk, ready.pk}


def test_verify_by_upload_and_by_id(api_as, auditor, ready):
    client = api_as(auditor)
    genuine = client.post(
        "/api/v1/packets/verify/",
        {"file": SimpleUploadedFile("p.pdf", _pdf(ready), "application/pdf")},
        format="multipart",
    ).json()
    assert (genuine["matches"], genuine["chain_intact"], genuine["packet"]) == (
        True,
        True,
        ready.pk,
    )
    assert "Vendor assessment #" in genuine["certifies"]
    flipped = bytearray(_pdf(ready))
    flipped[100] ^= 1
    forged = client.post(
        "/api/v1/packets/verify/",
        {"file": SimpleUploadedFile("p.pdf", bytes(flipped), "application/pdf")},
        format="multipart",
    ).json()
    assert (forged["matches"], forged["packet"]) == (False, None)
    by_id = client.get(f"/api/v1/packets/verify/?id={ready.pk}").json()
    assert by_id["message"] == (
        f"This file is packet #{ready.pk} (link 1 of the chain); the chain up to it is intact."
    )
    assert client.get("/api/v1/packets/verify/?id=x").status_code == 400


PACKET_FORBIDDEN = [
    ("nobody", "get", "/api/v1/packets/", None),
    ("auditor", "post", "/api/v1/packets/", {"kind": "assessment", "subject_id": "{subject}"}),
    ("platform", "post", "/api/v1/packets/", {"kind": "assessment", "subject_id": "{subject}"}),
    ("platform", "get", "/api/v1/packets/{packet}/", None),
    ("platform", "get", "/api/v1/packets/{packet}/download/", None),
    ("auditor", "post", "/api/v1/packets/{packet}/retry/", None),
    ("nobody", "get", "/api/v1/packets/verify/", None),
    ("nobody", "post", "/api/v1/packets/verify/", None),
]


@pytest.mark.parametrize(("role", "method", "url", "body"), PACKET_FORBIDDEN)
def test_each_packet_route_refuses_a_role_without_access(
    api_as, persona, nobody, ready, role, method, url, body
):
    ids = {"packet": ready.pk, "subject": ready.subject_id}
    user = nobody if role == "nobody" else persona(role)
    if body:
        body = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()}
    response = getattr(api_as(user), method)(url.format(**ids), body, format="json")
    assert response.status_code == 403, response.content
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


# --- pages ----------------------------------------------------------------------------------


def test_the_pilot_page_requests_a_charter_packet_and_the_packet_page_offers_it(
    client, ai_pm, approved_pilot
):
    client.force_login(ai_pm)
    page = client.get(f"/pilots/{approved_pilot.pk}/")
    assert b"Request the charter packet" in page.content
    # Outside a test transaction the task would run after commit; here the request's
    # on_commit is discarded, so the packet page shows it waiting and refreshing.
    response = client.post(
        "/packets/request/",
        {"kind": "pilot_charter", "subject_id": approved_pilot.pk, "next": "/pilots/"},
    )
    packet = Packet.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/packets/{packet.pk}/"
    waiting = client.get(f"/packets/{packet.pk}/")
    assert b'http-equiv="refresh"' in waiting.content
    assert b"Waiting for a worker" in waiting.content


def test_the_packet_page_offers_the_download_when_ready(client, security, ready):
    client.force_login(security)
    page = client.get(f"/packets/{ready.pk}/")
    assert b"Download the PDF" in page.content
    assert b'http-equiv="refresh"' not in page.content
    assert ready.sha256.encode() in page.content
    download = client.get(f"/packets/{ready.pk}/download/")
    assert download.status_code == 200
    assert LogEntry.objects.get(action=LogEntry.Action.ACCESS).actor == security


def test_a_refused_page_request_says_why(client, ai_pm, pilot):
    client.force_login(ai_pm)
    response = client.post(
        "/packets/request/",
        {"kind": "pilot_charter", "subject_id": pilot.pk, "next": f"/pilots/{pilot.pk}/"},
        follow=True,
    )
    assert b"a charter packet is made once the charter is approved" in response.content
    assert not Packet.objects.exists()


def test_the_auditor_verifies_an_upload_on_the_verify_page(client, auditor, ready):
    client.force_login(auditor)
    listing = client.get("/packets/")
    assert listing.status_code == 200
    assert b"Sign-off packets" in listing.content
    assert f"/packets/{ready.pk}/".encode() in listing.content
    response = client.post(
        "/packets/verify/", {"file": SimpleUploadedFile("p.pdf", _pdf(ready), "application/pdf")}
    )
    assert f"This file is packet #{ready.pk}".encode() in response.content
    assert b"Chain intact up to it: yes" in response.content


@pytest.mark.parametrize(
    "url", ["/packets/{pk}/", "/packets/{pk}/download/", "/packets/verify/?id={pk}"]
)
def test_pages_refuse_a_role_without_access(client, nobody, platform, ready, url):
    client.force_login(platform)
    if "verify" in url:
        client.force_login(nobody)
    assert client.get(url.format(pk=ready.pk)).status_code == 403
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_the_shortlist_page_offers_a_packet(client, security, published):
    client.force_login(security)
    page = client.get("/vendors/shortlist/").content.decode()
    assert "Request this version's sign-off packet" in page
    assert f'name="subject_id" value="{published.pk}"' in page


# --- admin ----------------------------------------------------------------------------------


def test_a_ready_packet_is_read_only_in_the_admin(client, auditor, security, ready):
    client.force_login(security)
    url = f"/admin/governance/packet/{ready.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["original"] == ready
    assert ready.sha256.encode() in page.content
    assert b'name="_save"' not in page.content
    assert client.post(url, {"summary": "edited"}).status_code == 403
    assert client.get(f"/admin/governance/packet/{ready.pk}/delete/").status_code == 403
    assert Packet.objects.get().summary == ready.summary


def test_security_requests_a_packet_from_the_assessment_admin(
    client, security, approved_assessment, django_capture_on_commit_callbacks
):
    client.force_login(security)
    page = client.get(f"/admin/vendors/assessment/{approved_assessment.pk}/change/")
    assert b"Request a sign-off packet" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/vendors/assessment/",
            {"action": "request_packet", "_selected_action": [approved_assessment.pk]},
        )
    assert Packet.objects.get().status == "ready"
