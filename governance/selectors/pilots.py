"""Reads of pilots: the list, the gates of their lifecycle, and each metric's chart.

The gates say, in plain words, what stands between a pilot and its next step: submit
(scope, kill criteria, core baselines), approve (the published shortlist allows the offering
for this use, and the charter is signed by every required role), start (its planned start
has come). governance/services/pilots.py refuses a move while its gate lists a problem.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import QuerySet, prefetch_related_objects
from django.utils import timezone

from governance.choices import PilotStatus, SubjectKind
from governance.models import Baseline, KillCriterion, Metric, Pilot
from governance.selectors.signoffs import (
    charter_prefetches,
    needs_digest,
    pending_roles,
    signoff_problems,
    signoffs_latest,
    subject_digest,
)
from governance.selectors.users import user_roles
from vendors.choices import Use
from vendors.selectors.shortlist import shortlist_check


def pilot_list(*, user: User | None = None, mine: bool = False, status: str = "") -> QuerySet:
    """Pilots for the list page and API, with what the list shows joined in."""
    pilots = Pilot.objects.select_related("owner", "offering__vendor").prefetch_related("teams")
    if mine and user is not None:
        pilots = pilots.filter(owner=user)
    if status:
        pilots = pilots.filter(status=status)
    return pilots.order_by("-created_at")


@dataclass(frozen=True)
class ChartSpec:
    """One metric's (and tier's) chart, read but not drawn: what the page links to and what
    `chart_draw` renders."""

    metric_id: int
    tier: str
    title: str
    arguments: dict = field(compare=False)

    @property
    def tier_slug(self) -> str:
        """The tier as a URL segment ("all" for a metric measured across tiers)."""
        return self.tier or ALL_TIERS


# The URL segment of a chart whose metric is not split by tier.
ALL_TIERS = "all"


def pilot_chart_specs(
    *,
    pilot: Pilot,
    baselines: Iterable[Baseline] | None = None,
    kill_criteria: Iterable[KillCriterion] | None = None,
    only: tuple[int, str] | None = None,
) -> list[ChartSpec]:
    """Each measured or pre-committed metric (and tier) with its series, baseline, thresholds,
    checkpoints and model-switch markers, in the pilot page's order; `only` one (metric, tier).

    A page that shows the pilot's baselines and kill criteria anyway passes them (with their
    metrics selected), so they are read once; their metrics are not read again.
    """
    from datetime import timedelta

    from governance import evaluation
    from governance.charts import Line
    from governance.selectors.model_switches import switch_markers

    if baselines is None:
        baselines = pilot.baselines.select_related("metric")
    if kill_criteria is None:
        kill_criteria = pilot.kill_criteria.select_related("metric")
    start = pilot.started_on or pilot.planned_start
    end = start + timedelta(days=max(pilot.checkpoint_days))
    series: dict[tuple, list] = {}
    metrics = {}
    measurements = pilot.measurements.order_by("period_end")
    if only is not None:
        measurements = measurements.filter(metric_id=only[0], tier=only[1])
    # Plain tuples: a year of daily telemetry is thousands of rows, model instances cost 10x.
    for metric_id, tier, period_end, value in measurements.values_list(
        "metric_id", "tier", "period_end", "value"
    ):
        series.setdefault((metric_id, tier), []).append((period_end, value))
    baseline_values = {}
    for b in baselines:
        baseline_values[(b.metric_id, b.tier)] = b.value
        metrics[b.metric_id] = b.metric
    criteria: dict[tuple, list] = {}
    for k in kill_criteria:
        criteria.setdefault((k.metric_id, k.tier), []).append(k)
        metrics[k.metric_id] = k.metric
    # Only metrics measured without a baseline or criterion are still to be read.
    unread = {key[0] for key in series} - metrics.keys()
    if unread:
        metrics.update(Metric.objects.in_bulk(unread))
    keys = set(series) | set(criteria)
    if only is not None:
        keys &= {only}
    markers = switch_markers(pilot=pilot) if keys else []
    specs = []
    for key in sorted(keys, key=lambda k: (metrics[k[0]].position, k[1])):
        metric = metrics[key[0]]
        lines = []
        if key in baseline_values:
            lines.append(Line("baseline", baseline_values[key], "#15803d"))
        for k in criteria.get(key, []):
            rule = evaluation.Rule(
                k.comparator,
                k.threshold,
                metric.direction,
                k.evaluate_from_day,
                k.consecutive_periods,
            )
            bound = evaluation.limit(rule, baseline_values.get(key))
            if bound is not None:
                lines.append(
                    Line(
                        f"kill from day {k.evaluate_from_day}",
                        bound.quantize(Decimal("0.01")),
                        "#b91c1c",
                    )
                )
        title = metric.name + (f" ({key[1]})" if key[1] else "")
        specs.append(
            ChartSpec(
                metric_id=key[0],
                tier=key[1],
                title=title,
                arguments={
                    "title": title,
                    "unit": metric.unit,
                    "points": series.get(key, []),
                    "start": start,
                    "end": end,
                    "grace_days": pilot.grace_days,
                    "lines": lines,
                    "markers": markers,
                    "checkpoints": list(pilot.checkpoint_days),
                },
            )
        )
    return specs


def chart_draw(spec: ChartSpec) -> str:
    """The chart as an SVG string (every text escaped by governance.charts)."""
    from governance.charts import metric_chart_svg

    return metric_chart_svg(**spec.arguments)


def pilot_charts(
    *,
    pilot: Pilot,
    baselines: Iterable[Baseline] | None = None,
    kill_criteria: Iterable[KillCriterion] | None = None,
) -> list[str]:
    """One SVG per measured or pre-committed metric (and tier), drawn: what packets inline."""
    specs = pilot_chart_specs(pilot=pilot, baselines=baselines, kill_criteria=kill_criteria)
    return [chart_draw(spec) for spec in specs]


def pilots_awaiting_signoff(*, user: User) -> list[Pilot]:
    """Submitted pilots still waiting for an approve sign-off in one of the user's roles."""
    mine = set(user_roles(user=user))
    pilots = list(pilot_list(status=PilotStatus.SUBMITTED).prefetch_related(None))
    latest = signoffs_latest(kind=SubjectKind.PILOT, subject_ids=[p.pk for p in pilots])
    # Only a charter that some role of mine approved is read and hashed (needs_digest), all of
    # them at once: a fixed number of queries for any number of pilots.
    prefetch_related_objects(
        [
            pilot
            for pilot in pilots
            if needs_digest(kind=SubjectKind.PILOT, subject=pilot, latest=latest, among=mine)
        ],
        "teams",
        *charter_prefetches(),
    )
    waiting = []
    for pilot in pilots:
        pilot.pending_roles = pending_roles(
            kind=SubjectKind.PILOT, subject=pilot, latest=latest, among=mine
        )
        if pilot.pending_roles:
            waiting.append(pilot)
    return waiting


