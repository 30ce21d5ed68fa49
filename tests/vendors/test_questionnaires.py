"""Vendor questionnaires: the link, the vendor's proposals, their review and the reminders."""

from datetime import timedelta

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_pdf
from vendors import tasks
from vendors.kit.errors import DomainError
from vendors.models import Evidence, ProposedAnswer, Questionnaire, QuestionnaireReminder
from vendors.services.questionnaires import (
    answer_accept,
    answer_send_back,
    questionnaire_extend,
    questionnaire_revoke,
    questionnaire_send,
    token_hash,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]


@pytest.fixture
def send(assessment, security, django_capture_on_commit_callbacks):
    """send(**kw): security sends the assessment's open items; e-mails are delivered."""

    def run(**kwargs):
        kwargs.setdefault("assessment", assessment)
        kwargs.setdefault("contact_name", "Vera Vendor")
        kwargs.setdefault("contact_email", "vera@acme.example")
        kwargs.setdefault("actor", security)
        with django_capture_on_commit_callbacks(execute=True):
            return questionnaire_send(**kwargs)

    return run


@pytest.fixture
def sent(send):
    return send()


@pytest.fixture
def vendor_client():
    """The contact's browser: no account, no session."""
    return Client()


def _urls(sent, response_id):
    token = sent.token
    return {
        "page": ("get", reverse("questionnaire:page", args=[token]), {}),
        "answer": (
            "post",
            reverse("questionnaire:answer", args=[token, response_id]),
            {"answer": "Data stays in eu-west."},
        ),
        "upload": (
            "post",
            reverse("questionnaire:upload", args=[token, response_id]),
            {"file": make_pdf("dpa.pdf", b"dpa")},
        ),
    }


def _item(sent, code):
    return sent.questionnaire.responses.select_related("item").get(item__code=code)


def _propose(vendor_client, sent, code="data-residency", text="EU only.", file=None):
    response = _item(sent, code)
    urls = _urls(sent, response.pk)
    vendor_client.post(urls["answer"][1], {"answer": text})
    if file is not None:
        vendor_client.post(urls["upload"][1], {"file": file})
    return ProposedAnswer.objects.filter(
        questionnaire=sent.questionnaire, response=response
    ).latest("id")


# --- sending ---------------------------------------------------------------------------------


def test_it_emails_the_contact_a_link_to_the_open_items(sent, assessment):
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["vera@acme.example"]
    assert sent.link in message.body
    assert sent.questionnaire.responses.count() == assessment.responses.count()
    assert sent.questionnaire.expires_at.date() == (timezone.now() + timedelta(days=30)).date()


def test_it_stores_only_the_hash_of_the_token(sent):
    row = Questionnaire.objects.get(pk=sent.questionnaire.pk)
    assert row.token_hash == token_hash(sent.token)
    assert sent.token not in str(Questionnaire.objects.filter(pk=row.pk).values().get())


@pytest.mark.parametrize("role", ["legal", "ai_pm", "finance", "platform", "auditor"])
def test_only_security_sends_a_questionnaire(persona, assessment, role):
    with pytest.raises(PermissionDenied):
        questionnaire_send(
            assessment=assessment,
            contact_name="V",
            contact_email="v@example.com",
            actor=persona(role),
        )
    assert not Questionnaire.objects.exists()


def test_it_refuses_a_link_longer_than_ninety_days(send):
    with pytest.raises(DomainError):
        send(days=91)


# --- the link --------------------------------------------------------------------------------


def test_the_page_shows_each_item_with_its_guidance_and_the_evidence_it_needs(vendor_client, sent):
    page = vendor_client.get(reverse("questionnaire:page", args=[sent.token]))
    assert page.status_code == 200
    residency = _item(sent, "data-residency").item
    assert residency.title in page.text
    assert residency.guidance in page.text
    assert "Evidence needed" in page.text
    assert page["Referrer-Policy"] == "same-origin"
    assert page["Cache-Control"] == "no-store"


def test_every_route_works_while_the_link_is_open(vendor_client, sent):
    response = _item(sent, "data-residency")
    for name, (method, url, data) in _urls(sent, response.pk).items():
        answer = getattr(vendor_client, method)(url, data)
        assert answer.status_code in (200, 302), name


