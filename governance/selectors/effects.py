"""A pilot's effects per metric against its control teams, and teams suggested as controls.

Reads the weekly team series (TeamMetricValue) in a fixed number of queries, whatever the
number of teams, weeks or metrics, and hands the arithmetic to governance/effects.py.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from governance.choices import Direction, Tier
from governance.effects import (
    METHOD_BEFORE_AFTER,
    METHOD_DID,
    MIN_OVERLAP_WEEKS,
    NO_CONTROLS_WARNING,
    Effect,
    arm_series,
    estimate_effect,
    match_score,
    sentence,
    verdict,
)
from governance.models import KillCriterion, Metric, Pilot, Team, TeamMetricValue
from governance.services.team_metrics import DEFAULT_BASELINE_WEEKS, week_of

CONFIDENCE = 0.95
TIER_ORDER = {tier: position for position, tier in enumerate(Tier.values)}
SUGGESTIONS = 5


# What a series' sample size counts, by the evidence it came from (TeamMetricValue.source).
SAMPLE_NOUNS = {"github": "PRs", "gateway": "requests", "copilot": "user-days"}


@dataclass(frozen=True)
class MetricEstimate:
    """One metric (and tier) of a pilot: an effect with its interval, in words."""

    metric: Metric
    tier: str
    effect: Effect
    sample: str  # what the sample sizes count: PRs, requests, user-days

    @property
    def verdict(self) -> str:
        return verdict(self.effect, lower_is_better=self.metric.direction == Direction.LOWER)

    @property
    def sentence(self) -> str:
        return sentence(self.effect, unit=self.metric.unit, sample=self.sample)


@dataclass(frozen=True)
class MetricEffect(MetricEstimate):
    """A checkpoint's effect of one metric: against which control teams, over which days."""

    control_teams: list[str]
    after_from: date
    after_to: date


@dataclass(frozen=True)
class Suggestion:
    """A team whose baseline-window series moves like the pilot's (lower score = closer)."""

    team: Team
    score: float
    weeks: int


def pilot_window_start(pilot: Pilot) -> date:
    """The day the pilot started (its planned start until it does)."""
    return pilot.started_on or pilot.planned_start


def baseline_weeks(pilot: Pilot, weeks: int = DEFAULT_BASELINE_WEEKS) -> list[date]:
    """The Mondays of the baseline window: the weeks before the pilot's start week."""
    end = week_of(pilot_window_start(pilot))
    return [end - timedelta(weeks=k) for k in range(weeks, 0, -1)]


def after_weeks(pilot: Pilot, *, from_day: int, checkpoint: int) -> list[date]:
    """The Mondays of whole weeks from day `from_day` (past grace) to day `checkpoint`."""
    start = pilot_window_start(pilot)
    first, last = start + timedelta(days=from_day), start + timedelta(days=checkpoint)
    monday = week_of(first)
    if monday < first:
        monday += timedelta(weeks=1)
    weeks = []
    while monday + timedelta(days=6) <= last:
        weeks.append(monday)
        monday += timedelta(weeks=1)
    return weeks


def _rows(
    team_ids: set[int], metric_ids=None, *, since: date, until: date, sources: dict | None = None
) -> dict:
    """(metric_id, tier) -> team -> [(team, week, value, n)] in one query; `sources`, when
    given, gets each series' source (what its sample sizes count)."""
    values = TeamMetricValue.objects.filter(
        team_id__in=team_ids, period_start__gte=since, period_start__lte=until
    )
    if metric_ids is not None:
        values = values.filter(metric_id__in=metric_ids)
    grouped: dict = defaultdict(lambda: defaultdict(list))
    for team_id, metric_id, tier, week, value, n, source in values.values_list(
        "team_id", "metric_id", "tier", "period_start", "value", "sample_size", "source"
    ):
        grouped[(metric_id, tier)][team_id].append((team_id, week, float(value), n))
        if sources is not None:
            sources[(metric_id, tier)] = source
    return grouped