# --- lifecycle gates --------------------------------------------------------------------------


def submit_problems(pilot: Pilot) -> list[str]:
    """What a pilot lacks before it can be submitted, in plain words."""
    problems = []
    teams = pilot.teams.count()
    if not 1 <= teams <= 3:
        problems.append(f"Name 1 to 3 teams (it has {teams}).")
    if not 1 <= len(pilot.workflows) <= 2:
        problems.append(f"Name 1 or 2 workflows (it has {len(pilot.workflows)}).")
    if not pilot.kill_criteria.exists():
        problems.append("Pre-commit at least one kill criterion.")
    have = {(b.metric_id, b.tier) for b in pilot.baselines.all()}
    for metric in Metric.objects.filter(core=True):
        if metric.tiered:
            if not any(m == metric.pk for m, _ in have):
                problems.append(f"Record a baseline for {metric.name} (at least one tier).")
        elif (metric.pk, "") not in have:
            problems.append(f"Record a baseline for {metric.name}.")
    return problems


def _use(pilot: Pilot) -> str:
    return Use.AGENTIC if pilot.agentic else Use.COMPLETION


def approve_problems(pilot: Pilot, *, today: date | None = None) -> list[str]:
    """What stands between a submitted pilot and approval: the shortlist gate and sign-offs."""
    problems = []
    check = shortlist_check(
        vendor_slug=pilot.offering.vendor.slug,
        use=_use(pilot),
        offering_id=pilot.offering_id,
        today=today,
    )
    if not check.allowed:
        problems += [f"Shortlist: {reason}" for reason in check.reasons]
    current = subject_digest(kind=SubjectKind.PILOT, subject=pilot)
    problems += [
        f"Sign-off: {p}."
        for p in signoff_problems(kind=SubjectKind.PILOT, subject=pilot, current_digest=current)
    ]
    return problems


def start_problems(pilot: Pilot, *, today: date | None = None) -> list[str]:
    """Why an approved pilot cannot start yet."""
    today = today or timezone.localdate()
    if today < pilot.planned_start:
        return [f"The pilot starts on its planned start, {pilot.planned_start}, not before."]
    return []


def next_step_problems(pilot: Pilot) -> list[str]:
    """What blocks the pilot's next step, for its page."""
    return {
        PilotStatus.DRAFT: submit_problems,
        PilotStatus.SUBMITTED: approve_problems,
        PilotStatus.APPROVED: start_problems,
    }.get(pilot.status, lambda p: [])(pilot)