@pytest.mark.parametrize("route", ["page", "answer", "upload"])
def test_every_route_fails_after_expiry(vendor_client, sent, route):
    response = _item(sent, "data-residency")
    method, url, data = _urls(sent, response.pk)[route]
    with time_machine.travel(sent.questionnaire.expires_at + timedelta(seconds=1), tick=False):
        answer = getattr(vendor_client, method)(url, data)
    assert answer.status_code == 410
    assert "expired" in answer.text
    assert not ProposedAnswer.objects.exists()


@pytest.mark.parametrize("route", ["page", "answer", "upload"])
def test_every_route_fails_after_revocation(vendor_client, sent, security, route):
    questionnaire_revoke(questionnaire=sent.questionnaire, actor=security, reason="Wrong contact")
    response = _item(sent, "data-residency")
    method, url, data = _urls(sent, response.pk)[route]
    answer = getattr(vendor_client, method)(url, data)
    assert answer.status_code == 410
    assert "withdrawn" in answer.text
    assert not ProposedAnswer.objects.exists()


def test_an_unknown_or_altered_token_opens_nothing(vendor_client, sent):
    altered = sent.token[:-2] + ("AA" if not sent.token.endswith("AA") else "BB")
    assert vendor_client.get(reverse("questionnaire:page", args=[altered])).status_code == 404
    assert vendor_client.get(f"/questionnaire/{token_hash(sent.token)}/").status_code == 404


def test_extending_an_expired_link_makes_it_work_again(vendor_client, sent, security):
    later = sent.questionnaire.expires_at + timedelta(days=1)
    with time_machine.travel(later, tick=False):
        url = reverse("questionnaire:page", args=[sent.token])
        assert vendor_client.get(url).status_code == 410
        questionnaire_extend(questionnaire=sent.questionnaire, actor=security, days=10)
        assert vendor_client.get(url).status_code == 200
    record = sent.questionnaire.history.get()
    assert record.actor == security and "extended" in record.reason


@pytest.mark.parametrize("role", ["legal", "ai_pm", "finance", "platform", "auditor"])
def test_only_security_extends_or_revokes(persona, sent, role):
    user = persona(role)
    with pytest.raises(PermissionDenied):
        questionnaire_extend(questionnaire=sent.questionnaire, actor=user, days=5)
    with pytest.raises(PermissionDenied):
        questionnaire_revoke(questionnaire=sent.questionnaire, actor=user, reason="no")


def test_a_revoked_link_cannot_be_extended(sent, security):
    questionnaire_revoke(questionnaire=sent.questionnaire, actor=security, reason="Left company")
    with pytest.raises(DomainError):
        questionnaire_extend(questionnaire=sent.questionnaire, actor=security, days=5)


def test_a_link_reaches_only_its_own_questionnaire(vendor_client, sent, send, security, vendor):
    from tests.factories import VendorFactory
    from vendors.services.assessments import assessment_open

    other_assessment = assessment_open(vendor=VendorFactory(slug="other"), actor=security)
    other = send(assessment=other_assessment, contact_email="o@other.example")
    foreign_item = other.questionnaire.responses.first()
    url = reverse("questionnaire:answer", args=[sent.token, foreign_item.pk])
    answer = vendor_client.post(url, {"answer": "sneaky"})
    assert answer.status_code == 400
    assert not ProposedAnswer.objects.exists()


def test_the_token_gives_nothing_on_any_other_route(vendor_client, sent, assessment):
    token = sent.token
    evidence_url = "/vendors/evidence/1/download/"
    vendor_client.get(reverse("questionnaire:page", args=[token]))  # a session, if any, exists
    for url in [
        "/",
        "/admin/",
        f"/admin/vendors/assessment/{assessment.pk}/change/",
        f"/admin/vendors/questionnaire/{sent.questionnaire.pk}/change/",
        f"/vendors/assessments/{assessment.pk}/coverage/",
        evidence_url,
        f"/pilots/?token={token}",
    ]:
        answer = vendor_client.get(url, HTTP_AUTHORIZATION=f"Token {token}")
        assert answer.status_code == 302 and "/login/" in answer["Location"], url
    for url in ["/api/v1/assessments/", "/api/v1/frameworks/", f"/api/v1/pilots/?token={token}"]:
        for header in (f"Token {token}", f"Bearer {token}"):
            answer = vendor_client.get(url, HTTP_AUTHORIZATION=header)
            assert answer.status_code == 401, (url, header)
    assert "_auth_user_id" not in vendor_client.session