def pilot_effects(
    *, pilot: Pilot, checkpoint: int, confidence: float = CONFIDENCE
) -> list[MetricEffect]:
    """Every metric the pilot's teams have a series for, as an effect at the checkpoint day."""
    if not 0 < checkpoint <= 730:
        raise ValidationError({"checkpoint": "Give a checkpoint day between 1 and 730."})
    pilot_ids = set(pilot.teams.values_list("pk", flat=True))
    controls = list(pilot.control_teams.order_by("name"))
    control_ids = {team.pk for team in controls}
    evaluate_from: dict[tuple[int, str], int] = {}
    for metric_id, tier, day in KillCriterion.objects.filter(pilot=pilot).values_list(
        "metric_id", "tier", "evaluate_from_day"
    ):
        # The strictest criterion wins: no period it would still call grace may count.
        evaluate_from[(metric_id, tier)] = max(day, evaluate_from.get((metric_id, tier), 0))
    before = baseline_weeks(pilot)
    until = pilot_window_start(pilot) + timedelta(days=checkpoint)
    sources: dict = {}
    grouped = _rows(pilot_ids | control_ids, since=before[0], until=until, sources=sources)
    metrics = Metric.objects.in_bulk({metric_id for metric_id, _ in grouped})
    results = []
    for (metric_id, tier), by_team in grouped.items():
        metric = metrics[metric_id]
        if metric.tiered != bool(tier) or not pilot_ids & set(by_team):
            continue
        from_day = evaluate_from.get((metric_id, tier), pilot.grace_days)
        after = after_weeks(pilot, from_day=from_day, checkpoint=checkpoint)
        effect = estimate_effect(
            pilot=[row for team in pilot_ids for row in by_team.get(team, ())],
            control=[row for team in control_ids for row in by_team.get(team, ())],
            before=before,
            after=after,
            confidence=confidence,
        )
        results.append(
            MetricEffect(
                metric=metric,
                tier=tier,
                effect=effect,
                sample=SAMPLE_NOUNS.get(sources.get((metric_id, tier), ""), "items"),
                control_teams=[team.name for team in controls],
                after_from=pilot_window_start(pilot) + timedelta(days=from_day),
                after_to=until,
            )
        )
    return sorted(results, key=lambda r: (r.metric.position, r.metric.code, TIER_ORDER[r.tier]))


def control_team_suggestions(
    *, pilot: Pilot, metric: str = "cycle-time", limit: int = SUGGESTIONS
) -> list[Suggestion]:
    """Teams outside the pilot whose baseline-window series best match its teams' series.

    The rule (docs/effects.md): over the baseline window, the mean squared difference of the
    standardised weekly series of the metric (over every tier for a tiered metric), among
    teams with at least MIN_OVERLAP_WEEKS weeks in common with the pilot's; smallest first.
    """
    found = Metric.objects.filter(code=metric).first()
    if found is None:
        raise ValidationError({"metric": f"No metric {metric!r}."})
    tier = Tier.ALL if found.tiered else ""
    pilot_ids = set(pilot.teams.values_list("pk", flat=True))
    if not pilot_ids:
        return []
    weeks = baseline_weeks(pilot)
    values = TeamMetricValue.objects.filter(
        metric=found, tier=tier, period_start__gte=weeks[0], period_start__lte=weeks[-1]
    ).values_list("team_id", "period_start", "value", "sample_size")
    by_team: dict[int, list] = defaultdict(list)
    for team_id, week, value, n in values:
        by_team[team_id].append((team_id, week, float(value), n))
    target = arm_series(row for team in pilot_ids for row in by_team.get(team, ()))
    scored = []
    for team_id, rows in by_team.items():
        if team_id in pilot_ids:
            continue
        candidate = arm_series(rows)
        score = match_score(target, candidate)
        if score is not None:
            scored.append((score, team_id, len(set(target) & set(candidate))))
    scored.sort()
    teams = Team.objects.in_bulk([team_id for _, team_id, _ in scored[:limit]])
    return [Suggestion(teams[t], score, n) for score, t, n in scored[:limit]]


SUGGESTION_RULE = (
    "Teams outside the pilot, closest first by the mean squared difference of the "
    "standardised weekly series over the 12 weeks before the pilot's start "
    f"(at least {MIN_OVERLAP_WEEKS} weeks in common)."
)


def default_checkpoint(pilot: Pilot, *, today: date | None = None) -> int:
    """The latest checkpoint day reached (the first checkpoint before any is)."""
    today = today or timezone.localdate()
    elapsed = (today - pilot_window_start(pilot)).days
    reached = [day for day in pilot.checkpoint_days if day <= elapsed]
    return reached[-1] if reached else pilot.checkpoint_days[0]


def pilot_effects_report(*, pilot: Pilot, checkpoint: int | None = None) -> dict:
    """The pilot's effects at a checkpoint day, with the method and any pilot-wide warning."""
    checkpoint = checkpoint or default_checkpoint(pilot)
    metrics = pilot_effects(pilot=pilot, checkpoint=checkpoint)
    with_controls = pilot.control_teams.exists()
    return {
        "method": METHOD_DID if with_controls else METHOD_BEFORE_AFTER,
        "confidence": CONFIDENCE,
        "checkpoint": checkpoint,
        "warnings": [] if with_controls else [NO_CONTROLS_WARNING],
        "metrics": metrics,
    }


def controls_fixed_at(pilot: Pilot) -> int | None:
    """The first evaluated checkpoint day, from which the control teams are fixed; None while
    they may still be chosen (a pre-commitment, like the kill criteria)."""
    days = pilot.evaluations.order_by("checkpoint_day").values_list("checkpoint_day", flat=True)
    return days.first()
