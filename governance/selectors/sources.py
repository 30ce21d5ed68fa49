"""The rows behind a figure: which rows each page and packet reads, and their fingerprints.

A `Source` names a set of rows (a queryset filtered as the figure filters them), the figures
it feeds, the columns its SHA-256 covers and the columns a person is shown. The same sources
serve the drill-down pages (every figure links to its rows) and the packets (an appendix lists
each source's row count, date span and digest; the packet's page flags a source whose rows no
longer hash as they did when the packet was rendered). docs/drill-down.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Max, Min, Q, QuerySet

from governance.models import (
    AuditedBenefit,
    Baseline,
    CheckpointEvaluation,
    GatewayDaily,
    KillCriterion,
    Measurement,
    Pilot,
    PullRequest,
    QuarterlyReview,
    TeamMetricValue,
)
from governance.models.evidence import ImportKind


@dataclass(frozen=True)
class Source:
    """A set of rows some figures are read from, and how they are hashed and shown."""

    name: str
    label: str
    figures: str
    rows: QuerySet
    # Hashed, in this order, over the rows ordered by id: a change to any of them shows.
    columns: tuple[str, ...]
    # The column that dates a row (its first and last value are the source's span); empty
    # for rows that carry no date of their own (kill criteria, shortlist entries).
    when: str
    # (header, lookup) pairs a person reads on the drill-down page.
    shown: tuple[tuple[str, str], ...] = ()
    # When the rows were first written to after a moment, where Tollgate records it.
    changed_since: Callable[[datetime], datetime | None] | None = None


def stamped(rows: QuerySet, column: str) -> Callable[[datetime], datetime | None]:
    """Dates a change by the rows' own write-time column (a deleted row leaves no date)."""
    return lambda since: rows.filter(**{f"{column}__gt": since}).aggregate(on=Min(column))["on"]


def imported(*kinds: str) -> Callable[[datetime], datetime | None]:
    """Dates a change of imported rows by the first import of that kind finished after it."""

    def first_import(since: datetime) -> datetime | None:
        from governance.models import ImportRun
        from governance.models.evidence import ImportStatus

        return ImportRun.objects.filter(
            kind__in=kinds, status=ImportStatus.SUCCEEDED, finished_at__gt=since
        ).aggregate(on=Min("finished_at"))["on"]

    return first_import


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def source_digest(rows: QuerySet, columns: tuple[str, ...]) -> tuple[int, str]:
    """(row count, SHA-256 over the rows ordered by id: each row its columns' values joined
    by '|' and ended by a newline; decimals normalised, None empty)."""
    sha = hashlib.sha256()
    count = 0
    for row in rows.order_by("id").values_list(*columns).iterator(chunk_size=5000):
        sha.update(("|".join(_cell(v) for v in row) + "\n").encode())
        count += 1
    return count, sha.hexdigest()


def source_summary(source: Source) -> dict:
    """What the source feeds, how many rows, their first and last date, and their SHA-256."""
    count, sha = source_digest(source.rows, source.columns)
    span = (
        source.rows.aggregate(first=Min(source.when), last=Max(source.when))
        if source.when
        else {"first": None, "last": None}
    )
    return {
        "label": source.label,
        "figures": source.figures,
        "rows": count,
        "first": _cell(span["first"])[:10] or None,
        "last": _cell(span["last"])[:10] or None,
        "sha256": sha,
    }


def sources_summary(sources: list[Source]) -> dict[str, dict]:
    """Each source's summary, by name (what a packet stores and prints)."""
    return {source.name: source_summary(source) for source in sources}


def sources_changed(
    *, stored: dict[str, dict], current: list[Source], since: datetime | None
) -> list[dict]:
    """The stored sources whose rows no longer hash as they did: their counts then and now,
    and when they changed where Tollgate records it (None: an unrecorded date after `since`)."""
    now = {source.name: source for source in current}
    changed = []
    for name, before in stored.items():
        source = now.get(name)
        if source is None:
            continue
        count, sha = source_digest(source.rows, source.columns)
        if sha == before["sha256"]:
            continue
        changed.append(
            {
                "source": name,
                "label": before["label"],
                "figures": before["figures"],
                "rows_then": before["rows"],
                "rows_now": count,
                "changed_on": source.changed_since(since)
                if source.changed_since and since
                else None,
            }
        )
    return changed


