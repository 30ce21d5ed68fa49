"""Model switches (the version behind an offering changed) and rollback decisions."""

from django.conf import settings
from django.db import models

from vendors.choices import RereviewStatus, SwitchSource
from vendors.kit.transitions import TransitionRecord
from vendors.models.assessments import Response
from vendors.models.registry import ModelVersion, Offering

S = RereviewStatus


class ModelSwitch(models.Model):
    """A new model version took over an offering's traffic; its re-review is open until signed."""

    TRANSITIONS = {S.OPEN: {S.SETTLED}, S.SETTLED: set()}

    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="model_switches")
    from_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    to_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="switches_to"
    )
    detected_on = models.DateField(help_text="The day the new version took over.")
    detected_from = models.CharField(max_length=16, choices=SwitchSource.choices)
    detail = models.CharField(max_length=500, help_text="What showed the switch, in words.")
    # Release to majority traffic: the second half of the time-to-model-update metric.
    days_to_adopt = models.IntegerField(null=True, blank=True, editable=False)
    status = models.CharField(
        max_length=16, choices=RereviewStatus.choices, default=S.OPEN, editable=False
    )
    reopened = models.ManyToManyField(
        Response,
        blank=True,
        related_name="model_switches",
        help_text="The verdicts this switch sent back to review.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-detected_on", "-id"]
        verbose_name_plural = "model switches"
        constraints = [
            # Detection re-reads every imported day: a switch is recorded once per pair.
            models.UniqueConstraint(
                fields=["offering", "from_version", "to_version"],
                name="model_switch_once",
                violation_error_message="This switch is already recorded for this offering.",
            ),
            models.CheckConstraint(
                condition=~models.Q(from_version=models.F("to_version")),
                name="model_switch_changes_version",
                violation_error_message="A switch goes from one version to another.",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RereviewStatus.values),
                name="model_switch_status_valid",
                violation_error_message="Unknown re-review status.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offering}: {self.from_version} → {self.to_version} on {self.detected_on}"


class ModelSwitchTransition(TransitionRecord):
    """History of a switch's re-review."""

    switch = models.ForeignKey(ModelSwitch, on_delete=models.CASCADE, related_name="history")


class ModelRollback(models.Model):
    """A decision to take a model version out of use in favour of its rollback target."""

    model_version = models.OneToOneField(
        ModelVersion, on_delete=models.PROTECT, related_name="rollback"
    )
    target = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""),
                name="model_rollback_has_reason",
                violation_error_message="Say why the version is rolled back.",
            ),
            models.CheckConstraint(
                condition=~models.Q(target=models.F("model_version")),
                name="model_rollback_target_differs",
                violation_error_message="A version cannot roll back to itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_version} rolled back to {self.target}"
