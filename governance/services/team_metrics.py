"""Weekly team series derived from imported evidence, and pilots' numbers derived from them.

Each series is read with one query per source (pull requests, gateway roll-ups, Copilot days)
and grouped in memory; weeks run Monday to Sunday (UTC). How each metric is computed:

- cycle-time (hours): opened -> merged per merged PR; value the median, mean beside it; per
  complexity tier where the gateway says which routing tier served the PR (fast = trivial,
  standard = standard, heavy = complex), and over all PRs with tier empty;
- feature-throughput and prs-per-engineer-month: merged PRs per engineer-month, engineers
  being the team's members that week (its headcount when no membership is imported);
- reviewer-load (minutes): review request (opening when unknown) -> last approval;
- review-events-per-pr, pr-size (median lines changed), ai-assisted-share (percent);
- defect-escape-rate: escaped defects per merged PR, in the week the PR merged;
- cost-per-request (USD) and cached-token-share (percent) from the gateway roll-ups;
- copilot-active-users and copilot-acceptance-rate from the Copilot user-level reports.
"""

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from governance.choices import Source
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


class _Series:
    """Collects (team, metric, tier, week) -> value, mean, sample size, source."""

    def __init__(self) -> None:
        self.values: dict[tuple, tuple] = {}

    def put(self, key: tuple, value, size: int, source: str, mean=None) -> None:
        if size > 0 and value is not None:
            self.values[key] = (_dec(value), None if mean is None else _dec(mean), size, source)


def _engineers(teams: dict[int, Team]) -> dict[tuple[int, date], int]:
    """Members per team and week, from membership periods."""
    periods = defaultdict(list)
    for member in TeamMember.objects.values("team_id", "login", "valid_from", "valid_to"):
        periods[member["team_id"]].append(member)

    def count(team_id: int, monday: date) -> int:
        sunday = monday + timedelta(days=6)
        logins = {
            m["login"]
            for m in periods.get(team_id, ())
            if m["valid_from"] <= sunday and (m["valid_to"] is None or m["valid_to"] >= monday)
        }
        return len(logins) or teams[team_id].headcount

    return count