def test_every_access_is_audited_with_its_outcome(vendor_client, sent, security):
    vendor_client.get(reverse("questionnaire:page", args=[sent.token]))
    questionnaire_revoke(questionnaire=sent.questionnaire, actor=security, reason="Done")
    vendor_client.get(reverse("questionnaire:page", args=[sent.token]))
    entries = LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, object_pk=str(sent.questionnaire.pk)
    ).order_by("pk")
    assert [e.additional_data["outcome"] for e in entries] == ["allowed", "revoked"]
    assert entries[0].additional_data["contact"] == "vera@acme.example"


def test_an_answer_is_audited(vendor_client, sent):
    proposal = _propose(vendor_client, sent)
    created = LogEntry.objects.get_for_object(proposal).get(action=LogEntry.Action.CREATE)
    assert "EU only." in str(created.changes)
    access = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).last()
    assert access.additional_data["route"] == "answer"
    assert access.additional_data["response_id"] == proposal.response_id


# --- proposals -------------------------------------------------------------------------------


def test_a_vendor_answer_is_only_a_proposal(vendor_client, sent):
    proposal = _propose(vendor_client, sent, file=make_pdf("dpa.pdf", b"dpa"))
    response = proposal.response
    response.refresh_from_db()
    assert proposal.status == "proposed"
    assert response.status == "open"
    assert not Evidence.objects.exists()
    assert proposal.files.count() == 1


def test_answering_again_before_review_edits_the_pending_answer(vendor_client, sent):
    _propose(vendor_client, sent, text="First")
    proposal = _propose(vendor_client, sent, text="Second")
    assert proposal.answer == "Second"


def test_an_upload_gets_the_same_checks_as_staff_evidence(vendor_client, sent):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = _item(sent, "data-residency")
    url = reverse("questionnaire:upload", args=[sent.token, response.pk])
    disguised = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf")
    answer = vendor_client.post(url, {"file": disguised})
    assert answer.status_code == 400
    assert "executable" in answer.text
    assert not ProposedAnswer.objects.exists()


def test_accepting_makes_the_files_evidence_and_the_reviewers_verdict(vendor_client, sent, legal):
    proposal = _propose(vendor_client, sent, file=make_pdf("dpa.pdf", b"dpa"))
    answer_accept(answer=proposal, actor=legal, status="satisfied")
    proposal.refresh_from_db()
    response = proposal.response
    response.refresh_from_db()
    assert proposal.status == "accepted" and proposal.reviewed_by == legal
    assert response.status == "satisfied" and response.verdict_by == legal
    evidence = response.evidence.get()
    assert evidence.uploaded_by == legal
    assert evidence.sha256 == proposal.files.get().sha256
    assert response.history.last().actor == legal


def test_only_the_items_owner_role_accepts(vendor_client, sent, security, persona):
    proposal = _propose(vendor_client, sent)  # data residency is legal's item
    for user in (security, persona("ai_pm"), persona("auditor")):
        with pytest.raises(PermissionDenied):
            answer_accept(answer=proposal, actor=user, status="not_satisfied")
        with pytest.raises(PermissionDenied):
            answer_send_back(answer=proposal, actor=user, comment="no")
    proposal.refresh_from_db()
    assert proposal.status == "proposed"


def test_sending_back_tells_the_contact_and_lets_them_answer_again(
    vendor_client, sent, legal, django_capture_on_commit_callbacks
):
    proposal = _propose(vendor_client, sent)
    with django_capture_on_commit_callbacks(execute=True):
        answer_send_back(answer=proposal, actor=legal, comment="Name the region.")
    assert "Name the region." in mail.outbox[-1].body
    assert sent.token not in mail.outbox[-1].body
    page = vendor_client.get(reverse("questionnaire:page", args=[sent.token]))
    assert "Name the region." in page.text
    again = _propose(vendor_client, sent, text="eu-west-1 only")
    assert again.pk != proposal.pk and again.status == "proposed"
    proposal.response.refresh_from_db()
    assert proposal.response.status == "open"


