"""The vendor review API: flows through the services, and a forbidden-access test per route."""

import hashlib
from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from tests.factories import ModelVersionFactory, OfferingFactory, make_pdf
from vendors.kit.canonical import digest
from vendors.models import Assessment, Evidence
from vendors.selectors.assessments import assessment_canonical
from vendors.services.assessments import evidence_add, exception_grant
from vendors.services.shortlist import shortlist_draft_create, shortlist_entry_add

pytestmark = pytest.mark.django_db


def _response_id(assessment, code):
    return assessment.responses.get(item__code=code).pk


# --- flows ----------------------------------------------------------------------------------


def test_security_opens_an_assessment(api_as, security, vendor):
    response = api_as(security).post("/api/v1/assessments/", {"vendor": "acme"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "in_review"
    assert response.json()["opened_by"] == security.pk


def test_the_owner_sets_a_verdict_by_patch(api_as, security, assessment):
    rid = _response_id(assessment, "per-request-tracing")
    response = api_as(security).patch(
        f"/api/v1/responses/{rid}/", {"status": "satisfied", "comment": "trace ids seen"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "satisfied"
    assert response.json()["verdict_by"] == security.pk


def test_a_verdict_from_the_wrong_role_is_a_403(api_as, legal, assessment):
    rid = _response_id(assessment, "per-request-tracing")
    response = api_as(legal).patch(f"/api/v1/responses/{rid}/", {"status": "satisfied"})
    assert response.status_code == 403


def test_a_refused_verdict_is_a_400_naming_the_rule(api_as, legal, assessment):
    rid = _response_id(assessment, "data-residency")
    response = api_as(legal).patch(f"/api/v1/responses/{rid}/", {"status": "satisfied"})
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Data residency guarantees needs at least one evidence file before it is satisfied."
    )


def test_evidence_upload_and_download(api_as, legal, auditor, assessment):
    rid = _response_id(assessment, "data-residency")
    upload = api_as(legal).post(
        "/api/v1/evidence/", {"response": rid, "file": make_pdf("dpa.pdf")}, format="multipart"
    )
    assert upload.status_code == 201, upload.json()
    body = upload.json()
    assert body["kind"] == "pdf"
    with Evidence.objects.get(pk=body["id"]).file.open("rb") as handle:
        stored = handle.read()
    assert body["sha256"] == hashlib.sha256(stored).hexdigest()
    download = api_as(auditor).get(f"/api/v1/evidence/{body['id']}/download/")
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert content.startswith(b"%PDF-")
    assert content == stored
    assert download["X-Evidence-SHA256"] == body["sha256"]
    access = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).get()
    assert access.actor == auditor
    assert access.object_pk == str(body["id"])


def test_a_refused_upload_is_a_400_on_the_file_field(api_as, legal, assessment):
    rid = _response_id(assessment, "data-residency")
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = api_as(legal).post(
        "/api/v1/evidence/",
        {"response": rid, "file": SimpleUploadedFile("dpa.pdf", b"MZ\x90\x00")},
        format="multipart",
    )
    assert upload.status_code == 400
    assert "executable" in upload.json()["details"]["file"][0]
    assert Evidence.objects.count() == 0


@pytest.mark.parametrize("role", ["ai_pm", "finance", "platform"])
def test_a_download_by_a_role_without_access_is_refused(
    api_as, client, persona, legal, assessment, role
):
    rid = _response_id(assessment, "data-residency")
    from vendors.services.assessments import evidence_add

    evidence = evidence_add(
        response=assessment.responses.get(pk=rid), uploaded_file=make_pdf(), actor=legal
    )
    user = persona(role)
    assert api_as(user).get(f"/api/v1/evidence/{evidence.pk}/download/").status_code == 403
    client.force_login(user)
    assert client.get(f"/vendors/evidence/{evidence.pk}/download/").status_code == 403
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_the_full_review_through_the_api(api_as, security, legal, assessment, complete):
    complete(assessment)
    for user, role in ((security, "security"), (legal, "legal")):
        signed = api_as(user).post(
            "/api/v1/signoffs/",
            {
                "subject_kind": "assessment",
                "subject_id": assessment.pk,
                "role": role,
                "decision": "approve",
            },
            format="json",
        )
        assert signed.status_code == 201, signed.json()
        current = Assessment.objects.get(pk=assessment.pk)
        assert signed.json()["digest"] == digest(assessment_canonical(current))
    approved = api_as(security).post(f"/api/v1/assessments/{assessment.pk}/approve/")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    vendor = api_as(security).get("/api/v1/vendors/acme/").json()
    assert vendor["status"] == "approved"
    assert vendor["approved_until"] == (timezone.localdate() + timedelta(days=180)).isoformat()


def test_a_blocked_approval_is_a_400_listing_every_gap(api_as, security, assessment):
    response = api_as(security).post(f"/api/v1/assessments/{assessment.pk}/approve/")
    assert response.status_code == 400
    problems = response.json()["details"]["approval"]
    assert (
        "Approval blocked: Data residency guarantees (data-residency): no verdict yet." in problems
    )
    assert "Approval blocked: needs an approve sign-off from legal." in problems


def test_gaps_are_listed_for_readers(api_as, finance, assessment):
    gaps = api_as(finance).get(f"/api/v1/assessments/{assessment.pk}/gaps/").json()
    assert len(gaps) == 8
    assert gaps[0] == {
        "item_code": "data-residency",
        "item_title": "Data residency guarantees",
        "problem": "no verdict yet",
    }


def test_security_grants_and_revokes_an_exception(api_as, security, assessment, judge):
    response = judge(assessment.responses.get(item__code="code-provenance"), "not_satisfied")
    granted = api_as(security).post(
        "/api/v1/exceptions/",
        {
            "response": response.pk,
            "justification": "Vendor roadmap Q1",
            "compensating_controls": "Gateway commit trailer",
            "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        },
        format="json",
    )
    assert granted.status_code == 201, granted.json()
    revoked = api_as(security).post(
        f"/api/v1/exceptions/{granted.json()['id']}/revoke/", {"reason": "Vendor delivered"}
    )
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"


def test_model_versions_show_days_to_adopt_and_the_vendor_median(api_as, platform, vendor):
    for released, approved in (
        (date(2026, 1, 1), date(2026, 1, 11)),
        (date(2026, 3, 1), date(2026, 3, 31)),
    ):
        ModelVersionFactory(vendor=vendor, released_on=released, approved_on=approved)
    client = api_as(platform)
    versions = client.get("/api/v1/model-versions/?vendor=acme").json()["results"]
    assert sorted(v["days_to_adopt"] for v in versions) == [10, 30]
    assert client.get("/api/v1/vendors/acme/").json()["median_days_to_adopt"] == 20


def test_a_rollback_target_must_be_of_the_same_family(api_as, platform, vendor):
    other = ModelVersionFactory(vendor=vendor, family="other")
    response = api_as(platform).post(
        "/api/v1/model-versions/",
        {
            "vendor": "acme",
            "family": "coder",
            "version": "2.0",
            "tier": "heavy",
            "price_input_per_mtok": "15",
            "price_cached_input_per_mtok": "1.5",
            "price_output_per_mtok": "75",
            "released_on": "2026-06-01",
            "rollback_target": other.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "same family" in response.json()["details"]["rollback_target"][0]


def test_checklist_items_are_read_only_to_non_admins(api_as, security):
    client = api_as(security)
    assert client.get("/api/v1/checklist-items/").json()["count"] == 9
    created = client.post(
        "/api/v1/checklist-items/",
        {"code": "x", "title": "X", "category": "data", "guidance": "g", "owner_role": "legal"},
    )
    assert created.status_code == 403


# --- forbidden access, one row per route and method ---------------------------------------


@pytest.fixture
def ids(vendor, assessment, legal, security, judge):

    rid = _response_id(assessment, "data-residency")
    evidence = evidence_add(
        response=assessment.responses.get(pk=rid), uploaded_file=make_pdf(), actor=legal
    )
    provenance = judge(assessment.responses.get(item__code="code-provenance"), "not_satisfied")
    exception = exception_grant(
        response=provenance,
        justification="j",
        compensating_controls="c",
        expires_on=timezone.localdate() + timedelta(days=30),
        actor=security,
    )
    from governance.services.signoffs import signoff_record

    signoff = signoff_record(
        kind="assessment", subject=assessment, role="legal", decision="approve", actor=legal
    )
    draft = shortlist_draft_create(actor=security)
    entry = shortlist_entry_add(version=draft, vendor=vendor, role="frontier_cloud", actor=security)
    return {
        "shortlist": draft.pk,
        "entry": entry.pk,
        "vendor": vendor.slug,
        "offering": OfferingFactory(vendor=vendor).pk,
        "model": ModelVersionFactory(vendor=vendor).pk,
        "item": 1,
        "assessment": assessment.pk,
        "response": rid,
        "evidence": evidence.pk,
        "exception": exception.pk,
        "signoff": signoff.pk,
    }


FORBIDDEN = [
    # (role, method, url, body)
    ("nobody", "get", "/api/v1/vendors/", None),
    ("ai_pm", "post", "/api/v1/vendors/", {"name": "N", "slug": "n", "hosting_model": "on_prem"}),
    ("finance", "patch", "/api/v1/vendors/{vendor}/", {"notes": "x"}),
    ("security", "delete", "/api/v1/vendors/{vendor}/", None),
    ("nobody", "get", "/api/v1/offerings/", None),
    ("nobody", "get", "/api/v1/offerings/{offering}/", None),
    ("ai_pm", "post", "/api/v1/offerings/", {"vendor": "acme", "name": "O", "kind": "chat"}),
    ("auditor", "patch", "/api/v1/offerings/{offering}/", {"agentic": True}),
    ("nobody", "get", "/api/v1/model-versions/", None),
    ("nobody", "get", "/api/v1/model-versions/{model}/", None),
    ("security", "post", "/api/v1/model-versions/", {"vendor": "acme"}),
    ("legal", "patch", "/api/v1/model-versions/{model}/", {"status": "approved"}),
    ("nobody", "get", "/api/v1/checklist-items/", None),
    ("nobody", "get", "/api/v1/checklist-items/{item}/", None),
    ("security", "post", "/api/v1/checklist-items/", {"code": "x"}),
    ("legal", "patch", "/api/v1/checklist-items/{item}/", {"mandatory": False}),
    ("platform", "get", "/api/v1/assessments/", None),
    ("platform", "get", "/api/v1/assessments/{assessment}/", None),
    ("platform", "get", "/api/v1/assessments/{assessment}/gaps/", None),
    ("platform", "get", "/api/v1/assessments/{assessment}/coverage/", None),
    ("nobody", "get", "/api/v1/frameworks/", None),
    ("ai_pm", "post", "/api/v1/assessments/", {"vendor": "acme"}),
    ("finance", "post", "/api/v1/assessments/{assessment}/reject/", {"reason": "r"}),
    ("ai_pm", "post", "/api/v1/assessments/{assessment}/approve/", None),
    ("platform", "get", "/api/v1/responses/", None),
    ("platform", "get", "/api/v1/responses/{response}/", None),
    ("security", "patch", "/api/v1/responses/{response}/", {"status": "satisfied"}),
    ("ai_pm", "get", "/api/v1/evidence/", None),
    ("finance", "get", "/api/v1/evidence/{evidence}/", None),
    ("ai_pm", "get", "/api/v1/evidence/{evidence}/download/", None),
    ("auditor", "post", "/api/v1/evidence/", {"response": "{response}"}),
    ("platform", "get", "/api/v1/exceptions/", None),
    ("platform", "get", "/api/v1/exceptions/{exception}/", None),
    ("legal", "post", "/api/v1/exceptions/", {"response": "{response}"}),
    ("legal", "post", "/api/v1/exceptions/{exception}/revoke/", {"reason": "r"}),
    ("nobody", "get", "/api/v1/signoffs/", None),
    ("nobody", "get", "/api/v1/signoffs/{signoff}/", None),
    ("ai_pm", "post", "/api/v1/signoffs/", {"subject_kind": "assessment"}),
    ("nobody", "get", "/api/v1/audit/", None),
    ("ai_pm", "get", "/api/v1/audit/1/", None),
    ("security", "get", "/api/v1/heartbeats/", None),
    ("nobody", "get", "/api/v1/shortlist/current/", None),
    ("nobody", "get", "/api/v1/shortlist/check/", None),
    ("nobody", "get", "/api/v1/shortlist/versions/", None),
    ("nobody", "get", "/api/v1/shortlist/versions/{shortlist}/", None),
    ("nobody", "get", "/api/v1/shortlist/versions/{shortlist}/diff/", None),
    ("ai_pm", "post", "/api/v1/shortlist/versions/", {"notes": "x"}),
    ("finance", "post", "/api/v1/shortlist/versions/{shortlist}/publish/", None),
    ("nobody", "get", "/api/v1/shortlist/entries/", None),
    ("nobody", "get", "/api/v1/shortlist/entries/{entry}/", None),
    ("platform", "post", "/api/v1/shortlist/entries/", {"version": "{shortlist}"}),
    ("ai_pm", "patch", "/api/v1/shortlist/entries/{entry}/", {"notes": "x"}),
    ("auditor", "delete", "/api/v1/shortlist/entries/{entry}/", None),
    ("nobody", "get", "/api/v1/model-switches/", None),
    ("nobody", "get", "/api/v1/model-switches/999/", None),
    ("finance", "post", "/api/v1/model-versions/{model}/rollback/", {"reason": "r"}),
    ("ai_pm", "get", "/api/v1/portfolio/", None),
    ("platform", "get", "/api/v1/portfolio/funnel/", None),
]


@pytest.mark.parametrize(("role", "method", "url", "body"), FORBIDDEN)
def test_each_route_refuses_a_role_without_access(
    api_as, persona, nobody, ids, role, method, url, body
):
    user = nobody if role == "nobody" else persona(role)
    if body:
        body = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()}
    response = getattr(api_as(user), method)(url.format(**ids), body, format="json")
    assert response.status_code == 403, response.content


def test_every_api_route_has_a_forbidden_access_row():
    from django.urls import get_resolver

    from tests.governance.test_anonymous import _concrete, _walk
    from tests.governance.test_finance_api import FINANCE_FORBIDDEN
    from tests.governance.test_imports_api import EVIDENCE_FORBIDDEN
    from tests.governance.test_packet_api import PACKET_FORBIDDEN
    from tests.governance.test_pilot_pages_api import PILOT_FORBIDDEN

    tables = FORBIDDEN + PILOT_FORBIDDEN + FINANCE_FORBIDDEN + PACKET_FORBIDDEN + EVIDENCE_FORBIDDEN
    covered = {_shape(url) for _, _, url, _ in tables}
    routes = {
        _shape(_concrete(route))
        for route in _walk(get_resolver().url_patterns)
        if route.startswith("api/v1/")
        and "(" not in _concrete(route)
        and "schema" not in route
        and "docs" not in route
        and "auth/token" not in route
        # Logout acts on the caller's own token only; callers without a person's token get a
        # 401 (tests/security/test_signin.py test_logout_refuses_a_caller_without_a_user_token).
        and "auth/logout" not in route
        and "me/" not in route
        # Everyone reads their own notifications; isolation between users is tested in
        # test_notifications_are_per_user_and_can_be_marked_read.
        and "notifications" not in route
    }
    assert routes - covered == set()


def _shape(url: str) -> str:
    import re

    return re.sub(r"/(\{\w+\}|[0-9]+|acme|vendor-\d+|1)/", "/*/", url.rstrip("/") + "/")