def _pull_request_series(series: _Series, teams: dict[int, Team]) -> None:
    rows = (
        PullRequest.objects.filter(team__isnull=False, merged_at__isnull=False)
        .values_list(
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
        .order_by()
    )
    groups: dict[tuple[int, date], list] = defaultdict(list)
    for row in rows.iterator(chunk_size=5000):
        groups[(row[0], week_of(_day(row[2])))].append(row)
    defects = defaultdict(int)
    for team_id, merged_at in EscapedDefect.objects.filter(
        pull_request__team__isnull=False, pull_request__merged_at__isnull=False
    ).values_list("pull_request__team_id", "pull_request__merged_at"):
        defects[(team_id, week_of(_day(merged_at)))] += 1
    engineers = _engineers(teams)
    for (team_id, monday), prs in groups.items():
        merged = len(prs)
        hours = [(pr[2] - pr[1]).total_seconds() / 3600 for pr in prs]
        series.put(
            (team_id, "cycle-time", "", monday),
            statistics.median(hours),
            merged,
            "github",
            mean=statistics.fmean(hours),
        )
        by_tier = defaultdict(list)
        for pr, spent in zip(prs, hours, strict=True):
            if pr[9] in COMPLEXITY_OF_ROUTING:
                by_tier[COMPLEXITY_OF_ROUTING[pr[9]]].append(spent)
        for tier, tier_hours in by_tier.items():
            series.put(
                (team_id, "cycle-time", tier, monday),
                statistics.median(tier_hours),
                len(tier_hours),
                "github",
                mean=statistics.fmean(tier_hours),
            )
        per_month = Decimal(merged) / engineers(team_id, monday) * WEEKS_PER_MONTH
        for code in ("feature-throughput", "prs-per-engineer-month"):
            series.put((team_id, code, "", monday), per_month, merged, "github")
        waits = [
            (pr[4] - (pr[3] or pr[1])).total_seconds() / 60
            for pr in prs
            if pr[4] is not None and pr[4] >= (pr[3] or pr[1])
        ]
        if waits:
            series.put(
                (team_id, "reviewer-load", "", monday),
                statistics.fmean(waits),
                len(waits),
                "github",
            )
        series.put(
            (team_id, "review-events-per-pr", "", monday),
            sum(pr[7] for pr in prs) / merged,
            merged,
            "github",
        )
        sizes = [pr[5] + pr[6] for pr in prs]
        series.put(
            (team_id, "pr-size", "", monday),
            statistics.median(sizes),
            merged,
            "github",
            mean=statistics.fmean(sizes),
        )
        series.put(
            (team_id, "ai-assisted-share", "", monday),
            100 * sum(1 for pr in prs if pr[8]) / merged,
            merged,
            "github",
        )
        series.put(
            (team_id, "defect-escape-rate", "", monday),
            defects.get((team_id, monday), 0) / merged,
            merged,
            "github",
        )


def _gateway_series(series: _Series) -> None:
    totals: dict[tuple[int, date], list] = defaultdict(lambda: [0, Decimal(0), 0, 0])
    for team_id, day, requests, spend, cached, input_tokens in (
        GatewayDaily.objects.filter(team__isnull=False)
        .values_list("team_id", "day", "requests", "spend", "cached_tokens", "input_tokens")
        .order_by()
    ):
        total = totals[(team_id, week_of(day))]
        total[0] += requests
        total[1] += spend
        total[2] += cached
        total[3] += input_tokens
    for (team_id, monday), (requests, spend, cached, input_tokens) in totals.items():
        series.put((team_id, "cost-per-request", "", monday), spend / requests, requests, "gateway")
        if input_tokens:
            series.put(
                (team_id, "cached-token-share", "", monday),
                Decimal(100 * cached) / input_tokens,
                requests,
                "gateway",
            )


def _copilot_series(series: _Series) -> None:
    weeks: dict[tuple[int, date], list] = defaultdict(lambda: [set(), 0, 0])
    for team_id, day, login, generations, acceptances, interactions in (
        CopilotUserDay.objects.filter(team__isnull=False)
        .values_list(
            "team_id", "day", "login", "code_generations", "code_acceptances", "interactions"
        )
        .order_by()
    ):
        week = weeks[(team_id, week_of(day))]
        if generations or acceptances or interactions:
            week[0].add(login)
        week[1] += generations
        week[2] += acceptances
    for (team_id, monday), (users, generations, acceptances) in weeks.items():
        series.put(
            (team_id, "copilot-active-users", "", monday), len(users), len(users) or 0, "copilot"
        )
        if generations:
            series.put(
                (team_id, "copilot-acceptance-rate", "", monday),
                100 * acceptances / generations,
                generations,
                "copilot",
            )


@transaction.atomic
def team_metrics_refresh(*, since: date | None = None) -> int:
    """Recompute every team's weekly series from the evidence; returns the rows written.

    The series are a pure function of the evidence, so they are replaced wholesale: a week
    whose evidence moved (a late membership file, a corrected PR) can never keep a stale value.
    """
    teams = {team.pk: team for team in Team.objects.all()}
    metrics = dict(Metric.objects.values_list("code", "pk"))
    series = _Series()
    _pull_request_series(series, teams)
    _gateway_series(series)
    _copilot_series(series)
    TeamMetricValue.objects.all().delete()
    rows = [
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
        for (team_id, code, tier, monday), (value, mean, size, source) in series.values.items()
        if code in metrics
    ]
    TeamMetricValue.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _window_values(teams: Iterable[Team], start: date, end: date) -> QuerySet:
    """The team series inside [start, end): weeks wholly within the window."""
    return TeamMetricValue.objects.filter(
        team__in=list(teams), period_start__gte=start, period_end__lt=end
    ).select_related("metric")


def _combine(values: list[TeamMetricValue]) -> tuple[Decimal, int]:
    """Sample-weighted mean of weekly values (weeks with more PRs weigh more)."""
    size = sum(v.sample_size for v in values)
    total = sum(v.value * v.sample_size for v in values)
    return (total / size).quantize(FOUR), size


@audited
@transaction.atomic
def pilot_baselines_compute(
    *, pilot: Pilot, actor: Any, weeks: int = DEFAULT_BASELINE_WEEKS, end: date | None = None
) -> list[Baseline]:
    """Record the pilot's baselines from its teams' series over the weeks before its start.

    Each baseline is the sample-weighted mean of the weekly values, with its sample size, and
    keeps its provenance: teams, window, weeks used and the query that read them.
    """
    from governance.services.pilots import baseline_set

    if not 1 <= weeks <= 104:
        raise ValidationError({"weeks": "Choose between 1 and 104 weeks."})
    teams = list(pilot.teams.all())
    if not teams:
        raise ValidationError({"teams": "Name the pilot's teams first."})
    end = week_of(end or pilot.planned_start)
    start = end - timedelta(weeks=weeks)
    query = _window_values(teams, start, end)
    groups: dict[tuple[Metric, str], list[TeamMetricValue]] = defaultdict(list)
    for value in query:
        if value.metric.tiered == bool(value.tier):
            groups[(value.metric, value.tier)].append(value)
    recorded = []
    for (metric, tier), values in sorted(groups.items(), key=lambda g: (g[0][0].pk, g[0][1])):
        value, size = _combine(values)
        recorded.append(
            baseline_set(
                pilot=pilot,
                metric=metric,
                tier=tier,
                actor=actor,
                value=value,
                sample_size=size,
                period_start=start,
                period_end=end - timedelta(days=1),
                source=Source.DERIVED,
                provenance={
                    "teams": sorted(t.name for t in teams),
                    "window": [start.isoformat(), (end - timedelta(days=1)).isoformat()],
                    "weeks": len({v.period_start for v in values}),
                    "series_source": sorted({v.source for v in values}),
                    "method": "sample-weighted mean of weekly team values",
                    "query": str(query.filter(metric=metric, tier=tier).query),
                },
            )
        )
    if not recorded:
        raise ValidationError(
            f"No team series between {start} and {end - timedelta(days=1)}: import pull "
            "requests, gateway logs or Copilot reports for the pilot's teams first."
        )
    return recorded


def pilot_measurements_derive(
    *, pilot: Pilot, actor: Any = None, today: date | None = None
) -> dict[str, int]:
    """Write a running pilot's weekly measurements from its teams' series.

    Weeks count from the one the pilot started in up to the last complete week. A key that
    holds a number posted or typed by hand keeps it: the count of such keys is returned as
    `kept`, so the caller can say so.
    """
    from governance.choices import PilotStatus
    from governance.models import Measurement
    from governance.services.measurements import measurements_ingest

    if pilot.status != PilotStatus.RUNNING or pilot.started_on is None:
        return {"created": 0, "updated": 0, "kept": 0}
    today = today or date.today()
    values = TeamMetricValue.objects.filter(
        team__in=list(pilot.teams.all()),
        period_end__gte=pilot.started_on,
        period_end__lt=today,
    ).select_related("metric")
    groups: dict[tuple, list[TeamMetricValue]] = defaultdict(list)
    for value in values:
        if value.metric.tiered == bool(value.tier):
            groups[(value.metric.code, value.tier, value.period_start, value.period_end)].append(
                value
            )
    by_hand = set(
        Measurement.objects.filter(pilot=pilot)
        .exclude(source=Source.DERIVED)
        .values_list("metric__code", "tier", "period_start", "period_end")
    )
    rows = []
    for key, week in groups.items():
        if key in by_hand:
            continue
        value, size = _combine(week)
        code, tier, start, end = key
        rows.append(
            {
                "pilot": pilot.pk,
                "metric": code,
                "tier": tier,
                "period_start": start,
                "period_end": end,
                "value": value,
                "sample_size": size,
            }
        )
    kept = sum(1 for key in groups if key in by_hand)
    if not rows:
        return {"created": 0, "updated": 0, "kept": kept}
    result = measurements_ingest(rows=rows, actor=actor, source=Source.DERIVED, derived=True)
    return {"created": result.created, "updated": result.updated, "kept": kept}


def running_pilots_derive(*, actor: Any = None, today: date | None = None) -> dict[int, dict]:
    """Derive measurements for every running pilot (after each import)."""
    from governance.choices import PilotStatus

    return {
        pilot.pk: pilot_measurements_derive(pilot=pilot, actor=actor, today=today)
        for pilot in Pilot.objects.filter(status=PilotStatus.RUNNING).prefetch_related("teams")
    }
