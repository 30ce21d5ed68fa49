"""Pilots: scoped, baselined, pre-committed trials of an AI coding offering."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from governance.choices import (
    Comparator,
    Direction,
    PilotOutcome,
    PilotStatus,
    Source,
    Tier,
    Workflow,
)
from vendors.kit.transitions import TransitionRecord
from vendors.models import Offering

P = PilotStatus
DEFAULT_CHECKPOINTS = (30, 90, 180)
# The measurement window in days: a checkpoint past it would judge data nobody committed to
# collect. Six calendar months are 181-184 days; 183 admits the usual day-180 review.
WINDOW_DAYS = {6: 183, 12: 365}
# The default checkpoints follow the window: a 12-month pilot is also reviewed at its end.
WINDOW_CHECKPOINTS = {6: (30, 90, 180), 12: (30, 90, 180, 365)}
# What an AI PM writes into a pilot's charter, its scope and then its plan: one list for the
# service, the form and the API.
CHARTER_SCOPE = ("title", "offering", "teams", "workflows", "use_case")
CHARTER_PLAN = (
    "planned_start",
    "planned_end",
    "duration_justification",
    "window_months",
    "checkpoint_days",
    "grace_days",
    "grace_reason",
)
CHARTER_FIELDS = (*CHARTER_SCOPE, *CHARTER_PLAN)
# Planned duration without a written justification (the design card's 60-90 days).
MIN_DAYS, MAX_DAYS = 60, 90


def default_checkpoints() -> list[int]:
    return list(DEFAULT_CHECKPOINTS)


def window_checkpoints(window_months: int) -> list[int]:
    """The default checkpoint days of a 6- or 12-month measurement window."""
    return list(WINDOW_CHECKPOINTS.get(window_months, DEFAULT_CHECKPOINTS))


class Team(models.Model):
    """An engineering team that takes part in pilots."""

    name = models.CharField(max_length=120, unique=True)
    cost_centre = models.CharField(max_length=40)
    headcount = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    # How imported evidence names the team: a gateway's team id or alias, a GitHub team slug.
    gateway_key = models.CharField(
        max_length=200, blank=True, help_text="The team's id or alias in the AI gateway's logs."
    )
    github_slug = models.CharField(
        max_length=100, blank=True, help_text="The GitHub team whose members belong to it."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(headcount__gte=1),
                name="team_headcount_positive",
                violation_error_message="A team has at least one engineer.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Metric(models.Model):
    """A metric finance trusts, with its unit and which direction is better."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=40, help_text="e.g. hours, minutes, ratio, USD")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    core = models.BooleanField(
        default=False, help_text="Core metrics need a baseline before a pilot is submitted."
    )
    tiered = models.BooleanField(default=False, help_text="Measured per complexity tier.")
    description = models.TextField(blank=True)
    example = models.CharField(
        max_length=40, blank=True, help_text="A typical value in its unit, shown on forms."
    )
    lowest = models.DecimalField(
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="The smallest value that makes sense (a ratio: 0); empty: no limit.",
    )
    highest = models.DecimalField(
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="The largest value that makes sense (a ratio: 1, a percent: 100).",
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lowest__isnull=True)
                | models.Q(highest__isnull=True)
                | models.Q(highest__gt=models.F("lowest")),
                name="metric_range_ordered",
                violation_error_message="The highest sensible value must be above the lowest.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def hint(self) -> str:
        """The unit, its range and an example in words, e.g. "ratio from 0 to 1, e.g. 0.14"."""
        parts = [self.unit]
        if self.lowest is not None and self.highest is not None:
            parts.append(f"from {_plain_number(self.lowest)} to {_plain_number(self.highest)}")
        elif self.lowest is not None:
            parts.append(f"{_plain_number(self.lowest)} or more")
        hint = " ".join(parts)
        return f"{hint}, e.g. {self.example}" if self.example else hint

    def value_problem(self, value: Decimal | None) -> str | None:
        """Why a value typed for this metric cannot be right (outside its range), or None."""
        if value is None:
            return None
        low, high = self.lowest, self.highest
        if (low is None or value >= low) and (high is None or value <= high):
            return None
        text = f"{self.name} is in {self.hint}; {_plain_number(value)} is outside that."
        if self.unit == "ratio" and high == 1 and 1 < value <= 100:
            # The usual slip: a percent typed where a ratio belongs (4.2 meaning 4.2%).
            text += f" For {_plain_number(value)}% give {_plain_number(value / 100)}."
        return text


