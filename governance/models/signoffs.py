"""Sign-offs: a person, in a role, approving or rejecting exact content."""

from django.conf import settings
from django.db import models

from governance.choices import Decision, Role, SubjectKind


class SignOff(models.Model):
    """One signature: role, user, decision, comment, time, and the digest of what was signed."""

    subject_kind = models.CharField(max_length=32, choices=SubjectKind.choices)
    subject_id = models.PositiveBigIntegerField()
    role = models.CharField(max_length=16, choices=Role.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    comment = models.TextField(blank=True)
    digest = models.CharField(
        max_length=64, help_text="SHA-256 of the canonical JSON of the subject when signed."
    )
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["subject_kind", "subject_id", "role"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decision=Decision.REJECT) | ~models.Q(comment=""),
                name="signoff_reject_needs_comment",
                violation_error_message="Say why you reject.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.user} as {self.role}"