def test_sending_back_needs_a_comment(vendor_client, sent, legal):
    proposal = _propose(vendor_client, sent)
    with pytest.raises(DomainError):
        answer_send_back(answer=proposal, actor=legal, comment=" ")


def test_an_answer_is_reviewed_once(vendor_client, sent, legal):
    proposal = _propose(vendor_client, sent)
    answer_accept(answer=proposal, actor=legal, status="not_satisfied")
    with pytest.raises(DomainError):
        answer_send_back(answer=proposal, actor=legal, comment="late")


# --- reminders -------------------------------------------------------------------------------


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.questionnaire_reminders.delay().get()

    return run


def test_reminders_come_every_few_days_before_the_deadline_each_once(sent, remind):
    expires = sent.questionnaire.expires_at
    mail.outbox.clear()
    counts = []
    for days_left in (20, 14, 13, 7, 7, 3, 1):
        with time_machine.travel(expires - timedelta(days=days_left), tick=False):
            counts.append(remind())
    assert counts == [0, 1, 0, 1, 0, 1, 1]
    assert len(mail.outbox) == 4
    assert all(sent.token not in m.body for m in mail.outbox)
    assert QuestionnaireReminder.objects.count() == 4


def test_no_reminder_once_every_item_is_answered_or_the_link_is_revoked(
    vendor_client, sent, remind, security
):
    for response in sent.questionnaire.responses.select_related("item"):
        _propose(vendor_client, sent, code=response.item.code)
    with time_machine.travel(sent.questionnaire.expires_at - timedelta(days=7), tick=False):
        assert remind() == 0
    questionnaire_revoke(questionnaire=sent.questionnaire, actor=security, reason="done")
    with time_machine.travel(sent.questionnaire.expires_at - timedelta(days=1), tick=False):
        assert remind() == 0


def test_the_review_history_is_sealed_on_postgresql(vendor_client, sent, legal, security):
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("triggers need PostgreSQL; CI runs this on PostgreSQL")
    proposal = _propose(vendor_client, sent)
    answer_accept(answer=proposal, actor=legal, status="not_satisfied")
    questionnaire_revoke(questionnaire=sent.questionnaire, actor=security, reason="Done")
    for record in (proposal.history.get(), sent.questionnaire.history.get()):
        with pytest.raises(DatabaseError, match="sealed"), transaction.atomic():
            type(record).objects.filter(pk=record.pk).update(reason="rewritten")


def test_the_page_reads_in_the_same_number_of_queries_however_many_answers(vendor_client, sent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("questionnaire:page", args=[sent.token])
    _propose(vendor_client, sent, file=make_pdf("first.pdf", b"first"))
    vendor_client.get(url)  # shows (and clears) the "sent" messages
    with CaptureQueriesContext(connection) as few:
        vendor_client.get(url)
    for n, response in enumerate(sent.questionnaire.responses.select_related("item")):
        _propose(vendor_client, sent, code=response.item.code, file=make_pdf(f"{n}.pdf", b"%d" % n))
    vendor_client.get(url)
    with CaptureQueriesContext(connection) as many:
        vendor_client.get(url)
    assert len(many) == len(few)


def test_beat_runs_the_reminders_daily(settings):
    from governance.config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["questionnaire-reminders"]
    assert entry["task"] == "vendors.tasks.questionnaire_reminders"
    assert entry["task"] in app.tasks


def test_accepting_as_satisfied_without_the_evidence_the_item_needs_is_refused(
    vendor_client, sent, legal
):
    proposal = _propose(vendor_client, sent)  # data residency needs a document; none attached
    with pytest.raises(DomainError, match="evidence"):
        answer_accept(answer=proposal, actor=legal, status="satisfied")
    proposal.refresh_from_db()
    proposal.response.refresh_from_db()
    assert proposal.status == "proposed"
    assert proposal.response.status == "open"


def test_the_review_does_not_move_when_the_vendor_answered(vendor_client, sent, legal):
    proposal = _propose(vendor_client, sent)
    answered_at = proposal.proposed_at
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        answer_send_back(answer=proposal, actor=legal, comment="Which region?")
    proposal.refresh_from_db()
    assert proposal.proposed_at == answered_at
    assert proposal.reviewed_at > answered_at