class Pilot(models.Model):
    """A scoped trial of an offering by 1-3 teams on 1-2 workflows, with a measurement window."""

    TRANSITIONS = {
        P.DRAFT: {P.SUBMITTED, P.WITHDRAWN},
        P.SUBMITTED: {P.APPROVED, P.DRAFT, P.WITHDRAWN},
        P.APPROVED: {P.RUNNING},
        P.RUNNING: {P.UNDER_REVIEW},
        P.UNDER_REVIEW: {P.CLOSED},
        P.CLOSED: set(),
        P.WITHDRAWN: set(),
    }
    # Scope, baselines, kill criteria, window and checkpoints change only in these statuses.
    EDITABLE = {P.DRAFT, P.SUBMITTED}

    title = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="pilots")
    teams = models.ManyToManyField(Team, related_name="pilots", blank=True)
    # Teams outside the pilot whose series are the counterfactual (docs/effects.md).
    control_teams = models.ManyToManyField(
        Team,
        related_name="control_for",
        blank=True,
        help_text="Teams not in the pilot whose weekly series show what would have happened.",
    )
    workflows = models.JSONField(default=list, help_text="1 or 2 workflows.")
    use_case = models.TextField()
    agentic = models.BooleanField(help_text="Defaults from the offering.")
    planned_start = models.DateField()
    planned_end = models.DateField()
    duration_justification = models.TextField(
        blank=True, help_text=f"Required when the pilot is not {MIN_DAYS}-{MAX_DAYS} days long."
    )
    window_months = models.PositiveSmallIntegerField(
        choices=[(6, "6 months"), (12, "12 months")], default=6
    )
    checkpoint_days = models.JSONField(default=default_checkpoints)
    grace_days = models.PositiveIntegerField(
        default=60, validators=[MaxValueValidator(365)], help_text="Stabilisation grace period."
    )
    grace_reason = models.TextField(
        blank=True,
        help_text="Required for a grace period of 0 days: why no early dip is expected.",
    )
    status = models.CharField(max_length=16, choices=P.choices, default=P.DRAFT)
    outcome = models.CharField(max_length=16, choices=PilotOutcome.choices, blank=True)
    kill_recommended = models.BooleanField(default=False, editable=False)
    started_on = models.DateField(null=True, blank=True, editable=False)
    closed_on = models.DateField(null=True, blank=True, editable=False)
    charter_digest = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("approve_pilot", "Can approve a pilot (after its sign-offs)"),
            ("set_controls_pilot", "Can choose a pilot's control teams"),
            ("view_portfolio_pilot", "Can read the finance portfolio of pilots and spend"),
            ("view_funnel_pilot", "Can read the adoption funnel of pilots and assessments"),
        ]
        indexes = [
            # The pilot list and the API read their newest page from this index instead of
            # sorting every pilot.
            models.Index(models.F("created_at").desc(), name="pilot_created_at_desc"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__gt=models.F("planned_start")),
                name="pilot_end_after_start",
                violation_error_message="The planned end must be after the planned start.",
            ),
            models.CheckConstraint(
                condition=models.Q(window_months__in=[6, 12]),
                name="pilot_window_6_or_12",
                violation_error_message="The measurement window is 6 or 12 months.",
            ),
            models.CheckConstraint(
                condition=(models.Q(status=P.CLOSED) & ~models.Q(outcome=""))
                | (~models.Q(status=P.CLOSED) & models.Q(outcome="")),
                name="pilot_outcome_iff_closed",
                violation_error_message="A closed pilot has an outcome; an open one has none.",
            ),
            models.CheckConstraint(
                condition=~models.Q(grace_days=0) | ~models.Q(grace_reason=""),
                name="pilot_no_grace_has_reason",
                violation_error_message="A grace period of 0 days needs a written reason.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def frozen(self) -> bool:
        """Scope and pre-commitments no longer change (approved or later)."""
        return self.status not in self.EDITABLE

    @property
    def planned_days(self) -> int:
        return (self.planned_end - self.planned_start).days

    @property
    def workflow_labels(self) -> list[str]:
        """The workflows as people read them ("Multi-file refactor", not its code)."""
        labels = dict(Workflow.choices)
        return [labels.get(code, code) for code in self.workflows or []]

    @property
    def window_days(self) -> int:
        """The last day a checkpoint may fall on."""
        return WINDOW_DAYS.get(self.window_months, WINDOW_DAYS[6])

    def clean(self) -> None:
        errors = {}
        workflows = self.workflows
        if not isinstance(workflows, list) or not set(workflows) <= set(Workflow.values):
            errors["workflows"] = f"Choose workflows from {', '.join(Workflow.values)}."
        elif len(set(workflows)) != len(workflows):
            errors["workflows"] = "A workflow is listed twice."
        elif len(workflows) > 2:
            errors["workflows"] = "A pilot covers at most 2 workflows."
        checkpoints = self.checkpoint_days
        if (
            not isinstance(checkpoints, list)
            or not checkpoints
            or not all(isinstance(d, int) and 0 < d <= 730 for d in checkpoints)
            or sorted(set(checkpoints)) != checkpoints
        ):
            errors["checkpoint_days"] = (
                "Give checkpoint days as increasing whole days, e.g. [30, 90, 180]."
            )
        elif self.window_months in WINDOW_DAYS and max(checkpoints) > self.window_days:
            outside = ", ".join(str(d) for d in checkpoints if d > self.window_days)
            errors["checkpoint_days"] = (
                f"A {self.window_months}-month measurement window ends on day "
                f"{self.window_days}: checkpoint day {outside} lies outside it."
            )
        if self.grace_days == 0 and not (self.grace_reason or "").strip():
            errors["grace_reason"] = (
                "A grace period of 0 days needs a written reason: why is no early dip expected?"
            )
        if self.planned_start and self.planned_end and self.planned_end > self.planned_start:
            days = self.planned_days
            if not MIN_DAYS <= days <= MAX_DAYS and not self.duration_justification.strip():
                errors["duration_justification"] = (
                    f"The pilot runs {days} days; explain why it is not {MIN_DAYS}-{MAX_DAYS} days."
                )
        if errors:
            raise ValidationError(errors)


class PilotTransition(TransitionRecord):
    """History of a pilot's status."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="history")


class Baseline(models.Model):
    """A measured actual (never an estimate) for a metric before the pilot starts."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="baselines")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(max_length=16, choices=Tier.choices, blank=True, default="")
    value = models.DecimalField(
        max_digits=16,
        decimal_places=4,
        help_text="In the metric's unit (its hint says which, with its range and an example): "
        "hours, minutes, a ratio from 0 to 1, a percent from 0 to 100.",
    )
    sample_size = models.PositiveIntegerField(
        help_text="How many items the value was measured over (PRs, requests, defects)."
    )
    period_start = models.DateField()
    period_end = models.DateField()
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    provenance = models.JSONField(
        default=dict,
        blank=True,
        help_text="For a computed baseline: the teams, window, series and query it came from.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["metric__position", "tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "metric", "tier"],
                name="baseline_unique",
                violation_error_message="This pilot already has a baseline for this metric "
                "and tier.",
            ),
            models.CheckConstraint(
                condition=models.Q(sample_size__gte=1),
                name="baseline_sample_positive",
                violation_error_message="A baseline needs a sample size above zero.",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="baseline_period_ordered",
                violation_error_message="The measured period ends before it starts.",
            ),
        ]

    def __str__(self) -> str:
        tier = f" ({self.get_tier_display().lower()})" if self.tier else ""
        return f"{self.metric}{tier}: {self.value}"

    def clean(self) -> None:
        # Every problem at once: a form that reports one mistake per attempt is a guessing game.
        errors = {}
        if self.metric_id and self.metric.tiered != bool(self.tier):
            errors["tier"] = _tier_message(self.metric)
        # Typed values only: a derived baseline is what the evidence says, even if odd.
        if self.metric_id and self.source != Source.DERIVED:
            problem = self.metric.value_problem(self.value)
            if problem:
                errors["value"] = problem
        if self.source == Source.DERIVED and not self.provenance:
            # "Derived" is a claim about where a number came from; only the computation that
            # records its provenance may make it.
            errors["source"] = "Only a baseline computed from imported evidence is derived."
        if self.pilot_id and self.period_end and self.period_end >= self.pilot.planned_start:
            errors["period_end"] = (
                "A baseline is measured before the pilot: its period must end "
                f"before the planned start ({self.pilot.planned_start})."
            )
        if errors:
            raise ValidationError(errors)


