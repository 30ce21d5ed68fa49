"""Measurements during a pilot, checkpoint evaluations of its kill criteria, notifications."""

from django.conf import settings
from django.db import models

from governance.choices import NotificationKind, Source, Tier, Verdict
from governance.models.pilots import KillCriterion, Metric, Pilot


class Measurement(models.Model):
    """One period's value of a metric (and tier) for a running pilot; upserted by its key."""

    # No index of its own: the key's unique index starts with pilot_id, and a second one only
    # slows every insert (ingest of 10,000 rows a request).
    pilot = models.ForeignKey(
        Pilot, on_delete=models.CASCADE, related_name="measurements", db_index=False
    )
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(max_length=16, choices=Tier.choices, blank=True, default="")
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.DecimalField(max_digits=16, decimal_places=4)
    sample_size = models.PositiveIntegerField()
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    recorded_at = models.DateTimeField(auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        # By the key's columns, not the related models' orderings: "pilot" would sort a million
        # rows by the pilot's created_at through a join; these are the unique index's order.
        ordering = ["pilot_id", "metric_id", "tier", "period_start", "period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "metric", "tier", "period_start", "period_end"],
                name="measurement_key",
                violation_error_message="A measurement for this key exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="measurement_period_ordered",
                violation_error_message="The period ends before it starts.",
            ),
            models.CheckConstraint(
                condition=models.Q(sample_size__gte=1),
                name="measurement_sample_positive",
                violation_error_message="The sample size must be above zero.",
            ),
        ]
        indexes = [models.Index(fields=["pilot", "metric", "tier", "period_end"])]

    def __str__(self) -> str:
        return f"{self.metric} {self.tier} {self.period_start}..{self.period_end}: {self.value}"


class CheckpointEvaluation(models.Model):
    """The judgement of a pilot's kill criteria at one checkpoint day (one per day: idempotent)."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="evaluations")
    checkpoint_day = models.PositiveIntegerField()
    window_start = models.DateField(help_text="Periods ending after this day count...")
    window_end = models.DateField(help_text="...up to and including this day.")
    kill_recommended = models.BooleanField(default=False)
    evaluated_at = models.DateTimeField(auto_now_add=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["pilot", "checkpoint_day"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "checkpoint_day"],
                name="evaluation_once_per_checkpoint",
                violation_error_message="This checkpoint was already evaluated.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pilot} day {self.checkpoint_day}"


class CriterionResult(models.Model):
    """One kill criterion's value, baseline, delta and verdict at a checkpoint."""

    evaluation = models.ForeignKey(
        CheckpointEvaluation, on_delete=models.CASCADE, related_name="results"
    )
    criterion = models.ForeignKey(KillCriterion, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=16, decimal_places=4, null=True)
    baseline = models.DecimalField(max_digits=16, decimal_places=4, null=True)
    delta_pct = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    periods = models.PositiveIntegerField(default=0, help_text="Periods in the window.")
    too_small = models.PositiveIntegerField(
        default=0, help_text="Periods in the window left out: sample below the minimum."
    )
    explanation = models.TextField()

    class Meta:
        ordering = ["evaluation", "criterion"]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.get_verdict_display()}"


class CheckpointReminder(models.Model):
    """That a checkpoint's owner and finance were told it is due, or evaluated (once each)."""

    class Kind(models.TextChoices):
        DUE = "due", "Due in 7 days"
        EVALUATED = "evaluated", "Evaluated"

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="reminders")
    checkpoint_day = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pilot", "checkpoint_day", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "checkpoint_day", "kind"],
                name="checkpoint_reminder_once",
                violation_error_message="This reminder was already sent.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pilot} day {self.checkpoint_day}: {self.get_kind_display()}"


class Notification(models.Model):
    """An in-app message for one user (also e-mailed through the configured backend)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title
