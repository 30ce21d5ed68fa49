"""Reads of model switches: which versions a pilot ran when, and each metric before and after
a switch with the cohort method of the checkpoint effects (governance/effects.py).

Before: the whole weeks past the pilot's grace and before the switch day (at most 12).
After: the whole weeks from the switch day to today or the window's end (at most 12).
With control teams the effect is a difference-in-differences (controls did not switch, so
they carry what would have happened anyway); without, a before/after of the pilot's teams.
Every read is set-based: a fixed number of queries for any number of switches and pilots.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from governance.choices import PilotStatus
from governance.effects import estimate_effect
from governance.model_switches import version_spans
from governance.models import GatewayDaily, Metric, Pilot, Team, TeamMetricValue
from governance.selectors.effects import (
    SAMPLE_NOUNS,
    TIER_ORDER,
    MetricEstimate,
    pilot_window_start,
)
from governance.services.team_metrics import week_of
from vendors.models import ModelSwitch, ModelVersion

# At most this many whole weeks on each side of a switch enter its comparison.
SIDE_WEEKS = 12
# Pilots whose window can hold a switch (a closed pilot keeps its comparison for packets).
STARTED = (PilotStatus.RUNNING, PilotStatus.UNDER_REVIEW, PilotStatus.CLOSED)


@dataclass(frozen=True)
class SwitchMetric(MetricEstimate):
    """One metric (and tier) of one pilot across a switch."""


@dataclass(frozen=True)
class PilotSwitch:
    """A pilot's metrics before and after one switch, with the weeks compared."""

    pilot: Pilot
    switch: ModelSwitch
    before: list[date]
    after: list[date]
    controls: list[str]
    metrics: list[SwitchMetric] = field(default_factory=list)


def switch_list() -> QuerySet[ModelSwitch]:
    """Switches with what their pages and the API show joined in, newest first."""
    return ModelSwitch.objects.select_related(
        "offering__vendor", "from_version", "to_version"
    ).prefetch_related("reopened__item")


def _whole_weeks(first: date, last: date) -> list[date]:
    """Mondays of the weeks lying wholly between two days."""
    monday = week_of(first)
    if monday < first:
        monday += timedelta(weeks=1)
    weeks = []
    while monday + timedelta(days=6) <= last:
        weeks.append(monday)
        monday += timedelta(weeks=1)
    return weeks


def switch_weeks(pilot: Pilot, switch_day: date, *, today: date) -> tuple[list[date], list[date]]:
    """The before and after weeks of a pilot around a switch day."""
    start = pilot_window_start(pilot)
    grace_end = start + timedelta(days=pilot.grace_days)
    window_end = start + timedelta(days=pilot.window_days)
    before = _whole_weeks(max(grace_end, switch_day - timedelta(weeks=SIDE_WEEKS)), switch_day)
    after = _whole_weeks(switch_day, min(today, window_end))
    # A week straddling the switch day belongs to neither side.
    before = [w for w in before if w + timedelta(days=6) < switch_day][-SIDE_WEEKS:]
    return before, after[:SIDE_WEEKS]


def _pilots_for(switches: list[ModelSwitch]) -> dict[int, list[Pilot]]:
    """offering id -> started pilots on it, with teams and control teams (one read each)."""
    offerings = {s.offering_id for s in switches}
    pilots = (
        Pilot.objects.filter(offering_id__in=offerings, status__in=STARTED)
        .exclude(started_on__isnull=True)
        .select_related("owner")
        .prefetch_related(
            Prefetch("teams", queryset=Team.objects.only("pk", "name")),
            Prefetch("control_teams", queryset=Team.objects.order_by("name")),
        )
        .order_by("pk")
    )
    by_offering: dict[int, list[Pilot]] = defaultdict(list)
    for pilot in pilots:
        by_offering[pilot.offering_id].append(pilot)
    return by_offering


