"""A change that revokes an approval or a signature is confirmed first; its signers hear of it."""

import pytest

from governance.choices import NotificationKind
from governance.models import Notification
from vendors.choices import AssessmentStatus

pytestmark = pytest.mark.django_db

FORMSETS = {
    "exceptions-TOTAL_FORMS": 0,
    "exceptions-INITIAL_FORMS": 0,
    "history-TOTAL_FORMS": 0,
    "history-INITIAL_FORMS": 0,
}


def _post(client, response, **changes):
    data = {
        "status": response.status,
        "reason": response.reason,
        "comment": response.comment,
        "expires_on": response.expires_on.isoformat(),
        **FORMSETS,
        **changes,
    }
    return client.post(f"/admin/vendors/response/{response.pk}/change/", data)


@pytest.fixture
def signed_response(approved_assessment):
    return approved_assessment.responses.select_related("item").get(item__code="data-residency")


def test_editing_only_a_comment_asks_first_and_says_what_is_revoked(client, legal, signed_response):
    client.force_login(legal)
    page = _post(client, signed_response, comment="DPA clause 4, as amended")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="confirm-revoke"' in html
    assert "It revokes the approval (approved on" in html
    assert "they must sign again: security (security), legal (legal)" in html
    signed_response.refresh_from_db()
    assert signed_response.comment != "DPA clause 4, as amended"  # nothing saved yet
    assessment = signed_response.assessment
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.APPROVED


def test_editing_an_expiry_asks_first_too(client, legal, signed_response):
    from datetime import timedelta

    client.force_login(legal)
    earlier = signed_response.expires_on - timedelta(days=30)
    html = _post(client, signed_response, expires_on=earlier.isoformat()).content.decode()
    assert 'id="confirm-revoke"' in html


def test_confirming_saves_revokes_and_tells_the_other_signers(
    client, legal, security, signed_response
):
    client.force_login(legal)
    page = _post(client, signed_response, comment="DPA clause 4, as amended", confirm_revoke="1")
    assert page.status_code == 302
    signed_response.refresh_from_db()
    assert signed_response.comment == "DPA clause 4, as amended"
    assessment = signed_response.assessment
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.IN_REVIEW
    notice = Notification.objects.get(kind=NotificationKind.SIGNOFF_REVOKED)
    assert notice.user == security  # legal made the change and knows
    assert notice.title == f"Sign again: {assessment} changed"
    assert notice.link == f"/admin/vendors/assessment/{assessment.pk}/change/"
    assert "its approval was revoked" in notice.body


def test_an_unchanged_save_asks_nothing(client, legal, signed_response):
    client.force_login(legal)
    assert _post(client, signed_response).status_code == 302
    assert not Notification.objects.filter(kind=NotificationKind.SIGNOFF_REVOKED).exists()


def test_a_change_before_anyone_signed_asks_nothing(client, legal, assessment, judge):
    response = judge(assessment.responses.select_related("item").get(item__code="data-residency"))
    client.force_login(legal)
    assert _post(client, response, comment="first draft").status_code == 302


def test_a_signature_without_approval_is_at_stake_too(
    client, legal, security, assessment, complete, sign
):
    complete(assessment)
    sign(assessment, roles=("security",))
    response = assessment.responses.select_related("item").get(item__code="data-residency")
    client.force_login(legal)
    html = _post(client, response, comment="changed").content.decode()
    assert "revokes the approval" not in html
    assert "they must sign again: security (security)" in html


KILL = {
    "metric": "",
    "tier": "",
    "comparator": "worse_pct",
    "threshold": "30",
    "evaluate_from_day": "60",
    "consecutive_periods": "2",
    "min_sample_size": "10",
}


@pytest.fixture
def signed_charter(pilot, complete_pilot, ai_pm, sign_pilot, metrics):
    from governance.services import pilots as ps

    complete_pilot(pilot)
    ps.pilot_submit(pilot=pilot, actor=ai_pm)
    sign_pilot(pilot, roles=("security",))
    KILL["metric"] = metrics["cycle-time"].pk
    KILL["tier"] = "standard"
    return pilot


def test_a_kill_criterion_added_to_a_signed_charter_asks_first(client, ai_pm, signed_charter):
    client.force_login(ai_pm)
    page = client.post(f"/pilots/{signed_charter.pk}/kill-criteria/", KILL)
    html = page.content.decode()
    assert 'id="confirm-revoke"' in html
    assert "they must sign again: security (security)" in html
    assert signed_charter.kill_criteria.count() == 1  # nothing saved yet


def test_confirming_adds_it_and_tells_the_signer(client, ai_pm, security, signed_charter):
    client.force_login(ai_pm)
    page = client.post(
        f"/pilots/{signed_charter.pk}/kill-criteria/", {**KILL, "confirm_revoke": "1"}
    )
    assert page.status_code == 302, page.context["kill_form"].errors
    assert signed_charter.kill_criteria.count() == 2
    notice = Notification.objects.get(kind=NotificationKind.SIGNOFF_REVOKED)
    assert notice.user == security
    assert notice.link == f"/pilots/{signed_charter.pk}/"


def test_granting_an_exception_on_a_signed_assessment_asks_first(
    client, security, legal, assessment, complete, sign, judge
):
    from datetime import timedelta

    from django.utils import timezone

    from vendors.models import RiskException

    complete(assessment)
    response = judge(assessment.responses.get(item__code="code-provenance"), "not_satisfied")
    sign(assessment)
    grant = {
        "response": response.pk,
        "justification": "Provenance trailers land next quarter.",
        "compensating_controls": "The gateway tags every AI-assisted commit.",
        "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
    }
    client.force_login(security)
    html = client.post("/admin/vendors/riskexception/add/", grant).content.decode()
    assert 'id="confirm-revoke"' in html
    assert "they must sign again: security (security), legal (legal)" in html
    assert not RiskException.objects.exists()
    saved = client.post("/admin/vendors/riskexception/add/", {**grant, "confirm_revoke": "1"})
    assert saved.status_code == 302
    assert RiskException.objects.count() == 1
    assert Notification.objects.get(kind=NotificationKind.SIGNOFF_REVOKED).user == legal


def test_revoking_an_exception_of_an_approved_assessment_asks_first(
    client, security, legal, assessment, complete, sign, judge
):
    from datetime import timedelta

    from django.utils import timezone

    from governance.services.signoffs import assessment_approve
    from vendors.services.assessments import exception_grant

    complete(assessment)
    response = judge(assessment.responses.get(item__code="code-provenance"), "not_satisfied")
    exception = exception_grant(
        response=response,
        justification="Provenance trailers land next quarter.",
        compensating_controls="The gateway tags every AI-assisted commit.",
        expires_on=timezone.localdate() + timedelta(days=90),
        actor=security,
    )
    sign(assessment)
    assessment_approve(assessment=assessment, actor=security)
    client.force_login(security)
    action = {"action": "revoke", "_selected_action": [exception.pk]}
    html = client.post("/admin/vendors/riskexception/", action).content.decode()
    assert 'id="confirm-revoke"' in html
    assert "It revokes the approval" in html
    exception.refresh_from_db()
    assert exception.status == "active"
    client.post("/admin/vendors/riskexception/", {**action, "confirm_revoke": "1"})
    exception.refresh_from_db()
    assert exception.status == "revoked"
    assert Notification.objects.get(kind=NotificationKind.SIGNOFF_REVOKED).user == legal
