"""Writes of vendor questionnaires: sending, the vendor's answers, their review, reminders.

The vendor contact has no account: the emailed link carries a random token, of which only the
SHA-256 is stored, so a database leak gives no working link. Every request under the link
goes through `questionnaire_access`, which checks the token, the status and the expiry, and
writes an access entry to the audit trail whatever the outcome. A vendor's answer and files
are proposals; `answer_accept` (by the item's owner role) turns them into evidence and a
verdict through the assessment services, so the same checks and history apply.
"""

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from auditlog.models import LogEntry
from django.conf import settings
from django.core.files import File
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from vendors.choices import (
    AssessmentStatus,
    ProposedAnswerStatus,
    QuestionnaireStatus,
    ResponseStatus,
)
from vendors.filetypes import check_evidence_file
from vendors.kit.audit import audited
from vendors.kit.errors import DomainError
from vendors.kit.services import require, save_validated
from vendors.kit.transitions import transition
from vendors.models import (
    Assessment,
    ProposedAnswer,
    ProposedAnswerTransition,
    ProposedFile,
    Questionnaire,
    QuestionnaireReminder,
    QuestionnaireTransition,
    Response,
)
from vendors.services.assessments import evidence_add, response_set_verdict

Q = QuestionnaireStatus
P = ProposedAnswerStatus
R = ResponseStatus

# Items a questionnaire asks by default: those still waiting for a (new) verdict.
ASKABLE = [R.OPEN, R.NEEDS_REVIEW, R.NOT_SATISFIED]
# Days before the link expires on which the contact is reminded of unanswered items.
REMINDER_DAYS = (14, 7, 3, 1)
TOKEN_BYTES = 32


class QuestionnaireLinkError(Exception):
    """The link opens nothing: unknown token, expired or revoked (`reason` says which)."""

    def __init__(self, reason: str, questionnaire: Questionnaire | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.questionnaire = questionnaire


@dataclass(frozen=True)
class SentQuestionnaire:
    """A questionnaire just sent and its link; the token exists nowhere else once emailed."""

    questionnaire: Questionnaire
    token: str
    link: str


def token_hash(token: str) -> str:
    """The stored form of a link token."""
    return hashlib.sha256(token.encode()).hexdigest()


def questionnaire_link(token: str, *, base_url: str | None = None) -> str:
    """The absolute URL of a questionnaire's page for a token."""
    base = (base_url or settings.TOLLGATE_BASE_URL).rstrip("/")
    return base + reverse("questionnaire:page", args=[token])


@audited
@transaction.atomic
def questionnaire_send(
    *,
    assessment: Assessment,
    contact_name: str,
    contact_email: str,
    actor: Any,
    message: str = "",
    days: int = Questionnaire.DEFAULT_DAYS,
    responses: list[Response] | None = None,
    base_url: str | None = None,
) -> SentQuestionnaire:
    """Email a vendor contact a link to answer the assessment's open items (security only)."""
    require(actor, "vendors.add_questionnaire")
    assessment = Assessment.objects.select_related("vendor").get(pk=assessment.pk)
    if assessment.status != AssessmentStatus.IN_REVIEW:
        raise DomainError(
            {
                "assessment": f"{assessment} is {assessment.get_status_display().lower()}; only an "
                "assessment in review is sent to the vendor."
            }
        )
    _check_days(days)
    if responses is None:
        responses = list(assessment.responses.filter(status__in=ASKABLE))
    if not responses:
        raise DomainError({"assessment": f"{assessment} has no open item to ask the vendor."})
    if any(r.assessment_id != assessment.pk for r in responses):
        raise DomainError({"responses": "Every item asked must belong to this assessment."})
    token = secrets.token_urlsafe(TOKEN_BYTES)
    questionnaire = save_validated(
        Questionnaire(
            assessment=assessment,
            contact_name=contact_name.strip(),
            contact_email=contact_email.strip(),
            message=message.strip(),
            token_hash=token_hash(token),
            expires_at=timezone.now() + timedelta(days=days),
            sent_by=actor,
        )
    )
    questionnaire.responses.set(responses)
    link = questionnaire_link(token, base_url=base_url)
    body = render_to_string(
        "vendors/email/questionnaire_sent.txt",
        {"questionnaire": questionnaire, "link": link, "count": len(responses)},
    )
    _email_on_commit(
        questionnaire,
        subject=f"Security questionnaire from Tollgate: {assessment.vendor}",
        body=body,
    )
    return SentQuestionnaire(questionnaire=questionnaire, token=token, link=link)


def _check_days(days: int) -> None:
    if not 1 <= days <= Questionnaire.MAX_DAYS:
        raise DomainError({"days": f"A link lasts 1 to {Questionnaire.MAX_DAYS} days from now."})


def _email_on_commit(questionnaire: Questionnaire, *, subject: str, body: str) -> None:
    recipient = questionnaire.contact_email
    # After commit: a rolled-back send must not leave a link in someone's inbox.
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    )