def source_perm(source: Source) -> str:
    """The permission that reads a source's rows: its model's view permission (a role that may
    not list spend rows in the admin may not list them behind a figure either)."""
    meta = source.rows.model._meta
    return f"{meta.app_label}.view_{meta.model_name}"


def readable_sources(user, sources: list[Source]) -> dict[str, str]:
    """{name: label in lower case} of the sources this user may list."""
    return {s.name: s.label.lower() for s in sources if user.has_perm(source_perm(s))}


def source_rows(source: Source) -> QuerySet:
    """The source's rows as a person reads them: the shown columns, ordered by date then id."""
    order = (source.when, "id") if source.when else ("id",)
    return source.rows.order_by(*order).values(*(lookup for _, lookup in source.shown))


# --- the sources of a pilot, a program and a checkpoint -------------------------------------


def _teams(pilots: list[Pilot], *, controls: bool = True) -> QuerySet:
    """The pilots' teams (and control teams) as a subquery: building a source reads nothing."""
    from governance.models import Team

    ids = [p.pk for p in pilots]
    q = Q(pilots__in=ids)
    if controls:
        q |= Q(control_for__in=ids)
    return Team.objects.filter(q).values("pk")


MEASUREMENT_COLUMNS = (
    "id",
    "pilot_id",
    "metric_id",
    "tier",
    "period_start",
    "period_end",
    "value",
    "sample_size",
    "source",
)
MEASUREMENT_SHOWN = (
    ("Pilot", "pilot__title"),
    ("Metric", "metric__name"),
    ("Tier", "tier"),
    ("From", "period_start"),
    ("To", "period_end"),
    ("Value", "value"),
    ("Sample", "sample_size"),
    ("Source", "source"),
)
SERIES_COLUMNS = (
    "id",
    "team_id",
    "metric_id",
    "tier",
    "period_start",
    "period_end",
    "value",
    "mean",
    "sample_size",
    "source",
)
SERIES_SHOWN = (
    ("Team", "team__name"),
    ("Metric", "metric__name"),
    ("Tier", "tier"),
    ("Week from", "period_start"),
    ("To", "period_end"),
    ("Value", "value"),
    ("Sample", "sample_size"),
    ("Source", "source"),
)
PULL_REQUEST_COLUMNS = (
    "id",
    "number",
    "team_id",
    "created_at",
    "merged_at",
    "closed_at",
    "additions",
    "deletions",
    "review_count",
    "ai_assisted",
    "tier",
)
PULL_REQUEST_SHOWN = (
    ("Team", "team__name"),
    ("Number", "number"),
    ("Opened", "created_at"),
    ("Merged", "merged_at"),
    ("Reviews", "review_count"),
    ("AI-assisted", "ai_assisted"),
    ("Tier", "tier"),
)
GATEWAY_COLUMNS = (
    "id",
    "day",
    "team_id",
    "team_key",
    "model",
    "model_version_id",
    "tier",
    "currency",
    "requests",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "spend",
)
GATEWAY_SHOWN = (
    ("Day", "day"),
    ("Team", "team__name"),
    ("Model", "model"),
    ("Tier", "tier"),
    ("Requests", "requests"),
    ("Input tokens", "input_tokens"),
    ("Cached tokens", "cached_tokens"),
    ("Spend", "spend"),
    ("Currency", "currency"),
)
SPEND_COLUMNS = (
    "id",
    "month",
    "scope",
    "pilot_id",
    "team_id",
    "offering_id",
    "vendor_id",
    "category",
    "amount",
    "currency",
)
SPEND_SHOWN = (
    ("Month", "month"),
    ("Scope", "scope"),
    ("Vendor", "vendor__name"),
    ("Category", "category"),
    ("Amount", "amount"),
    ("Currency", "currency"),
    ("Source", "source"),
    ("Reference", "reference"),
)
BASELINE_COLUMNS = (
    "id",
    "pilot_id",
    "metric_id",
    "tier",
    "value",
    "sample_size",
    "period_start",
    "period_end",
    "source",
    "provenance",
)
BASELINE_SHOWN = (
    ("Pilot", "pilot__title"),
    ("Metric", "metric__name"),
    ("Tier", "tier"),
    ("Value", "value"),
    ("Sample", "sample_size"),
    ("From", "period_start"),
    ("To", "period_end"),
    ("Source", "source"),
    ("Query", "provenance__query"),
)


