"""Every gate has a button on the page where the person already is (issue 16, item 2)."""

import pytest

from governance.models import SignOff
from governance.services import pilots as ps
from vendors.choices import AssessmentStatus, ShortlistStatus

pytestmark = pytest.mark.django_db


def _change_page(client, user, url):
    client.force_login(user)
    return client.get(url).content.decode()


def test_a_reviewer_signs_an_assessment_from_its_change_page(
    client, security, assessment, complete
):
    complete(assessment)
    url = f"/admin/vendors/assessment/{assessment.pk}/change/"
    html = _change_page(client, security, url)
    assert "Sign as Security" in html
    response = client.post(
        f"{url.removesuffix('change/')}sign/", {"role": "security", "decision": "approve"}
    )
    assert response.status_code == 302 and response.url == url
    assert SignOff.objects.get(subject_kind="assessment", subject_id=assessment.pk).user == security
    assert "Sign as Security" not in client.get(url).content.decode()


def test_the_approve_button_says_why_not_yet(client, security, assessment, complete, sign):
    complete(assessment)
    sign(assessment, roles=("security",))
    html = _change_page(client, security, f"/admin/vendors/assessment/{assessment.pk}/change/")
    assert "needs an approve sign-off from legal" in html
    assert "disabled>Approve the assessment</button>" in html
    assert "Not yet: the 1 problem above must be solved first." in html


def test_a_reviewer_approves_an_assessment_from_its_change_page(
    client, security, assessment, complete, sign
):
    complete(assessment)
    sign(assessment)
    url = f"/admin/vendors/assessment/{assessment.pk}/change/"
    assert 'id="gate-button">Approve the assessment' in _change_page(client, security, url)
    response = client.post(f"/admin/vendors/assessment/{assessment.pk}/approve/")
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.APPROVED
    assert "is approved." in client.get(url).content.decode()


def test_an_approve_refused_by_its_gate_says_why(client, security, assessment):
    client.force_login(security)
    client.post(f"/admin/vendors/assessment/{assessment.pk}/approve/")
    html = client.get(f"/admin/vendors/assessment/{assessment.pk}/change/").content.decode()
    assert "Approval blocked:" in html
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.IN_REVIEW


@pytest.mark.parametrize("role", ["auditor", "ai_pm", "finance", "platform"])
def test_no_other_role_signs_or_approves_an_assessment(
    client, persona, role, assessment, complete, sign
):
    complete(assessment)
    sign(assessment)
    client.force_login(persona(role))
    for step in ("sign", "approve"):
        response = client.post(
            f"/admin/vendors/assessment/{assessment.pk}/{step}/",
            {"role": "security", "decision": "approve"},
        )
        assert response.status_code in (302, 403)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.IN_REVIEW
    assert SignOff.objects.filter(subject_id=assessment.pk, user__username=role).count() == 0


def test_a_gate_is_posted_never_got(client, security, assessment):
    client.force_login(security)
    assert client.get(f"/admin/vendors/assessment/{assessment.pk}/approve/").status_code == 405


def test_security_publishes_a_signed_shortlist_from_its_page(
    client, security, draft, sign_shortlist
):
    sign_shortlist(draft)
    url = f"/admin/vendors/shortlistversion/{draft.pk}/change/"
    assert 'id="gate-button">Publish this version' in _change_page(client, security, url)
    client.post(f"/admin/vendors/shortlistversion/{draft.pk}/publish/")
    draft.refresh_from_db()
    assert draft.status == ShortlistStatus.PUBLISHED


def test_legal_signs_a_shortlist_draft_from_its_page(client, legal, draft):
    url = f"/admin/vendors/shortlistversion/{draft.pk}/change/"
    assert "Sign as Legal" in _change_page(client, legal, url)
    client.post(
        f"/admin/vendors/shortlistversion/{draft.pk}/sign/",
        {"role": "legal", "decision": "approve"},
    )
    assert SignOff.objects.get(subject_kind="shortlist", subject_id=draft.pk).role == "legal"


def test_the_pilot_page_says_who_approves_and_why_not_yet(
    client, pilot, complete_pilot, ai_pm, security, sign_pilot
):
    complete_pilot(pilot)
    ps.pilot_submit(pilot=pilot, actor=ai_pm)
    html = _change_page(client, ai_pm, f"/pilots/{pilot.pk}/")
    assert "Security, Legal or Finance approves it once every sign-off is in" in html
    assert "needs an approve sign-off from security" in html
    sign_pilot(pilot)
    html = _change_page(client, security, f"/pilots/{pilot.pk}/")
    assert 'id="approve-pilot"' in html
    client.post(f"/pilots/{pilot.pk}/approve/")
    pilot.refresh_from_db()
    assert pilot.status == "approved"