class KillCriterion(models.Model):
    """A pre-committed condition under which the pilot should be killed."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="kill_criteria")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(max_length=16, choices=Tier.choices, blank=True, default="")
    comparator = models.CharField(
        max_length=12,
        choices=Comparator.choices,
        help_text="Worse than baseline: the threshold is a percent change in the metric's bad "
        "direction. Above or below: the threshold is a value in the metric's own unit.",
    )
    threshold = models.DecimalField(
        max_digits=16,
        decimal_places=4,
        help_text="For worse than baseline, a percent (20 = 20% worse). For above or below, a "
        "value in the metric's unit (a ratio such as 0.2, hours such as 30).",
    )
    evaluate_from_day = models.PositiveIntegerField(
        help_text="The pilot day from which it counts: not before the end of the stabilisation "
        "grace, which protects the expected early dip."
    )
    consecutive_periods = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="How many periods in a row must breach (1 to 24): one bad week is noise.",
    )
    min_sample_size = models.PositiveIntegerField(
        default=20,
        validators=[MinValueValidator(1)],
        help_text="Periods with a smaller sample are too small: they neither breach nor break "
        "a run of consecutive periods.",
    )
    require_clear_breach = models.BooleanField(
        default=False,
        help_text="Count a breach only when it is clear at 95%: each period's interval (when it "
        "recorded a spread) or the interval of the last periods' mean lies wholly beyond the "
        "limit.",
    )

    class Meta:
        ordering = ["metric__position", "tier", "id"]
        verbose_name_plural = "kill criteria"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(consecutive_periods__gte=1),
                name="kill_consecutive_positive",
                violation_error_message="At least one period.",
            ),
            models.CheckConstraint(
                condition=models.Q(min_sample_size__gte=1),
                name="kill_min_sample_positive",
                violation_error_message="The minimum sample size per period is at least 1.",
            ),
            models.CheckConstraint(
                condition=~models.Q(comparator="worse_pct") | models.Q(threshold__gt=0),
                name="kill_percent_positive",
                violation_error_message="A percentage threshold must be above zero.",
            ),
        ]

    def __str__(self) -> str:
        return self.plain_words

    def clean(self) -> None:
        errors = {}
        if self.metric_id and self.metric.tiered != bool(self.tier):
            errors["tier"] = _tier_message(self.metric)
        if (
            self.pilot_id
            and self.evaluate_from_day is not None
            and (self.evaluate_from_day < self.pilot.grace_days)
        ):
            errors["evaluate_from_day"] = (
                f"Evaluation starts on day {self.pilot.grace_days} at the earliest: the pilot's "
                "stabilisation grace period protects the expected early dip."
            )
        if self.metric_id and self.comparator in (Comparator.ABOVE, Comparator.BELOW):
            problem = self.metric.value_problem(self.threshold)
            if problem:
                errors["threshold"] = problem
        if errors:
            raise ValidationError(errors)

    @property
    def plain_words(self) -> str:
        """e.g. kill if reviewer minutes per PR are 20% worse than baseline for 2 periods ..."""
        name = self.metric.name if self.metric_id else "The metric"
        subject = name[0].lower() + name[1:]  # keeps acronyms: "reviewer minutes per PR"
        if self.tier:
            subject += f" ({self.get_tier_display().lower()} PRs)"
        threshold = _plain_number(self.threshold)
        if self.comparator == Comparator.WORSE_THAN_BASELINE_PCT:
            condition = f"is {threshold}% worse than baseline"
        elif self.comparator == Comparator.ABOVE:
            condition = f"is above {threshold} {self.metric.unit}"
        else:
            condition = f"is below {threshold} {self.metric.unit}"
        if self.require_clear_breach:
            beyond = condition.removeprefix("is ")
            condition = f"is clearly {beyond} (its 95% interval wholly beyond the limit)"
        periods = self.consecutive_periods
        minimum = self.min_sample_size
        return (
            f"kill if {subject} {condition} for {periods} period{'s' if periods != 1 else ''} "
            f"after day {self.evaluate_from_day}, counting only periods with a sample of at "
            f"least {minimum}"
        )


def _tier_message(metric: Metric) -> str:
    if metric.tiered:
        return f"{metric} is measured per complexity tier: choose a tier."
    return f"{metric} is not measured per tier: leave the tier empty."


def _plain_number(value: Decimal) -> str:
    text = format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)
    return text