def _pilot_rows(pilots: list[Pilot], *, until: date | None, since: date | None = None) -> list:
    """Measurements, baselines, team series, pull requests and gateway roll-ups of pilots."""
    ids = [p.pk for p in pilots]
    teams = _teams(pilots)
    ended = Q() if until is None else Q(period_end__lte=until)
    started = Q() if since is None else Q(period_end__gt=since)
    day_until = Q() if until is None else Q(day__lte=until)
    day_since = Q() if since is None else Q(day__gt=since)
    opened_until = Q() if until is None else Q(created_at__date__lte=until)
    return [
        Source(
            "measurements",
            "Measurement periods",
            "checkpoint values and kill-criterion verdicts; measured ROI inputs",
            Measurement.objects.filter(ended & started, pilot__in=ids),
            MEASUREMENT_COLUMNS,
            "period_end",
            MEASUREMENT_SHOWN,
            stamped(Measurement.objects.filter(pilot__in=ids), "recorded_at"),
        ),
        Source(
            "baselines",
            "Baselines and the queries that read them",
            "baselines; changes against baseline",
            Baseline.objects.filter(pilot__in=ids),
            BASELINE_COLUMNS,
            "period_end",
            BASELINE_SHOWN,
            stamped(Baseline.objects.filter(pilot__in=ids), "recorded_at"),
        ),
        Source(
            "team-series",
            "Weekly team series (pilot and control teams)",
            "effects with confidence intervals; computed baselines",
            TeamMetricValue.objects.filter(ended & started, team__in=teams),
            SERIES_COLUMNS,
            "period_end",
            SERIES_SHOWN,
            stamped(TeamMetricValue.objects.filter(team__in=teams), "computed_at"),
        ),
        Source(
            "pull-requests",
            "Pull requests of the pilot and control teams",
            "the weekly series of cycle time, throughput, reviewer load and defects",
            PullRequest.objects.filter(opened_until, team__in=teams),
            PULL_REQUEST_COLUMNS,
            "created_at",
            PULL_REQUEST_SHOWN,
            imported(ImportKind.PULL_REQUESTS, ImportKind.GITHUB_SYNC),
        ),
        Source(
            "gateway",
            "Gateway daily roll-ups of the pilot teams",
            "model versions in use; request mix per tier; inference spend",
            GatewayDaily.objects.filter(
                day_until & day_since, team__in=_teams(pilots, controls=False)
            ),
            GATEWAY_COLUMNS,
            "day",
            GATEWAY_SHOWN,
            imported(ImportKind.GATEWAY_LOGS),
        ),
    ]


def _spend_sources(pilots: list[Pilot], offering, *, until: date | None) -> list[Source]:
    from governance.selectors.finance import scope_spend

    q = Q(pilot__in=[p.pk for p in pilots])
    if offering is not None:
        q |= Q(offering=offering)
    ledger = scope_spend(pilots=pilots, offering=offering)
    spent = ledger
    benefits = AuditedBenefit.objects.filter(q)
    if until is not None:
        spent = spent.filter(month__lte=until)
        benefits = benefits.filter(period_end__lte=until)
    return [
        Source(
            "spend",
            "Spend ledger rows",
            "annual AI spend, one-time costs and net ROI",
            spent,
            SPEND_COLUMNS,
            "month",
            SPEND_SHOWN,
            stamped(ledger, "recorded_at"),
        ),
        Source(
            "benefits",
            "Audited benefits",
            "other audited benefits (signed ones counted)",
            benefits,
            ("id", "category", "amount", "currency", "period_start", "period_end", "status"),
            "period_end",
            (
                ("Category", "category"),
                ("Amount", "amount"),
                ("Currency", "currency"),
                ("From", "period_start"),
                ("To", "period_end"),
                ("Status", "status"),
            ),
            stamped(AuditedBenefit.objects.filter(q), "recorded_at"),
        ),
    ]