def _lock(questionnaire: Questionnaire) -> Questionnaire:
    # Extension, revocation and the vendor's writes serialise on this row, so an answer cannot
    # land after the revocation that was meant to stop it.
    return Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)


@audited
@transaction.atomic
def questionnaire_extend(*, questionnaire: Questionnaire, actor: Any, days: int) -> Questionnaire:
    """Keep a link working until `days` from now (an expired one works again)."""
    require(actor, "vendors.revoke_questionnaire", questionnaire)
    questionnaire = _lock(questionnaire)
    if questionnaire.status != Q.OPEN:
        raise DomainError("A revoked link stays revoked; send a new questionnaire.")
    _check_days(days)
    until = timezone.now() + timedelta(days=days)
    previous = questionnaire.expires_at
    questionnaire.expires_at = until
    questionnaire.save(update_fields=["expires_at"])
    # The status does not move; the history still says who moved the deadline and when.
    QuestionnaireTransition.objects.create(
        questionnaire=questionnaire,
        from_status=Q.OPEN,
        to_status=Q.OPEN,
        actor=actor,
        reason=f"link extended from {previous:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC",
    )
    return questionnaire


@audited
@transaction.atomic
def questionnaire_revoke(*, questionnaire: Questionnaire, actor: Any, reason: str) -> Questionnaire:
    """End a link for good; answers already proposed stay for review."""
    require(actor, "vendors.revoke_questionnaire", questionnaire)
    if not reason.strip():
        raise DomainError({"reason": "Say why the link is revoked."})
    questionnaire = _lock(questionnaire)
    return transition(
        questionnaire,
        to=Q.REVOKED,
        actor=actor,
        reason=reason.strip(),
        history=QuestionnaireTransition,
        subject_field="questionnaire",
    )


def _audit_access(
    questionnaire: Questionnaire, *, route: str, outcome: str, remote_addr: str | None, **extra
) -> None:
    """One audit entry per request under a link: who it was sent to, what, and the outcome."""
    LogEntry.objects.log_create(
        questionnaire,
        force_log=True,
        action=LogEntry.Action.ACCESS,
        actor=None,
        remote_addr=remote_addr or None,
        additional_data={
            "via": "questionnaire link",
            "contact": questionnaire.contact_email,
            "route": route,
            "outcome": outcome,
            **extra,
        },
    )


