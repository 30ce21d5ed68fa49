"""Questionnaires in the admin: the buttons on the change pages, and who may press them."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from vendors.models import ProposedAnswer, Questionnaire
from vendors.services.questionnaires import questionnaire_send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]
OTHER_ROLES = ["legal", "ai_pm", "finance", "platform", "auditor"]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def sent(assessment, security):
    return questionnaire_send(
        assessment=assessment,
        contact_name="Vera Vendor",
        contact_email="vera@acme.example",
        actor=security,
    )


@pytest.fixture
def proposal(sent):
    """The vendor's answer (and file) to data residency, a legal item, through the link."""
    from tests.factories import make_pdf

    response = sent.questionnaire.responses.get(item__code="data-residency")
    vendor = Client()
    vendor.post(
        reverse("questionnaire:answer", args=[sent.token, response.pk]), {"answer": "EU only"}
    )
    vendor.post(
        reverse("questionnaire:upload", args=[sent.token, response.pk]),
        {"file": make_pdf("dpa.pdf", b"dpa")},
    )
    return ProposedAnswer.objects.get()


def test_security_sends_from_the_assessment_page(
    security, assessment, django_capture_on_commit_callbacks
):
    client = signed_in(security)
    page = client.get(f"/admin/vendors/assessment/{assessment.pk}/change/").text
    add_url = f"{reverse('admin:vendors_questionnaire_add')}?assessment={assessment.pk}"
    assert f'href="{add_url}"' in page
    form = client.get(add_url).text
    assert f'<option value="{assessment.pk}" selected>' in form
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            add_url,
            {
                "assessment": assessment.pk,
                "contact_name": "Vera",
                "contact_email": "vera@acme.example",
                "message": "Thanks!",
                "days": 21,
            },
        )
    questionnaire = Questionnaire.objects.get()
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"/questionnaire/{questionnaire.pk}/change/")
    assert mail.outbox[0].to == ["vera@acme.example"]
    assert "http://testserver/questionnaire/" in mail.outbox[0].body
    assert questionnaire.sent_by == security


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_no_other_role_sends(persona, assessment, role):
    client = signed_in(persona(role))
    answer = client.post(
        reverse("admin:vendors_questionnaire_add"),
        {
            "assessment": assessment.pk,
            "contact_name": "V",
            "contact_email": "v@x.example",
            "days": 5,
        },
    )
    assert answer.status_code == 403
    assert not Questionnaire.objects.exists()


def test_security_extends_and_revokes_with_the_buttons(security, sent):
    client = signed_in(security)
    questionnaire = sent.questionnaire
    page = client.get(reverse("admin:vendors_questionnaire_change", args=[questionnaire.pk])).text
    assert 'name="_extend"' in page and 'name="_revoke"' in page
    before = questionnaire.expires_at
    client.post(
        reverse("admin:vendors_questionnaire_extend", args=[questionnaire.pk]), {"days": 60}
    )
    questionnaire.refresh_from_db()
    assert questionnaire.expires_at > before + timedelta(days=29)
    client.post(
        reverse("admin:vendors_questionnaire_revoke", args=[questionnaire.pk]),
        {"reason": "Contact left"},
    )
    questionnaire.refresh_from_db()
    assert questionnaire.status == "revoked"
    page = client.get(reverse("admin:vendors_questionnaire_change", args=[questionnaire.pk])).text
    assert 'name="_extend"' not in page


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_no_other_role_extends_or_revokes(persona, sent, role):
    client = signed_in(persona(role))
    questionnaire = sent.questionnaire
    before = questionnaire.expires_at
    client.post(
        reverse("admin:vendors_questionnaire_extend", args=[questionnaire.pk]), {"days": 60}
    )
    client.post(
        reverse("admin:vendors_questionnaire_revoke", args=[questionnaire.pk]), {"reason": "x"}
    )
    questionnaire.refresh_from_db()
    assert questionnaire.status == "open" and questionnaire.expires_at == before
    page = client.get(reverse("admin:vendors_questionnaire_change", args=[questionnaire.pk]))
    assert 'name="_revoke"' not in page.text


def test_the_owner_accepts_with_the_button(legal, proposal):
    client = signed_in(legal)
    url = reverse("admin:vendors_proposedanswer_change", args=[proposal.pk])
    page = client.get(url).text
    assert 'name="_accept"' in page and 'name="_send_back"' in page and "dpa.pdf" in page
    client.post(
        reverse("admin:vendors_proposedanswer_accept", args=[proposal.pk]),
        {"status": "satisfied", "reason": "", "comment": "Clause 4.2"},
    )
    proposal.refresh_from_db()
    proposal.response.refresh_from_db()
    assert proposal.status == "accepted"
    assert proposal.response.status == "satisfied"
    assert proposal.response.evidence.count() == 1
    assert 'name="_accept"' not in client.get(url).text


def test_the_owner_sends_back_with_the_button(legal, proposal):
    client = signed_in(legal)
    client.post(
        reverse("admin:vendors_proposedanswer_send_back", args=[proposal.pk]),
        {"comment": "Which region?"},
    )
    proposal.refresh_from_db()
    assert proposal.status == "sent_back" and proposal.review_comment == "Which region?"


@pytest.mark.parametrize("role", ["security", "ai_pm", "finance", "platform", "auditor"])
def test_no_one_but_the_items_owner_reviews_it(persona, proposal, role):
    client = signed_in(persona(role))
    url = reverse("admin:vendors_proposedanswer_change", args=[proposal.pk])
    page = client.get(url)
    assert 'name="_accept"' not in page.text
    client.post(
        reverse("admin:vendors_proposedanswer_accept", args=[proposal.pk]), {"status": "satisfied"}
    )
    client.post(
        reverse("admin:vendors_proposedanswer_send_back", args=[proposal.pk]), {"comment": "no"}
    )
    proposal.refresh_from_db()
    proposal.response.refresh_from_db()
    assert proposal.status == "proposed"
    assert proposal.response.status == "open"


def test_a_reviewer_downloads_the_vendors_file(legal, proposal, persona):
    attached = proposal.files.get()
    url = reverse("admin:vendors_proposedanswer_file", args=[proposal.pk, attached.pk])
    answer = signed_in(legal).get(url)
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content).startswith(b"%PDF")
    assert signed_in(persona("finance")).get(url).status_code == 403


def test_saving_the_change_page_sends_nothing(security, sent, django_capture_on_commit_callbacks):
    client = signed_in(security)
    url = reverse("admin:vendors_questionnaire_change", args=[sent.questionnaire.pk])
    assert 'name="_save"' not in client.get(url).text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"_save": "Save"})
    assert Questionnaire.objects.count() == 1
    assert mail.outbox == []


def test_the_assessment_page_lists_its_questionnaires(security, sent, assessment):
    client = signed_in(security)
    url = (
        f"{reverse('admin:vendors_questionnaire_changelist')}?assessment__id__exact={assessment.pk}"
    )
    page = client.get(f"/admin/vendors/assessment/{assessment.pk}/change/").text
    assert f'href="{url}"' in page
    listing = client.get(url)
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert "vera@acme.example" in listing.text