def pilot_sources(
    pilot: Pilot, *, until: date | None = None, since: date | None = None
) -> list[Source]:
    """Every row the pilot page's figures and its ROI read (periods ending after `since` and
    by `until`, where given)."""
    return program_sources(None, [pilot], until=until, since=since)


def program_sources(
    offering, pilots: list[Pilot], *, until: date | None = None, since: date | None = None
) -> list[Source]:
    """Every row a program's ROI reads: its pilots' rows and the program's own spend."""
    return [
        *_pilot_rows(pilots, until=until, since=since),
        *_spend_sources(pilots, offering, until=until),
    ]


def charter_sources(pilot: Pilot) -> list[Source]:
    """What a charter pre-commits: the baselines (with their queries) and the kill criteria,
    and the team series the computed baselines were read from."""
    read = {s.name: s for s in _pilot_rows([pilot], until=pilot.planned_start)}
    return [
        read["baselines"],
        read["team-series"],
        Source(
            "kill-criteria",
            "Kill criteria",
            "the pre-committed kill criteria",
            KillCriterion.objects.filter(pilot=pilot),
            (
                "id",
                "metric_id",
                "tier",
                "comparator",
                "threshold",
                "evaluate_from_day",
                "consecutive_periods",
                "min_sample_size",
                "require_clear_breach",
            ),
            "",
            (("Metric", "metric__name"), ("Tier", "tier"), ("Threshold", "threshold")),
        ),
    ]


def checkpoint_sources(evaluation: CheckpointEvaluation) -> list[Source]:
    """The measurements, series and pull requests of a checkpoint's window, and the baselines."""
    pilot = evaluation.pilot
    return [
        s
        for s in _pilot_rows([pilot], until=evaluation.window_end, since=evaluation.window_start)
        if s.name != "gateway"
    ]


def review_sources(review: QuarterlyReview) -> list[Source]:
    """The rows behind a quarterly review's ROI, up to the quarter's last day."""
    from governance.selectors.finance import quarter_bounds, review_pilots

    until = quarter_bounds(review.quarter)[1]
    pilots = review_pilots(scope=review.scope, pilot=review.pilot, offering=review.offering)
    return program_sources(review.offering, pilots, until=until)


# --- the sources of an assessment and a shortlist version ------------------------------------


def assessment_sources(assessment) -> list[Source]:
    """The responses (verdicts), evidence files (with their SHA-256) and exceptions behind an
    assessment's verdicts and coverage."""
    from vendors.models import Evidence, Response, RiskException

    return [
        Source(
            "responses",
            "Checklist responses",
            "verdicts per checklist item; framework coverage",
            Response.objects.filter(assessment=assessment),
            ("id", "item_id", "status", "reason", "comment", "verdict_by_id", "expires_on"),
            "verdict_at",
            (("Item", "item__title"), ("Verdict", "status"), ("Expires", "expires_on")),
        ),
        Source(
            "evidence",
            "Evidence files",
            "the evidence each verdict rests on",
            Evidence.objects.filter(response__assessment=assessment),
            ("id", "response_id", "original_name", "kind", "size", "sha256"),
            "uploaded_at",
            (("File", "original_name"), ("Kind", "kind"), ("SHA-256", "sha256")),
        ),
        Source(
            "exceptions",
            "Risk exceptions",
            "exceptions and their expiries",
            RiskException.objects.filter(response__assessment=assessment),
            ("id", "response_id", "status", "expires_on", "approver_id"),
            "approved_at",
            (("Status", "status"), ("Expires", "expires_on")),
        ),
    ]


def shortlist_sources(version) -> list[Source]:
    """The providers a shortlist version lists, with their roles and approved uses."""
    from vendors.models import ShortlistEntry

    return [
        Source(
            "entries",
            "Shortlist entries",
            "the providers, their roles and approved uses",
            ShortlistEntry.objects.filter(version=version),
            ("id", "vendor_id", "offering_id", "role", "allow_completion", "allow_agentic"),
            "",
            (("Vendor", "vendor__name"), ("Role", "role")),
        )
    ]