def questionnaire_access(
    *, token: str, route: str, remote_addr: str | None = None, **extra: Any
) -> Questionnaire:
    """Open the questionnaire a token names, or raise QuestionnaireLinkError; audited either way.

    Called on every request under a link, writes included, so expiry and revocation take
    effect at once on every route.
    """
    questionnaire = (
        Questionnaire.objects.select_related("assessment__vendor")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if questionnaire is None:
        raise QuestionnaireLinkError("unknown")
    now = timezone.now()
    if questionnaire.status == Q.REVOKED:
        outcome = "revoked"
    elif questionnaire.expires_at <= now:
        outcome = "expired"
    else:
        outcome = "allowed"
    _audit_access(questionnaire, route=route, outcome=outcome, remote_addr=remote_addr, **extra)
    if outcome != "allowed":
        raise QuestionnaireLinkError(outcome, questionnaire)
    Questionnaire.objects.filter(pk=questionnaire.pk).update(last_access_at=now)
    return questionnaire


def _asked_response(questionnaire: Questionnaire, response_id: int) -> Response:
    """One of the items this questionnaire asks; anything else is refused."""
    response = questionnaire.responses.select_related("item").filter(pk=response_id).first()
    if response is None:
        raise DomainError("This questionnaire does not ask that item.")
    return response


def _usable(questionnaire: Questionnaire) -> Questionnaire:
    questionnaire = _lock(questionnaire)
    if questionnaire.status != Q.OPEN or questionnaire.expires_at <= timezone.now():
        raise QuestionnaireLinkError("revoked" if questionnaire.status == Q.REVOKED else "expired")
    return questionnaire


def _pending(questionnaire: Questionnaire, response: Response) -> ProposedAnswer:
    """The item's answer still awaiting review, or a new one."""
    pending = (
        ProposedAnswer.objects.select_for_update()
        .filter(questionnaire=questionnaire, response=response, status=P.PROPOSED)
        .first()
    )
    return pending or ProposedAnswer(questionnaire=questionnaire, response=response)


@transaction.atomic
def answer_propose(
    *, questionnaire: Questionnaire, response_id: int, answer: str
) -> ProposedAnswer:
    """Record the vendor's answer to one item for review (editable until a reviewer decides)."""
    questionnaire = _usable(questionnaire)
    response = _asked_response(questionnaire, response_id)
    if not answer.strip():
        raise DomainError({"answer": "Write an answer before sending it."})
    proposal = _pending(questionnaire, response)
    proposal.answer = answer.strip()
    proposal.proposed_at = timezone.now()
    return save_validated(proposal)


@transaction.atomic
def answer_attach_file(
    *, questionnaire: Questionnaire, response_id: int, uploaded_file: Any
) -> ProposedFile:
    """Attach a vendor's file to its answer, after the same checks as staff evidence."""
    questionnaire = _usable(questionnaire)
    response = _asked_response(questionnaire, response_id)
    kind, size, sha256 = check_evidence_file(
        name=uploaded_file.name,
        fileobj=uploaded_file,
        max_bytes=settings.TOLLGATE_EVIDENCE_MAX_BYTES,
    )
    proposal = _pending(questionnaire, response)
    if proposal.pk is None:
        proposal = save_validated(proposal)
    attached = ProposedFile(
        answer=proposal,
        original_name=uploaded_file.name.replace("\\", "/").rsplit("/", 1)[-1][:255],
        kind=kind,
        size=size,
        sha256=sha256,
    )
    attached.full_clean(exclude=["file"])
    attached.file.save(uploaded_file.name, uploaded_file, save=False)
    try:
        attached.save()
    except Exception:
        attached.file.delete(save=False)
        raise
    return attached


def _answer_transition(answer: ProposedAnswer, *, to: str, actor: Any, reason: str, **updates):
    return transition(
        answer,
        to=to,
        actor=actor,
        reason=reason,
        history=ProposedAnswerTransition,
        subject_field="answer",
        extra_updates={"reviewed_by": actor, "reviewed_at": timezone.now(), **updates},
    )


def _lock_pending(answer: ProposedAnswer) -> ProposedAnswer:
    answer = (
        ProposedAnswer.objects.select_for_update()
        .select_related("response__item", "questionnaire")
        .get(pk=answer.pk)
    )
    if answer.status != P.PROPOSED:
        raise DomainError(f"This answer was already {answer.get_status_display().lower()}.")
    return answer


@audited
@transaction.atomic
def answer_accept(
    *,
    answer: ProposedAnswer,
    actor: Any,
    status: str = R.SATISFIED,
    reason: str = "",
    comment: str = "",
) -> ProposedAnswer:
    """Accept a vendor's answer: its files become evidence and the reviewer's verdict is set."""
    require(actor, "vendors.change_proposedanswer", answer)
    answer = _lock_pending(answer)
    response = answer.response
    known = set(response.evidence.values_list("sha256", flat=True))
    contact = answer.questionnaire.contact_email
    for proposed in answer.files.all():
        if proposed.sha256 in known:
            continue  # the same file accepted earlier: the evidence already holds it
        with proposed.file.open("rb") as handle:
            evidence_add(
                response=response,
                uploaded_file=File(handle, name=proposed.original_name),
                actor=actor,
                description=f"Sent by {contact} (questionnaire #{answer.questionnaire_id})",
            )
    response_set_verdict(
        response=response,
        status=status,
        actor=actor,
        reason=reason,
        comment=comment or f"Vendor's answer: {answer.answer}",
    )
    return _answer_transition(answer, to=P.ACCEPTED, actor=actor, reason=f"accepted as {status}")


@audited
@transaction.atomic
def answer_send_back(*, answer: ProposedAnswer, actor: Any, comment: str) -> ProposedAnswer:
    """Return a vendor's answer with a comment; the contact is told and may answer again."""
    require(actor, "vendors.change_proposedanswer", answer)
    if not comment.strip():
        raise DomainError({"review_comment": "Say what the vendor should change."})
    answer = _lock_pending(answer)
    answer = _answer_transition(
        answer,
        to=P.SENT_BACK,
        actor=actor,
        reason=comment.strip(),
        review_comment=comment.strip(),
    )
    questionnaire = answer.questionnaire
    if questionnaire.status == Q.OPEN and questionnaire.expires_at > timezone.now():
        body = render_to_string(
            "vendors/email/questionnaire_sent_back.txt",
            {"questionnaire": questionnaire, "answer": answer},
        )
        _email_on_commit(
            questionnaire,
            subject=f"Please revise an answer: {answer.response.item.title}",
            body=body,
        )
    return answer


def _unanswered(questionnaire: Questionnaire) -> int:
    """How many asked items have no answer pending or accepted."""
    answered = ProposedAnswer.objects.filter(
        questionnaire=questionnaire,
        response=OuterRef("pk"),
        status__in=[P.PROPOSED, P.ACCEPTED],
    )
    return questionnaire.responses.exclude(Exists(answered)).count()


@transaction.atomic
def questionnaire_reminders_send(*, now: datetime | None = None) -> int:
    """Remind contacts of unanswered items 14, 7, 3 and 1 days before the link expires.

    Each reminder is recorded before it is sent, so a second sweep (or a concurrent one,
    through the unique constraint) sends nothing twice. Return how many were sent.
    """
    now = now or timezone.now()
    horizon = now + timedelta(days=max(REMINDER_DAYS))
    sent = 0
    for questionnaire in Questionnaire.objects.filter(
        status=Q.OPEN, expires_at__gt=now, expires_at__lte=horizon
    ).select_related("assessment__vendor"):
        remaining = math.ceil((questionnaire.expires_at - now) / timedelta(days=1))
        # The smallest threshold reached: a missed day is caught up, but never with two mails.
        reached = [d for d in sorted(REMINDER_DAYS) if remaining <= d]
        if not reached:
            continue
        left = _unanswered(questionnaire)
        if not left:
            continue
        _, created = QuestionnaireReminder.objects.get_or_create(
            questionnaire=questionnaire, expires_at=questionnaire.expires_at, days_before=reached[0]
        )
        if not created:
            continue
        body = render_to_string(
            "vendors/email/questionnaire_reminder.txt",
            {"questionnaire": questionnaire, "remaining": remaining, "left": left},
        )
        _email_on_commit(
            questionnaire,
            subject=f"Reminder: {left} questionnaire item{'s' if left != 1 else ''} still open "
            f"for {questionnaire.assessment.vendor}",
            body=body,
        )
        sent += 1
    return sent