def switches_effects(
    switches: Iterable[ModelSwitch], *, today: date | None = None, pilot: Pilot | None = None
) -> dict[int, list[PilotSwitch]]:
    """switch id -> every started pilot on its offering whose window holds the switch day,
    with each metric before and after it (only `pilot`, when given)."""
    today = today or timezone.localdate()
    switches = list(switches)
    if not switches:
        return {}
    by_offering = _pilots_for(switches)
    plans: list[PilotSwitch] = []
    for switch in switches:
        for candidate in by_offering.get(switch.offering_id, []):
            if pilot is not None and candidate.pk != pilot.pk:
                continue
            start = pilot_window_start(candidate)
            if not start <= switch.detected_on <= start + timedelta(days=candidate.window_days):
                continue
            before, after = switch_weeks(candidate, switch.detected_on, today=today)
            plans.append(
                PilotSwitch(
                    pilot=candidate,
                    switch=switch,
                    before=before,
                    after=after,
                    controls=[t.name for t in candidate.control_teams.all()],
                )
            )
    weeks = [w for plan in plans for w in plan.before + plan.after]
    team_ids = {
        t.pk for plan in plans for t in [*plan.pilot.teams.all(), *plan.pilot.control_teams.all()]
    }
    grouped: dict = defaultdict(lambda: defaultdict(list))
    sources: dict = {}
    if weeks and team_ids:
        values = TeamMetricValue.objects.filter(
            team_id__in=team_ids, period_start__gte=min(weeks), period_start__lte=max(weeks)
        ).values_list(
            "team_id", "metric_id", "tier", "period_start", "value", "sample_size", "source"
        )
        for team_id, metric_id, tier, week, value, n, source in values:
            grouped[(metric_id, tier)][team_id].append((team_id, week, float(value), n))
            sources[(metric_id, tier)] = source
    metrics = Metric.objects.in_bulk({metric_id for metric_id, _ in grouped})
    result: dict[int, list[PilotSwitch]] = defaultdict(list)
    for plan in plans:
        pilot_ids = {t.pk for t in plan.pilot.teams.all()}
        control_ids = {t.pk for t in plan.pilot.control_teams.all()}
        for (metric_id, tier), by_team in grouped.items():
            metric = metrics[metric_id]
            if metric.tiered != bool(tier) or not pilot_ids & set(by_team):
                continue
            effect = estimate_effect(
                pilot=[row for team in pilot_ids for row in by_team.get(team, ())],
                control=[row for team in control_ids for row in by_team.get(team, ())],
                before=plan.before,
                after=plan.after,
            )
            plan.metrics.append(
                SwitchMetric(
                    metric=metric,
                    tier=tier,
                    effect=effect,
                    sample=SAMPLE_NOUNS.get(sources.get((metric_id, tier), ""), "items"),
                )
            )
        plan.metrics.sort(key=lambda m: (m.metric.position, m.metric.code, TIER_ORDER[m.tier]))
        result[plan.switch.pk].append(plan)
    return dict(result)


def pilot_switches(*, pilot: Pilot, today: date | None = None) -> list[PilotSwitch]:
    """The switches on a pilot's offering within its window, each with its before/after."""
    start = pilot_window_start(pilot)
    switches = switch_list().filter(
        offering_id=pilot.offering_id,
        detected_on__gte=start,
        detected_on__lte=start + timedelta(days=pilot.window_days),
    )
    effects = switches_effects(switches, today=today, pilot=pilot)
    return [plan for switch in switches for plan in effects.get(switch.pk, [])]


@dataclass(frozen=True)
class VersionInUse:
    """A model version a pilot ran: from, to, and what says so."""

    version: ModelVersion
    first: date
    last: date | None
    source: str  # "gateway" or "declared"
    requests: int | None = None
    peak_share: float | None = None


def pilot_model_timeline(*, pilot: Pilot) -> list[VersionInUse]:
    """The versions the pilot's teams ran, from the gateway roll-ups (share among each model
    family's requests) and from what platform declared where no gateway logs exist."""
    start = pilot_window_start(pilot)
    teams = list(pilot.teams.values_list("pk", flat=True))
    rows = GatewayDaily.objects.filter(
        team_id__in=teams,
        day__gte=start,
        model_version__vendor_id=pilot.offering.vendor_id,
    ).values_list("model_version__family", "day", "model_version_id", "requests")
    families: dict[str, list] = defaultdict(list)
    for family, day, version_id, requests in rows:
        families[family].append((day, version_id, requests))
    spans = [s for daily in families.values() for s in version_spans(daily)]
    declared = list(pilot.declared_versions.select_related("model_version").order_by("since"))
    versions = ModelVersion.objects.in_bulk({s.version for s in spans})
    timeline = [
        VersionInUse(versions[s.version], s.first, s.last, "gateway", s.requests, s.peak_share)
        for s in spans
    ]
    for current, following in zip(declared, [*declared[1:], None], strict=False):
        last = following.since - timedelta(days=1) if following else None
        timeline.append(VersionInUse(current.model_version, current.since, last, "declared"))
    return sorted(timeline, key=lambda v: (v.first, str(v.version)))


def switch_markers(*, pilot: Pilot) -> list[tuple[date, str]]:
    """(day, label) of the switches on the pilot's offering in its window, for its charts."""
    start = pilot_window_start(pilot)
    switches = ModelSwitch.objects.filter(
        offering_id=pilot.offering_id,
        detected_on__gte=start,
        detected_on__lte=start + timedelta(days=pilot.window_days),
    ).select_related("to_version")
    return [(s.detected_on, f"→ {s.to_version}") for s in switches.order_by("detected_on")]
