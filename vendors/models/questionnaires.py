"""Vendor questionnaires: checklist items sent to a vendor contact, answered through a link.

The contact has no account. The link carries a random token of which only the SHA-256 is
stored; it opens this one questionnaire and nothing else, until it expires or is revoked.
Whatever the contact sends is a proposed answer: only a reviewer turns it into a verdict.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from vendors.choices import ProposedAnswerStatus, QuestionnaireStatus
from vendors.kit.transitions import TransitionRecord
from vendors.models.assessments import Assessment, Response

Q = QuestionnaireStatus
P = ProposedAnswerStatus


class Questionnaire(models.Model):
    """The applicable items of an assessment, sent to one vendor contact with an expiring link."""

    DEFAULT_DAYS = 30
    MAX_DAYS = 90
    TRANSITIONS = {Q.OPEN: {Q.REVOKED}, Q.REVOKED: set()}

    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="questionnaires"
    )
    responses = models.ManyToManyField(
        Response, related_name="questionnaires", help_text="The checklist items asked."
    )
    contact_name = models.CharField(max_length=200)
    contact_email = models.EmailField()
    message = models.TextField(blank=True, help_text="A note to the contact, sent in the email.")
    token_hash = models.CharField(
        max_length=64, unique=True, editable=False, help_text="SHA-256 of the link's token."
    )
    status = models.CharField(max_length=16, choices=Q.choices, default=Q.OPEN)
    expires_at = models.DateTimeField(help_text="The link stops working at this time.")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    last_access_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        permissions = [("revoke_questionnaire", "Can extend or revoke a questionnaire link")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(contact_name="") & ~models.Q(contact_email=""),
                name="questionnaire_needs_contact",
                violation_error_message="A questionnaire needs a contact name and email.",
            ),
        ]

    def __str__(self) -> str:
        return f"Questionnaire #{self.pk} to {self.contact_email}"


class QuestionnaireTransition(TransitionRecord):
    """History of a questionnaire's status (extensions are recorded with open -> open)."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="history"
    )


class ProposedAnswer(models.Model):
    """A vendor's answer to one item, waiting for the item's owner role to accept or send back."""

    TRANSITIONS = {P.PROPOSED: {P.ACCEPTED, P.SENT_BACK}, P.ACCEPTED: set(), P.SENT_BACK: set()}

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="answers"
    )
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="proposals")
    answer = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=P.choices, default=P.PROPOSED)
    # Set by the vendor's writes only (not auto_now: the review must not move it).
    proposed_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["response__item__position", "response__item__code", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "response"],
                condition=models.Q(status=P.PROPOSED),
                name="proposed_answer_one_pending_per_item",
                violation_error_message="This item already has an answer waiting for review.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=P.SENT_BACK) | ~models.Q(review_comment=""),
                name="proposed_answer_sent_back_with_comment",
                violation_error_message="Say why the answer is sent back.",
            ),
        ]

    def __str__(self) -> str:
        return f"Answer to {self.response.item.code} ({self.get_status_display().lower()})"


class ProposedAnswerTransition(TransitionRecord):
    """History of a proposed answer's review."""

    answer = models.ForeignKey(ProposedAnswer, on_delete=models.CASCADE, related_name="history")


def proposed_file_path(instance: "ProposedFile", filename: str) -> str:
    """Keep vendor uploads apart from accepted evidence, named by content hash."""
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"questionnaires/{instance.answer.questionnaire_id}/{instance.sha256}.{extension}"


class ProposedFile(models.Model):
    """A vendor's file for an answer, checked like staff evidence; evidence once accepted."""

    answer = models.ForeignKey(ProposedAnswer, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to=proposed_file_path, max_length=300)
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["answer", "sha256"],
                name="proposed_file_unique_per_answer",
                violation_error_message="This file is already attached to this answer.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"


class QuestionnaireReminder(models.Model):
    """A reminder already emailed, so the daily sweep never sends the same one twice."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="reminders"
    )
    # The expiry the reminder counted down to: extending the link re-arms the reminders.
    expires_at = models.DateTimeField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "expires_at", "days_before"],
                name="questionnaire_reminder_sent_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.days_before}-day reminder for {self.questionnaire}"
