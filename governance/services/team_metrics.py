"""Weekly team series derived from imported evidence, and pilots' numbers derived from them.

Each source (pull requests, gateway roll-ups, Copilot days) is read with one query and grouped
in memory; weeks run Monday to Sunday (UTC). One function computes every metric from a group
of raw rows (`_values`), whether the group is a team's week (the weekly series), a pilot's
teams over the weeks before its start (a baseline: medians over the window's PRs, ratios of
sums, throughput over every engineer-week including weeks without a merge) or its teams' week
(a measurement). How each metric is computed:

- cycle-time (hours): opened -> merged per merged PR; value the median, mean beside it; per
  complexity tier where the gateway says which routing tier served the PR (fast = trivial,
  standard = standard, heavy = complex), and over every PR as tier "all";
- feature-throughput and prs-per-engineer-month: merged PRs per engineer-month, engineers
  being the team's members that week (its headcount when no membership is imported);
- reviewer-load (minutes): review request (opening when unknown) -> last approval;
- review-events-per-pr, pr-size (median lines changed), ai-assisted-share (percent);
- defect-escape-rate: escaped defects per merged PR, in the week the PR merged;
- cost-per-request (USD) and cached-token-share (percent) from the gateway roll-ups;
- copilot-active-users and copilot-acceptance-rate from the Copilot user-level reports.
"""

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import transaction
from django.utils import timezone

from governance.choices import Source, Tier
from governance.models import (
    Baseline,
    CopilotUserDay,
    EscapedDefect,
    GatewayDaily,
    Metric,
    Pilot,
    PullRequest,
    Team,
    TeamMember,
    TeamMetricValue,
)
from vendors.kit.audit import audited

FOUR = Decimal("0.0001")
WEEKS_PER_MONTH = Decimal("365.25") / 12 / 7
# Routing tier that served a PR -> the complexity tier cycle time is segmented by.
COMPLEXITY_OF_ROUTING = {"fast": "trivial", "standard": "standard", "heavy": "complex"}
DEFAULT_BASELINE_WEEKS = 12


