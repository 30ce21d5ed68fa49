"""Assessments: one review round of a vendor, with responses, evidence and exceptions."""

from django.conf import settings
from django.db import models

from vendors.choices import AssessmentStatus, ExceptionStatus, ResponseStatus
from vendors.kit.transitions import TransitionRecord
from vendors.models.checklist import ChecklistItem
from vendors.models.registry import Offering, Vendor

A = AssessmentStatus
R = ResponseStatus
E = ExceptionStatus


class Assessment(models.Model):
    """A review round of a vendor (optionally of one offering) against the checklist."""

    TRANSITIONS = {
        A.IN_REVIEW: {A.APPROVED, A.REJECTED, A.WITHDRAWN},
        A.APPROVED: {A.IN_REVIEW},  # revoked: a signed response changed or lapsed
        A.REJECTED: {A.IN_REVIEW},
        A.WITHDRAWN: set(),
    }

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="assessments")
    offering = models.ForeignKey(
        Offering, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(max_length=16, choices=A.choices, default=A.IN_REVIEW)
    notes = models.TextField(blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_until = models.DateField(null=True, blank=True)
    approved_digest = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the content the approval covered."
    )

    class Meta:
        ordering = ["-opened_at"]
        permissions = [("approve_assessment", "Can approve or reject an assessment")]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor"],
                condition=models.Q(offering__isnull=True, status__in=[A.IN_REVIEW, A.APPROVED]),
                name="assessment_one_open_per_vendor",
                violation_error_message="This vendor already has an open or approved assessment.",
            ),
            models.UniqueConstraint(
                fields=["vendor", "offering"],
                condition=models.Q(offering__isnull=False, status__in=[A.IN_REVIEW, A.APPROVED]),
                name="assessment_one_open_per_offering",
                violation_error_message="This offering already has an open or approved assessment.",
            ),
        ]

    def __str__(self) -> str:
        subject = self.offering or self.vendor
        return f"Assessment #{self.pk} of {subject}"


class AssessmentTransition(TransitionRecord):
    """History of an assessment's status."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="history")


class Response(models.Model):
    """The verdict on one checklist item within an assessment."""

    REVIEWABLE = {R.SATISFIED, R.NOT_SATISFIED, R.NOT_APPLICABLE}
    TRANSITIONS = {
        R.OPEN: REVIEWABLE,
        R.SATISFIED: REVIEWABLE | {R.NEEDS_REVIEW},  # satisfied again renews the verdict
        R.NOT_SATISFIED: REVIEWABLE | {R.EXCEPTED, R.NEEDS_REVIEW},
        R.NOT_APPLICABLE: REVIEWABLE | {R.NEEDS_REVIEW},
        R.EXCEPTED: {R.NOT_SATISFIED, R.NEEDS_REVIEW},
        R.NEEDS_REVIEW: REVIEWABLE,
    }
    # Verdicts a reviewer sets directly; excepted and needs_review come from exceptions
    # and the re-review sweep.
    VERDICTS = REVIEWABLE

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="responses")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="responses")
    status = models.CharField(max_length=16, choices=R.choices, default=R.OPEN)
    reason = models.TextField(blank=True, help_text="Why the item does not apply.")
    comment = models.TextField(blank=True)
    verdict_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verdict_at = models.DateTimeField(null=True, blank=True)
    expires_on = models.DateField(
        null=True, blank=True, help_text="After this day the verdict needs review again."
    )

    class Meta:
        ordering = ["item__position", "item__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "item"],
                name="response_unique_item",
                violation_error_message="This assessment already has a response for this item.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=R.NOT_APPLICABLE) | ~models.Q(reason=""),
                name="response_not_applicable_needs_reason",
                violation_error_message="Say why the item does not apply.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code}: {self.get_status_display()}"


class ResponseTransition(TransitionRecord):
    """History of a response's verdicts."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="history")


def evidence_path(instance: "Evidence", filename: str) -> str:
    """Store evidence under its assessment, named by content hash (no user-chosen paths)."""
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"evidence/{instance.response.assessment_id}/{instance.sha256}.{extension}"


class Evidence(models.Model):
    """A file supporting a verdict, type-checked by content and hashed on upload."""

    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=300)
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name_plural = "evidence"
        constraints = [
            models.UniqueConstraint(
                fields=["response", "sha256"],
                name="evidence_unique_per_response",
                violation_error_message="This file is already attached to this item.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"


class RiskException(models.Model):
    """A time-boxed risk acceptance for a not-satisfied item, with compensating controls."""

    MAX_DAYS = 180
    TRANSITIONS = {E.ACTIVE: {E.EXPIRED, E.REVOKED}, E.EXPIRED: set(), E.REVOKED: set()}

    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="exceptions")
    justification = models.TextField()
    compensating_controls = models.TextField()
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(auto_now_add=True)
    expires_on = models.DateField()
    status = models.CharField(max_length=16, choices=E.choices, default=E.ACTIVE)

    class Meta:
        ordering = ["-approved_at"]
        verbose_name = "exception"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(justification="") & ~models.Q(compensating_controls=""),
                name="exception_needs_justification_and_controls",
                violation_error_message="An exception needs a justification and compensating "
                "controls.",
            ),
            models.UniqueConstraint(
                fields=["response"],
                condition=models.Q(status=E.ACTIVE),
                name="exception_one_active_per_response",
                violation_error_message="This item already has an active exception.",
            ),
        ]

    def __str__(self) -> str:
        return f"Exception for {self.response.item.code} until {self.expires_on}"


class ExceptionTransition(TransitionRecord):
    """History of an exception's status."""

    exception = models.ForeignKey(RiskException, on_delete=models.CASCADE, related_name="history")


class ExpiryReminder(models.Model):
    """A reminder already sent, so the daily sweep never sends the same one twice."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="reminders")
    due_on = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "due_on", "days_before"], name="reminder_sent_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.days_before}-day reminder for {self.response} due {self.due_on}"
