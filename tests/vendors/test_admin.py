"""The vendor review in the admin: pages render, writes go through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ModelVersionFactory, OfferingFactory, make_pdf
from vendors.models import Assessment, Response, RiskException

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_as(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_the_vendor_page_shows_offerings_models_and_adoption(admin_as, security, vendor):
    from datetime import date

    OfferingFactory(vendor=vendor, name="Acme Code")
    ModelVersionFactory(
        vendor=vendor,
        family="acme",
        version="2",
        released_on=date(2026, 1, 1),
        approved_on=date(2026, 1, 15),
    )
    page = admin_as(security).get(f"/admin/vendors/vendor/{vendor.pk}/change/").content.decode()
    assert "Acme Code" in page
    assert "Release to approval: median 14 d (1 versions)" in page
    assert "acme:2: approved 14 d, majority traffic —" in page
    changelist = admin_as(security).get("/admin/vendors/vendor/").content.decode()
    assert '<td class="field-median_days_to_adopt">14</td>' in changelist


def test_opening_an_assessment_in_the_admin_uses_the_service(admin_as, security, vendor):
    response = admin_as(security).post(
        "/admin/vendors/assessment/add/", {"vendor": vendor.pk, "offering": "", "notes": "Q4"}
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.responses.count() == 8
    assert assessment.opened_by == security


def test_a_second_open_assessment_is_refused_on_the_form(admin_as, security, assessment, vendor):
    response = admin_as(security).post(
        "/admin/vendors/assessment/add/", {"vendor": vendor.pk, "notes": ""}
    )
    assert response.status_code == 200
    assert "already has an open or approved assessment" in response.content.decode()


def test_the_assessment_page_lists_what_blocks_approval(admin_as, legal, assessment):
    page = admin_as(legal).get(f"/admin/vendors/assessment/{assessment.pk}/change/")
    html = page.content.decode()
    assert "Approval is blocked by 10 problems" in html
    assert "Data residency guarantees (data-residency): no verdict yet" in html
    assert "needs an approve sign-off from security" in html


@pytest.mark.parametrize(
    ("attention", "listed"), [("needs_review", False), ("expiring", False), ("blocking", True)]
)
def test_the_assessment_list_filters_render(admin_as, security, assessment, attention, listed):
    page = admin_as(security).get(f"/admin/vendors/assessment/?attention={attention}")
    assert page.status_code == 200
    assert "Select assessment to change" in page.content.decode()
    # The open assessment without verdicts blocks approval; nothing needs review or expires.
    assert list(page.context["cl"].result_list) == ([assessment] if listed else [])


def test_the_blocking_filter_finds_an_assessment_with_gaps(admin_as, security, assessment):
    page = admin_as(security).get("/admin/vendors/assessment/?attention=blocking")
    assert f"Assessment #{assessment.pk}" in page.content.decode()


def test_the_owner_sets_a_verdict_with_evidence_in_the_admin(admin_as, legal, assessment):
    response = assessment.responses.get(item__code="data-residency")
    result = admin_as(legal).post(
        f"/admin/vendors/response/{response.pk}/change/",
        {
            "status": "satisfied",
            "reason": "",
            "comment": "DPA clause 4",
            "expires_on": "",
            "evidence_file": make_pdf("dpa.pdf"),
            "exceptions-TOTAL_FORMS": 0,
            "exceptions-INITIAL_FORMS": 0,
            "history-TOTAL_FORMS": 0,
            "history-INITIAL_FORMS": 0,
        },
    )
    assert result.status_code == 302, result.content.decode()[:2000]
    response.refresh_from_db()
    assert response.status == "satisfied"
    assert response.evidence.count() == 1
    page = (
        admin_as(legal).get(f"/admin/vendors/assessment/{assessment.pk}/change/").content.decode()
    )
    assert response.evidence.get().sha256[:16] in page


def test_a_wrong_role_verdict_is_refused_in_the_admin(admin_as, security, assessment):
    response = assessment.responses.get(item__code="ip-assignment")
    result = admin_as(security).post(
        f"/admin/vendors/response/{response.pk}/change/",
        {
            "status": "not_applicable",
            "reason": "n/a",
            "comment": "",
            "exceptions-TOTAL_FORMS": 0,
            "exceptions-INITIAL_FORMS": 0,
            "history-TOTAL_FORMS": 0,
            "history-INITIAL_FORMS": 0,
        },
    )
    assert result.status_code == 403
    assert Response.objects.get(pk=response.pk).status == "open"


def test_a_refused_upload_shows_on_the_form_and_stores_nothing(
    admin_as, legal, assessment, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = assessment.responses.get(item__code="data-residency")
    result = admin_as(legal).post(
        f"/admin/vendors/response/{response.pk}/change/",
        {
            "status": "satisfied",
            "reason": "",
            "comment": "",
            "evidence_file": SimpleUploadedFile("contract.pdf", b"\x7fELF\x02\x01"),
            "exceptions-TOTAL_FORMS": 0,
            "exceptions-INITIAL_FORMS": 0,
            "history-TOTAL_FORMS": 0,
            "history-INITIAL_FORMS": 0,
        },
    )
    assert result.status_code == 200
    assert "executable or script" in result.content.decode()
    assert response.evidence.count() == 0
    assert (
        not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))
        if settings.MEDIA_ROOT.exists()
        else True
    )


def test_security_grants_an_exception_in_the_admin(admin_as, security, assessment, judge):
    response = judge(assessment.responses.get(item__code="code-provenance"), "not_satisfied")
    result = admin_as(security).post(
        "/admin/vendors/riskexception/add/",
        {
            "response": response.pk,
            "justification": "Roadmap",
            "compensating_controls": "Gateway trailer",
            "expires_on": (timezone.localdate() + timedelta(days=200)).isoformat(),
        },
    )
    assert result.status_code == 200
    assert "at the latest on" in result.content.decode()
    assert not RiskException.objects.exists()


def test_sign_and_approve_with_admin_actions(admin_as, security, legal, assessment, complete):
    complete(assessment)
    url = "/admin/vendors/assessment/"
    for user in (security, legal):
        admin_as(user).post(url, {"action": "sign_approve", "_selected_action": [assessment.pk]})
    admin_as(security).post(url, {"action": "approve", "_selected_action": [assessment.pk]})
    assessment.refresh_from_db()
    assert assessment.status == "approved"


def test_an_approve_action_with_gaps_reports_them(admin_as, security, assessment):
    response = admin_as(security).post(
        "/admin/vendors/assessment/",
        {"action": "approve", "_selected_action": [assessment.pk]},
        follow=True,
    )
    assert "Approval blocked: Data residency guarantees" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == "in_review"


def test_readers_cannot_use_the_approve_action(admin_as, auditor, assessment):
    page = admin_as(auditor).get("/admin/vendors/assessment/").content.decode()
    assert 'value="approve"' not in page
    assert 'value="reject"' not in page


@pytest.mark.parametrize(
    ("url", "heading", "count"),
    [
        ("/admin/vendors/vendor/", "Select vendor to view", 1),
        ("/admin/vendors/offering/", "Select offering to view", 0),
        ("/admin/vendors/modelversion/", "Select model version to view", 0),
        ("/admin/vendors/checklistitem/", "Select checklist item to view", 9),
        ("/admin/vendors/assessment/", "Select assessment to view", 1),
        ("/admin/vendors/response/", "Select response to view", 8),
        ("/admin/vendors/evidence/", "Select evidence to view", 0),
        ("/admin/vendors/riskexception/", "Select exception to view", 0),
        ("/admin/governance/signoff/", "Select sign off to view", 0),
    ],
)
def test_the_auditor_reads_every_review_page(admin_as, auditor, assessment, url, heading, count):
    page = admin_as(auditor).get(url)
    assert page.status_code == 200
    assert heading in page.content.decode()  # "view", not "change": the auditor only reads
    assert page.context["cl"].result_count == count


def test_the_seeded_demo_renders(admin_as):
    from django.contrib.auth.models import User
    from django.core.management import call_command

    call_command("seed_demo", password="demo-pass-1")
    client = admin_as(User.objects.get(username="security"))
    assessments = Assessment.objects.select_related("vendor")
    assert assessments.exists()
    for assessment in assessments:
        page = client.get(f"/admin/vendors/assessment/{assessment.pk}/change/")
        assert page.status_code == 200
        assert page.context["original"] == assessment
        html = page.content.decode()
        assert f"{assessment} | Change assessment" in html
        assert assessment.vendor.name in html