def week_of(day: date) -> date:
    """The Monday of a day's week."""
    return day - timedelta(days=day.weekday())


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _dec(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(FOUR)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


PR_FIELDS = (
    "team_id",
    "created_at",
    "merged_at",
    "review_requested_at",
    "last_approved_at",
    "additions",
    "deletions",
    "review_count",
    "ai_assisted",
    "tier",
    "id",
)
TEAM, CREATED, MERGED, REQUESTED, APPROVED, ADDS, DELS, REVIEWS, AI, TIER, ID = range(11)


@dataclass
class Evidence:
    """Raw rows of every source for some teams and dates, read with one query each."""

    prs: list[tuple] = field(default_factory=list)
    defects: dict[int, int] = field(default_factory=dict)  # pull request id -> defects
    gateway: list[tuple] = field(default_factory=list)  # team, day, requests, spend, cached, in
    copilot: list[tuple] = field(default_factory=list)  # team, day, login, gen, acc, inter
    pr_query: str = ""

    @classmethod
    def read(cls, team_ids: list[int] | None = None, start=None, end=None) -> "Evidence":
        """Everything attributed to these teams (all, if None) in [start, end)."""
        prs = PullRequest.objects.filter(team__isnull=False, merged_at__isnull=False)
        defects = EscapedDefect.objects.filter(
            pull_request__team__isnull=False, pull_request__merged_at__isnull=False
        )
        gateway = GatewayDaily.objects.filter(team__isnull=False)
        copilot = CopilotUserDay.objects.filter(team__isnull=False)
        if team_ids is not None:
            prs = prs.filter(team_id__in=team_ids)
            defects = defects.filter(pull_request__team_id__in=team_ids)
            gateway = gateway.filter(team_id__in=team_ids)
            copilot = copilot.filter(team_id__in=team_ids)
        if start is not None:
            prs = prs.filter(merged_at__gte=_midnight(start), merged_at__lt=_midnight(end))
            defects = defects.filter(
                pull_request__merged_at__gte=_midnight(start),
                pull_request__merged_at__lt=_midnight(end),
            )
            gateway = gateway.filter(day__gte=start, day__lt=end)
            copilot = copilot.filter(day__gte=start, day__lt=end)
        prs = prs.values_list(*PR_FIELDS).order_by()
        try:
            pr_query = str(prs.query)
        except EmptyResultSet:  # no teams: the query matches nothing and has no SQL to show
            pr_query = "(no teams: no pull requests read)"
        evidence = cls(pr_query=pr_query)
        evidence.prs = list(prs.iterator(chunk_size=5000))
        for (pr_id,) in defects.values_list("pull_request_id").order_by():
            evidence.defects[pr_id] = evidence.defects.get(pr_id, 0) + 1
        evidence.gateway = list(
            gateway.values_list(
                "team_id", "day", "requests", "spend", "cached_tokens", "input_tokens"
            ).order_by()
        )
        evidence.copilot = list(
            copilot.values_list(
                "team_id", "day", "login", "code_generations", "code_acceptances", "interactions"
            ).order_by()
        )
        return evidence

    def by_team_week(self) -> dict[tuple[int, date], "Evidence"]:
        """The same rows, one Evidence per team and week."""
        groups: dict[tuple[int, date], Evidence] = defaultdict(Evidence)
        for pr in self.prs:
            group = groups[(pr[TEAM], week_of(_day(pr[MERGED])))]
            group.prs.append(pr)
            if pr[ID] in self.defects:
                group.defects[pr[ID]] = self.defects[pr[ID]]
        for row in self.gateway:
            groups[(row[0], week_of(row[1]))].gateway.append(row)
        for row in self.copilot:
            groups[(row[0], week_of(row[1]))].copilot.append(row)
        return groups


class Engineers:
    """How many engineers a team had in a week: its members then, each counted in the team
    their events are attributed to (the latest membership begun by the week's end)."""

    def __init__(self) -> None:
        self.headcount = dict(Team.objects.values_list("pk", "headcount"))
        self.periods: dict[str, list[tuple]] = defaultdict(list)
        for login, team_id, start, end in TeamMember.objects.values_list(
            "login", "team_id", "valid_from", "valid_to"
        ).order_by("login", "-valid_from", "-id"):
            self.periods[login].append((team_id, start, end))
        self.teams_with_members = {team for p in self.periods.values() for team, _, _ in p}
        self._cache: dict[date, Counter] = {}

    def _counts(self, monday: date) -> Counter:
        if monday not in self._cache:
            sunday = monday + timedelta(days=6)
            counts: Counter = Counter()
            for periods in self.periods.values():
                for team_id, start, end in periods:  # latest start first
                    if start <= sunday and (end is None or end >= monday):
                        counts[team_id] += 1
                        break
            self._cache[monday] = counts
        return self._cache[monday]

    def count(self, team_id: int, monday: date) -> int:
        """Engineers in the team that week (its headcount when no membership is imported)."""
        if team_id not in self.teams_with_members:
            return self.headcount.get(team_id, 1)
        return self._counts(monday)[team_id]

    def weeks(self, team_ids: Iterable[int], mondays: Iterable[date]) -> int:
        """Engineer-weeks of these teams over these weeks."""
        mondays = list(mondays)
        return sum(self.count(team, monday) for team in team_ids for monday in mondays)


def _values(evidence: Evidence, *, engineer_weeks: int, weeks: int) -> dict[tuple, tuple]:
    """Every metric of one group of raw rows: (code, tier) -> (value, mean, size, source)."""
    out: dict[tuple, tuple] = {}

    def put(code: str, tier: str, value, size: int, source: str, mean=None) -> None:
        if size > 0 and value is not None:
            out[(code, tier)] = (_dec(value), None if mean is None else _dec(mean), size, source)

    prs = evidence.prs
    merged = len(prs)
    if merged:
        hours = [(pr[MERGED] - pr[CREATED]).total_seconds() / 3600 for pr in prs]
        put(
            "cycle-time",
            Tier.ALL,
            statistics.median(hours),
            merged,
            "github",
            mean=statistics.fmean(hours),
        )
        by_tier = defaultdict(list)
        for pr, spent in zip(prs, hours, strict=True):
            if pr[TIER] in COMPLEXITY_OF_ROUTING:
                by_tier[COMPLEXITY_OF_ROUTING[pr[TIER]]].append(spent)
        for tier, tier_hours in by_tier.items():
            put(
                "cycle-time",
                tier,
                statistics.median(tier_hours),
                len(tier_hours),
                "github",
                mean=statistics.fmean(tier_hours),
            )
        waits = [
            (pr[APPROVED] - (pr[REQUESTED] or pr[CREATED])).total_seconds() / 60
            for pr in prs
            if pr[APPROVED] is not None and pr[APPROVED] >= (pr[REQUESTED] or pr[CREATED])
        ]
        if waits:
            put("reviewer-load", "", statistics.fmean(waits), len(waits), "github")
        put("review-events-per-pr", "", sum(pr[REVIEWS] for pr in prs) / merged, merged, "github")
        sizes = [pr[ADDS] + pr[DELS] for pr in prs]
        put("pr-size", "", statistics.median(sizes), merged, "github", mean=statistics.fmean(sizes))
        put(
            "ai-assisted-share", "", 100 * sum(1 for pr in prs if pr[AI]) / merged, merged, "github"
        )
        put("defect-escape-rate", "", sum(evidence.defects.values()) / merged, merged, "github")
    if merged and engineer_weeks:
        per_month = Decimal(merged) / engineer_weeks * WEEKS_PER_MONTH
        for code in ("feature-throughput", "prs-per-engineer-month"):
            put(code, "", per_month, merged, "github")

    requests = sum(row[2] for row in evidence.gateway)
    if requests:
        spend = sum((row[3] for row in evidence.gateway), Decimal(0))
        put("cost-per-request", "", spend / requests, requests, "gateway")
        input_tokens = sum(row[5] for row in evidence.gateway)
        if input_tokens:
            cached = sum(row[4] for row in evidence.gateway)
            put("cached-token-share", "", Decimal(100 * cached) / input_tokens, requests, "gateway")

    if evidence.copilot:
        active = {
            (week_of(row[1]), row[2]) for row in evidence.copilot if row[3] or row[4] or row[5]
        }
        # Weekly active users, averaged over the group's weeks (summed across its teams).
        put(
            "copilot-active-users",
            "",
            Decimal(len(active)) / max(weeks, 1),
            len(active) or 0,
            "copilot",
        )
        generations = sum(row[3] for row in evidence.copilot)
        if generations:
            accepted = sum(row[4] for row in evidence.copilot)
            put("copilot-acceptance-rate", "", 100 * accepted / generations, generations, "copilot")
    return out


@transaction.atomic
def team_metrics_refresh() -> int:
    """Recompute every team's weekly series from the evidence; returns the rows written.

    The series are a pure function of the evidence, so they are replaced wholesale: a week
    whose evidence moved (a late membership file, a corrected PR) can never keep a stale value.
    """
    metrics = dict(Metric.objects.values_list("code", "pk"))
    engineers = Engineers()
    rows = []
    for (team_id, monday), group in Evidence.read().by_team_week().items():
        values = _values(group, engineer_weeks=engineers.count(team_id, monday), weeks=1)
        for (code, tier), (value, mean, size, source) in values.items():
            if code in metrics:
                rows.append(
                    TeamMetricValue(
                        team_id=team_id,
                        metric_id=metrics[code],
                        tier=tier,
                        period_start=monday,
                        period_end=monday + timedelta(days=6),
                        value=value,
                        mean=mean,
                        sample_size=size,
                        source=source,
                    )
                )
    TeamMetricValue.objects.all().delete()
    TeamMetricValue.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _usable(metric: Metric, tier: str) -> bool:
    """Whether a (metric, tier) can be a baseline or measurement (tiered metrics need one)."""
    return metric.tiered == bool(tier)


@audited
@transaction.atomic
def pilot_baselines_compute(
    *, pilot: Pilot, actor: Any, weeks: int = DEFAULT_BASELINE_WEEKS, end: date | None = None
) -> list[Baseline]:
    """Record the pilot's baselines from its teams' evidence over the weeks before its start.

    Each baseline is computed over the whole window at once (medians over its PRs, ratios of
    sums, throughput over every engineer-week), with its sample size, and keeps its
    provenance: teams, window, weeks, sources and the query that read the pull requests.
    A baseline typed by hand for the same metric and tier is replaced, and the caller told.
    """
    from governance.services.pilots import baseline_set

    if not 1 <= weeks <= 104:
        raise ValidationError({"weeks": "Choose between 1 and 104 weeks."})
    teams = list(pilot.teams.all())
    if not teams:
        raise ValidationError({"teams": "Name the pilot's teams first."})
    try:
        end = week_of(end or pilot.planned_start)
        start = end - timedelta(weeks=weeks)
    except OverflowError as error:
        raise ValidationError({"end": "Give an end date after year 1."}) from error
    team_ids = [team.pk for team in teams]
    evidence = Evidence.read(team_ids, start, end)
    mondays = [start + timedelta(weeks=n) for n in range(weeks)]
    values = _values(evidence, engineer_weeks=Engineers().weeks(team_ids, mondays), weeks=weeks)
    metrics = {m.code: m for m in Metric.objects.all()}
    last_day = end - timedelta(days=1)
    typed = {(b.metric_id, b.tier): b for b in pilot.baselines.exclude(source=Source.DERIVED)}
    recorded = []
    for (code, tier), (value, _mean, size, source) in sorted(values.items()):
        metric = metrics.get(code)
        if metric is None or not _usable(metric, tier):
            continue
        recorded.append(
            baseline_set(
                pilot=pilot,
                metric=metric,
                tier=tier,
                actor=actor,
                value=value,
                sample_size=size,
                period_start=start,
                period_end=last_day,
                source=Source.DERIVED,
                provenance={
                    "teams": sorted(t.name for t in teams),
                    "window": [start.isoformat(), last_day.isoformat()],
                    "weeks": weeks,
                    "series_source": [source],
                    "method": METHODS.get(code, "ratio of sums over the window"),
                    "query": evidence.pr_query,
                    **_replaced(typed.get((metric.pk, tier))),
                },
            )
        )
    if not recorded:
        raise ValidationError(
            f"No evidence between {start} and {last_day}: import pull "
            "requests, gateway logs or Copilot reports for the pilot's teams first."
        )
    return recorded


def _replaced(baseline: Baseline | None) -> dict:
    """What a computed baseline replaced, kept in its provenance (and said on the page)."""
    if baseline is None:
        return {}
    return {
        "replaced": {
            "value": str(baseline.value),
            "sample_size": baseline.sample_size,
            "source": baseline.source,
        }
    }


# How a window's value is formed, in the words the pilot page shows beside a baseline.
METHODS = {
    "cycle-time": "median over the window's merged PRs",
    "pr-size": "median over the window's merged PRs",
    "feature-throughput": "merged PRs per engineer-month over every engineer-week",
    "prs-per-engineer-month": "merged PRs per engineer-month over every engineer-week",
    "reviewer-load": "mean over the window's approved PRs",
    "copilot-active-users": "weekly active users, averaged over the window's weeks",
}


def pilot_measurements_derive(
    *, pilot: Pilot, actor: Any = None, today: date | None = None
) -> dict[str, int]:
    """Write a running pilot's weekly measurements from its teams' evidence.

    Each complete week from the pilot's start on is one measurement per metric, computed over
    the pilot's teams together (the week it started in counts from its start day). A key that
    holds a number posted or typed by hand keeps it, and the count of such keys is returned
    as `kept` so the caller can say so; derived weeks whose evidence is gone are removed.
    """
    from governance.choices import PilotStatus
    from governance.models import Measurement
    from governance.services.measurements import measurements_ingest

    if pilot.status != PilotStatus.RUNNING or pilot.started_on is None:
        return {"created": 0, "updated": 0, "kept": 0, "removed": 0}
    today = today or timezone.localdate()
    first, last = pilot.started_on, week_of(today)  # the current week is not complete
    if last <= first:
        return {"created": 0, "updated": 0, "kept": 0, "removed": 0}
    team_ids = list(pilot.teams.values_list("pk", flat=True))
    engineers = Engineers()
    metrics = {m.code: m for m in Metric.objects.all()}
    by_hand = set(
        Measurement.objects.filter(pilot=pilot)
        .exclude(source=Source.DERIVED)
        .values_list("metric__code", "tier", "period_start", "period_end")
    )
    rows, kept, keys = [], 0, set()
    weeks = Evidence.read(team_ids, first, last).by_team_week()
    combined: dict[date, Evidence] = defaultdict(Evidence)
    for (_team, monday), group in weeks.items():
        week = combined[monday]
        week.prs += group.prs
        week.defects.update(group.defects)
        week.gateway += group.gateway
        week.copilot += group.copilot
    for monday, group in sorted(combined.items()):
        period = (max(monday, first), monday + timedelta(days=6))
        values = _values(group, engineer_weeks=engineers.weeks(team_ids, [monday]), weeks=1)
        for (code, tier), (value, _mean, size, _source) in values.items():
            metric = metrics.get(code)
            if metric is None or not _usable(metric, tier):
                continue
            key = (code, tier, *period)
            if key in by_hand:
                kept += 1
                continue
            keys.add(key)
            rows.append(
                {
                    "pilot": pilot.pk,
                    "metric": code,
                    "tier": tier,
                    "period_start": period[0],
                    "period_end": period[1],
                    "value": value,
                    "sample_size": size,
                }
            )
    stale = [
        m.pk
        for m in Measurement.objects.filter(pilot=pilot, source=Source.DERIVED).select_related(
            "metric"
        )
        if (m.metric.code, m.tier, m.period_start, m.period_end) not in keys
    ]
    # Only rows still derived: one a person posted over since the read above is theirs now.
    Measurement.objects.filter(pk__in=stale, source=Source.DERIVED).delete()
    if not rows:
        return {"created": 0, "updated": 0, "kept": kept, "removed": len(stale)}
    # The same "today" as the weeks above: a derived period ending later is refused too.
    result = measurements_ingest(
        rows=rows, actor=actor, source=Source.DERIVED, derived=True, today=today
    )
    return {
        "created": result.created,
        "updated": result.updated,
        "kept": kept,
        "removed": len(stale),
    }


def running_pilots_derive(*, actor: Any = None, today: date | None = None) -> dict[int, dict]:
    """Derive measurements for every running pilot (after each import)."""
    from governance.choices import PilotStatus

    return {
        pilot.pk: pilot_measurements_derive(pilot=pilot, actor=actor, today=today)
        for pilot in Pilot.objects.filter(status=PilotStatus.RUNNING).prefetch_related("teams")
    }
