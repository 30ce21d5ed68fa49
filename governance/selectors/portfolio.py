"""The finance portfolio: where the money goes, what it bought, and where each pilot stands.

Every figure is computed from a queryset that `figure_rows` also returns, filtered the same
way, so the drill-down page lists exactly the rows a figure sums (docs/portfolio.md):
- inference spend, requests, tokens: the gateway's daily roll-ups (GatewayDaily), read for
  whole months from their monthly sums (GatewayMonthly, kept equal to them by the import);
- ledger spend by category and scope: the spend ledger (Spend), every category;
- seats: the Copilot reports' latest seats row per scope (CopilotOrgDay);
- budget vs actual: the signed quarterly reviews and the ledger rows of each scope, as the
  budget ledger (governance/selectors/budget.py) counts them.
Reads are set-based: the number of queries does not grow with pilots, teams or days, except
for the outcomes of a page of pilots (a fixed page size).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from governance.choices import PilotStatus, ReviewScope, ReviewStatus, SpendScope
from governance.models import (
    CopilotOrgDay,
    GatewayDaily,
    GatewayMonthly,
    Pilot,
    QuarterlyReview,
    Spend,
)
from governance.models.evidence import ImportKind
from governance.selectors.copilot import copilot_seats
from governance.selectors.finance import quarter_bounds, quarter_of, scope_spend
from governance.selectors.sources import (
    GATEWAY_COLUMNS,
    GATEWAY_SHOWN,
    SPEND_COLUMNS,
    SPEND_SHOWN,
    Source,
    imported,
    sources_summary,
    stamped,
)
from vendors.choices import RoutingTier

ZERO = Decimal(0)
CENT = Decimal("0.01")
MICROS = Decimal("0.000001")
SHARE = Decimal("0.0001")
# What a roll-up the gateway could not attribute is called, per dimension: its model name is
# not mapped to a model version (so no vendor either), or it named no known team or tier.
UNMAPPED = "Unmapped models"
UNKNOWN = {"team": "No team", "vendor": UNMAPPED, "model_version": UNMAPPED, "tier": "No tier"}
TOP_SPENDERS = 5
# Gateway roll-ups are grouped on these columns; the label and the drill-down filter follow.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "team": ("team_id", "team__name"),
    "vendor": ("model_version__vendor_id", "model_version__vendor__name"),
    "model_version": ("model_version_id", "model_version__family", "model_version__version"),
    "tier": ("tier",),
}
# The drill-down filter each dimension's key becomes ("none" selects the rows without one).
DIMENSION_FILTER = {
    "team": "team_id",
    "vendor": "model_version__vendor_id",
    "model_version": "model_version_id",
    "tier": "tier",
}
FIGURES = ("gateway", "ledger", "seats", "budget")
LIVE = ~Q(status=ReviewStatus.SUPERSEDED)


@dataclass(frozen=True)
class Range:
    """The days a portfolio covers (both ends inclusive) and the currency it sums."""

    date_from: date
    date_to: date
    currency: str = "USD"

    @property
    def months(self) -> list[date]:
        month, out = self.date_from.replace(day=1), []
        while month <= self.date_to:
            out.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return out

    @property
    def quarter(self) -> str:
        """The quarter the range ends in (the one whose decisions the pilot rows show)."""
        return quarter_of(self.date_to)


def portfolio_range(
    *, date_from: date | None, date_to: date | None, quarter: str = "", currency: str = "USD"
) -> Range:
    """A quarter, or a range of days; a range longer than three years is refused."""
    if quarter:
        date_from, date_to = quarter_bounds(quarter)
    if date_from is None or date_to is None:
        raise ValidationError({"from": "Give a quarter, or both from and to."})
    if date_from > date_to:
        raise ValidationError({"to": "The end date is before the start date."})
    if (date_to - date_from).days > 3 * 366:
        raise ValidationError({"to": "A portfolio covers at most three years."})
    return Range(date_from, date_to, currency)


def _money(value: Decimal | None) -> Decimal:
    return (value or ZERO).quantize(CENT, ROUND_HALF_UP)


def _ratio(part, whole, unit: Decimal = SHARE) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part or 0) / Decimal(whole)).quantize(unit, ROUND_HALF_UP)


# --- the rows behind the figures ------------------------------------------------------------


def gateway_rows(rng: Range, **filters) -> QuerySet:
    """Gateway roll-ups of the range in its currency, narrowed by dimension keys and month."""
    rows = GatewayDaily.objects.filter(
        day__gte=rng.date_from, day__lte=rng.date_to, currency=rng.currency
    )
    month = filters.pop("month", None)
    if month:
        start = date.fromisoformat(f"{month}-01")
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        rows = rows.filter(day__gte=start, day__lte=end)
    for dimension, key in filters.items():
        if dimension not in DIMENSION_FILTER or key in (None, ""):
            continue
        column = DIMENSION_FILTER[dimension]
        if key == "none":
            rows = rows.filter(**({column: ""} if dimension == "tier" else {column: None}))
        else:
            rows = rows.filter(**{column: key})
    return rows


def ledger_rows(rng: Range, *, category: str = "", scope: str = "") -> QuerySet:
    """Spend-ledger rows of the months the range touches, in its currency."""
    rows = Spend.objects.filter(
        month__gte=rng.date_from.replace(day=1), month__lte=rng.date_to, currency=rng.currency
    )
    if category:
        rows = rows.filter(category=category)
    if scope:
        rows = rows.filter(scope=scope)
    return rows


def seat_rows(rng: Range) -> QuerySet:
    """Each Copilot scope's latest seats row on or before the range's last day."""
    seats = copilot_seats(on=rng.date_to)
    keys = Q(pk__in=[])
    for row in seats["scopes"]:
        keys |= Q(scope=row["scope"], day=row["day"])
    return CopilotOrgDay.objects.filter(keys, seats_paid__isnull=False)


def budget_rows(rng: Range, *, pilot: int | None = None, offering: int | None = None):
    """The ledger rows a scope's actual spend in the range's quarter sums."""
    start, end = quarter_bounds(rng.quarter)
    if pilot is not None:
        pilots = list(
            Pilot.objects.filter(pk=pilot).select_related("offering").prefetch_related("teams")
        )
        rows = scope_spend(pilots=pilots)
    else:
        rows = Spend.objects.filter(scope=SpendScope.PROGRAM, offering_id=offering)
    return rows.filter(month__gte=start, month__lte=end, currency=rng.currency)


def figure_rows(rng: Range, figure: str, params: dict) -> QuerySet:
    """The rows behind one figure (the drill-down), as the figure itself reads them."""
    if figure == "gateway":
        return gateway_rows(
            rng, **{k: params.get(k) for k in (*DIMENSION_FILTER, "month")}
        ).select_related("team", "model_version__vendor")
    if figure == "ledger":
        return ledger_rows(
            rng, category=params.get("category", ""), scope=params.get("scope", "")
        ).select_related("vendor", "pilot", "team", "offering")
    if figure == "seats":
        return seat_rows(rng)
    if figure == "budget":
        pilot, offering = params.get("pilot"), params.get("offering")
        if not (pilot or offering):
            raise ValidationError({"pilot": "Name the pilot or the offering of the budget."})
        return budget_rows(
            rng, pilot=int(pilot) if pilot else None, offering=int(offering) if offering else None
        ).select_related("vendor", "pilot", "team", "offering")
    raise ValidationError({"figure": f"Choose one of: {', '.join(FIGURES)}."})


def rows_total(figure: str, rows: QuerySet) -> dict:
    """What the drill-down's rows add up to (the figure's value)."""
    if figure == "gateway":
        got = rows.aggregate(
            spend=Sum("spend"),
            requests=Sum("requests"),
            input=Sum("input_tokens"),
            cached=Sum("cached_tokens"),
            count=Count("id"),
        )
        return {**got, "spend": _money(got["spend"]), "requests": got["requests"] or 0}
    if figure == "seats":
        got = rows.aggregate(paid=Sum("seats_paid"), active=Sum("seats_active"), count=Count("id"))
        return {**got, "paid": got["paid"] or 0, "active": got["active"] or 0}
    got = rows.aggregate(amount=Sum("amount"), count=Count("id"))
    return {**got, "amount": _money(got["amount"])}


# --- the figures ----------------------------------------------------------------------------


# Read once: RoutingTier.values builds its list anew on every call, and a quarter's figures
# name a tier for each of its hundreds of groups, several times over.
TIER_LABELS = dict(RoutingTier.choices)


def _tier_label(tier: str) -> str:
    """A routing tier as people name it ("Heavy"); a tier the gateway logged unknown to us as
    logged."""
    if not tier:
        return UNKNOWN["tier"]
    return TIER_LABELS.get(tier, tier)


def _key(dimension: str, item: dict) -> tuple[str, str]:
    """The drill-down key and the label of a grouped row."""
    if dimension == "tier":
        return (item["tier"] or "none", _tier_label(item["tier"]))
    if dimension == "model_version":
        if item["model_version_id"] is None:
            return ("none", UNKNOWN["model_version"])
        return (
            str(item["model_version_id"]),
            f"{item['model_version__family']}:{item['model_version__version']}",
        )
    column, label = DIMENSIONS[dimension]
    if item[column] is None:
        return ("none", UNKNOWN[dimension])
    return (str(item[column]), item[label])


def _whole_months(rng: Range) -> tuple[date, date] | None:
    """The first day of the range's first whole calendar month and the day after its last
    whole month (None when the range holds no whole month)."""
    first = rng.date_from.replace(day=1)
    if first < rng.date_from:
        first = (first + timedelta(days=32)).replace(day=1)
    end = (rng.date_to + timedelta(days=1)).replace(day=1)
    return (first, end) if first < end else None


# A group's keys, and the names shown for them (read in the same query: the monthly rows
# are few, so joining them to teams and versions costs less than two more queries).
GROUP_KEYS = (
    "team_id",
    "model_version_id",
    "tier",
    "team__name",
    "model_version__family",
    "model_version__version",
    "model_version__vendor_id",
    "model_version__vendor__name",
)


def gateway_groups(rng: Range, *, monthly: bool = True) -> list[dict]:
    """The range's roll-ups summed per month, team, model version and tier (with their names),
    from which every gateway figure of the page is added up: whole months are read from the
    monthly roll-up (GatewayMonthly, a few rows a month), the partial months at the range's
    edges from GatewayDaily (a quarter reads no daily row). Not `monthly`: summed over the
    range instead (a key may then come twice, from each table; every caller adds them up)."""
    sums = {
        "spent": Sum("spend"),
        "n": Sum("requests"),
        "input": Sum("input_tokens"),
        "cached": Sum("cached_tokens"),
    }
    keys = ("month", *GROUP_KEYS) if monthly else GROUP_KEYS
    groups: list[dict] = []
    whole = _whole_months(rng)
    if whole:
        first, end = whole
        groups += list(
            GatewayMonthly.objects.filter(month__gte=first, month__lt=end, currency=rng.currency)
            .values(*keys)
            .annotate(**sums)
            .order_by()
        )
    if not whole or rng.date_from < whole[0] or rng.date_to >= whole[1]:
        # Only the days at the range's edges (built only when there are some: a quarter has
        # none, and building the query cost as much as reading the monthly rows).
        days = gateway_rows(rng)
        if whole:
            days = days.exclude(day__gte=whole[0], day__lt=whole[1])
        if monthly:
            days = days.annotate(month=TruncMonth("day"))
        groups += list(days.values(*keys).annotate(**sums).order_by())
    if not monthly:
        return groups
    for item in groups:
        month = item["month"]
        item["month"] = month.date() if hasattr(month, "date") else month
    return groups


def spend_over_time(
    rng: Range, *, dimension: str, groups: list[dict] | None = None, monthly: bool = True
) -> dict:
    """Gateway spend per month for each key of a dimension (the stacked chart), largest first.
    Not `monthly` (from groups read without months): each key's total only."""
    if dimension not in DIMENSIONS:
        raise ValidationError({"by": f"Choose one of: {', '.join(DIMENSIONS)}."})
    groups = gateway_groups(rng, monthly=monthly) if groups is None else groups
    months = rng.months if monthly else []
    month_keys = [f"{m:%Y-%m}" for m in months]
    series: dict[str, dict] = {}
    # A quarter has hundreds of groups and the page four dimensions: an entry is made once
    # per key, not built and thrown away for every group.
    for item in groups:
        key, label = _key(dimension, item)
        entry = series.get(key)
        if entry is None:
            entry = series[key] = {
                "key": key,
                "label": label,
                "by_month": {},
                "spent": ZERO,
                "requests": 0,
            }
        if monthly:
            by_month = entry["by_month"]
            by_month[item["month"]] = by_month.get(item["month"], ZERO) + item["spent"]
        entry["spent"] += item["spent"]
        entry["requests"] += item["n"]
    out = []
    for entry in series.values():
        values = [_money(entry["by_month"].get(m)) for m in months]
        out.append(
            {
                "key": entry["key"],
                "label": entry["label"],
                "values": values,
                "cells": [
                    {"month": k, "value": v} for k, v in zip(month_keys, values, strict=True)
                ],
                "total": _money(entry["spent"]),
                "requests": entry["requests"],
            }
        )
    out.sort(key=lambda s: (-s["total"], s["label"]))
    return {"dimension": dimension, "months": months, "series": out}


def spend_other(rest: list[dict]) -> dict:
    """The series a table leaves out, summed as one row."""
    return {
        "label": f"Other ({len(rest)})",
        "count": len(rest),
        "total": _money(sum((s["total"] for s in rest), ZERO)),
    }


def tier_costs(rng: Range, *, groups: list[dict] | None = None) -> list[dict]:
    """Per routing tier: spend, requests, cost per request and cached-token share."""
    groups = gateway_groups(rng) if groups is None else groups
    found: dict[str, dict] = {}
    for item in groups:
        tier = found.get(item["tier"])
        if tier is None:
            tier = found[item["tier"]] = {"spent": ZERO, "n": 0, "input": 0, "cached": 0}
        for name in ("spent", "n", "input", "cached"):
            tier[name] += item[name]
    total = sum((item["spent"] for item in found.values()), ZERO)
    order = [*RoutingTier.values, ""]
    out = []
    for tier in sorted(found, key=lambda t: order.index(t) if t in order else len(order)):
        item = found[tier]
        out.append(
            {
                "tier": tier or "none",
                "label": _tier_label(tier),
                "spend": _money(item["spent"]),
                "requests": item["n"],
                "cost_per_request": _ratio(item["spent"], item["n"], MICROS),
                "cached_token_share": _ratio(item["cached"], item["input"]),
                "share_of_spend": _ratio(item["spent"], total),
            }
        )
    return out


def cached_share(rng: Range, *, groups: list[dict] | None = None) -> dict:
    """Cached input tokens over all input tokens in the range."""
    groups = gateway_groups(rng) if groups is None else groups
    input_tokens = sum(item["input"] for item in groups)
    cached = sum(item["cached"] for item in groups)
    return {
        "input_tokens": input_tokens,
        "cached_tokens": cached,
        "share": _ratio(cached, input_tokens),
    }


def top_spenders(
    rng: Range, *, tier: str = "", limit: int = TOP_SPENDERS, groups: list[dict] | None = None
) -> list[dict]:
    """The teams with the most gateway spend in the range (on one tier when given)."""
    groups = gateway_groups(rng) if groups is None else groups
    teams: dict[int | None, dict] = {}
    for item in groups:
        if tier and item["tier"] != tier:
            continue
        team = teams.get(item["team_id"])
        if team is None:
            team = teams[item["team_id"]] = {"name": item["team__name"], "spent": ZERO, "n": 0}
        team["spent"] += item["spent"]
        team["n"] += item["n"]
    ranked = sorted(teams.items(), key=lambda t: (-t[1]["spent"], t[1]["name"] or ""))[:limit]
    return [
        {
            "key": "none" if team_id is None else str(team_id),
            "team": team["name"] or UNKNOWN["team"],
            "spend": _money(team["spent"]),
            "requests": team["n"],
        }
        for team_id, team in ranked
    ]


def ledger_by_category(rng: Range) -> list[dict]:
    """Ledger spend per category in the range's months (every scope)."""
    return [
        {"category": item["category"], "amount": _money(item["total"]), "rows": item["n"]}
        for item in ledger_rows(rng)
        .values("category")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by("-total", "category")
    ]


def seats(rng: Range) -> dict:
    """Copilot seats paid and active on the range's last day, and who used it in 28 days."""
    return copilot_seats(on=rng.date_to)


def budget_vs_actual(rng: Range) -> list[dict]:
    """Per pilot and program with a signed review before the range's quarter: the quarter's
    budget (a quarter of the annual budget in force) against the ledger's actual spend."""
    quarter = rng.quarter
    start, end = quarter_bounds(quarter)
    signed = list(
        QuarterlyReview.objects.filter(
            status=ReviewStatus.SIGNED, quarter__lt=quarter, currency=rng.currency
        )
        .values("scope", "pilot_id", "offering_id")
        .annotate(annual=Sum("budget_delta"))
        .order_by()
    )
    if not signed:
        return []  # no budget in force: nothing to set the ledger against
    pilot_ids = {r["pilot_id"] for r in signed if r["scope"] == ReviewScope.PILOT}
    offering_ids = {r["offering_id"] for r in signed if r["scope"] == ReviewScope.PROGRAM}
    pilots = {
        p.pk: p
        for p in Pilot.objects.filter(pk__in=pilot_ids)
        .select_related("offering__vendor")
        .prefetch_related("teams")
    }
    team_vendors: dict[tuple[int, int], set[int]] = defaultdict(set)
    for p in pilots.values():
        for team in p.teams.all():
            team_vendors[(team.pk, p.offering.vendor_id)].add(p.pk)
    q = Q(scope=SpendScope.PILOT, pilot__in=pilot_ids) | Q(
        scope=SpendScope.PROGRAM, offering__in=offering_ids
    )
    if team_vendors:
        q |= Q(scope=SpendScope.TEAM, team__in={t for t, _ in team_vendors})
    actual: dict[tuple[str, int], Decimal] = defaultdict(lambda: ZERO)
    for row in (
        Spend.objects.filter(q, month__gte=start, month__lte=end, currency=rng.currency)
        .values("scope", "pilot_id", "team_id", "offering_id", "vendor_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        if row["scope"] == SpendScope.PILOT:
            actual[(ReviewScope.PILOT, row["pilot_id"])] += row["total"]
        elif row["scope"] == SpendScope.PROGRAM:
            actual[(ReviewScope.PROGRAM, row["offering_id"])] += row["total"]
        else:
            # A team's row counts for each of its pilots of that vendor, as scope_spend does.
            for pilot_id in team_vendors.get((row["team_id"], row["vendor_id"]), ()):
                actual[(ReviewScope.PILOT, pilot_id)] += row["total"]
    from vendors.models import Offering

    offerings = Offering.objects.in_bulk(offering_ids)
    out = []
    for r in signed:
        pilot = r["scope"] == ReviewScope.PILOT
        target = r["pilot_id"] if pilot else r["offering_id"]
        budget = _money(r["annual"] / 4)
        spent = _money(actual.get((r["scope"], target)))
        out.append(
            {
                "scope": r["scope"],
                "id": target,
                "label": str(pilots[target]) if pilot else f"program {offerings[target]}",
                "param": "pilot" if pilot else "offering",
                "annual_budget": _money(r["annual"]),
                "budget": budget,
                "actual": spent,
                "remaining": budget - spent,
                "over_budget": spent > budget,
            }
        )
    out.sort(key=lambda r: (r["scope"], r["label"]))
    return out


def next_checkpoint(pilot: Pilot, *, today: date) -> date | None:
    """The first checkpoint day of a started pilot still to come."""
    if pilot.started_on is None or pilot.status not in (
        PilotStatus.RUNNING,
        PilotStatus.UNDER_REVIEW,
    ):
        return None
    for day in pilot.checkpoint_days:
        when = pilot.started_on + timedelta(days=day)
        if when >= today:
            return when
    return None


def pilot_rows(rng: Range, *, vendor: int | None = None, team: int | None = None) -> QuerySet:
    """Every pilot past its draft, with the quarter's live pilot review (pageable)."""
    pilots = (
        Pilot.objects.exclude(status=PilotStatus.DRAFT)
        .select_related("offering__vendor")
        .prefetch_related("teams")
        .order_by("offering__vendor__name", "title", "pk")
    )
    if vendor:
        pilots = pilots.filter(offering__vendor_id=vendor)
    if team:
        pilots = pilots.filter(teams=team)
    return pilots


# The columns pilot_table reads: a page of the table need not read each charter whole.
PILOT_TABLE_FIELDS = (
    "title",
    "status",
    "outcome",
    "started_on",
    "checkpoint_days",
    "kill_recommended",
    "offering__vendor__name",
)


def pilot_table(rng: Range, pilots: list[Pilot], *, today: date) -> list[dict]:
    """One row per pilot: state, next checkpoint, kill recommendation, the quarter's decision."""
    decisions = {
        r["pilot_id"]: r
        for r in QuarterlyReview.objects.filter(
            LIVE, quarter=rng.quarter, scope=ReviewScope.PILOT, pilot__in=[p.pk for p in pilots]
        ).values("pk", "pilot_id", "decision", "status")
    }
    rows = []
    for p in pilots:
        review = decisions.get(p.pk)
        rows.append(
            {
                "pilot": p,
                "vendor": p.offering.vendor.name,
                "teams": ", ".join(t.name for t in p.teams.all()),
                "state": p.get_status_display()
                + (f" ({p.get_outcome_display()})" if p.outcome else ""),
                "next_checkpoint": next_checkpoint(p, today=today),
                "kill_recommended": p.kill_recommended,
                "decision": review["decision"] if review else "",
                "review": review["pk"] if review else None,
                "decision_status": review["status"] if review else "",
            }
        )
    return rows


def portfolio(rng: Range, *, monthly: bool = True) -> dict:
    """Every spend figure of the portfolio page and API for the range. Not `monthly` (the
    page, whose charts are requests of their own): each spend series' total, not its months."""
    groups = gateway_groups(rng, monthly=monthly)
    return {
        "from": rng.date_from,
        "to": rng.date_to,
        "currency": rng.currency,
        "quarter": rng.quarter,
        "spend_by": {
            d: spend_over_time(rng, dimension=d, groups=groups, monthly=monthly) for d in DIMENSIONS
        },
        "tiers": tier_costs(rng, groups=groups),
        "cached": cached_share(rng, groups=groups),
        "top_spenders": top_spenders(rng, groups=groups),
        "top_heavy_spenders": top_spenders(rng, tier=RoutingTier.HEAVY, groups=groups),
        "ledger": ledger_by_category(rng),
        "seats": seats(rng),
        "budget": budget_vs_actual(rng),
    }


OUTCOME_METRICS = ("cycle-time", "feature-throughput", "reviewer-load", "defect-escape-rate")
OUTCOME_STARTED = (PilotStatus.RUNNING, PilotStatus.UNDER_REVIEW, PilotStatus.CLOSED)


def _best_case(reviews: dict[int, dict], pilot_id: int) -> dict | None:
    snapshot = reviews.get(pilot_id)
    if not snapshot:
        return None
    best = (snapshot.get("roi") or {}).get("best") or {}
    return best.get("outputs")


def pilot_outcomes(pilots: list[Pilot], *, as_of: date, currency: str = "USD") -> list[dict]:
    """For a page of started pilots: each core metric's effect with its confidence interval
    (the cohort analysis) and net ROI, audited (measured only) beside the best case finance
    decided on (its latest signed review's; the audited case when it recorded no estimate).

    The effects and the ROI are per pilot by nature (their own windows and teams), so this
    reads a fixed number of queries per pilot: callers pass one page of pilots, never all.
    """
    from governance.selectors.effects import pilot_effects_report
    from governance.selectors.finance import scope_roi

    started = [p for p in pilots if p.status in OUTCOME_STARTED and p.started_on]
    snapshots = {
        r["pilot_id"]: r["snapshot"]
        for r in QuarterlyReview.objects.filter(
            status=ReviewStatus.SIGNED,
            scope=ReviewScope.PILOT,
            pilot__in=[p.pk for p in started],
        )
        .order_by("pilot_id", "quarter", "decided_at")
        .values("pilot_id", "snapshot")
    }
    out = []
    for p in started:
        report = pilot_effects_report(pilot=p)
        effects = [
            {
                "code": m.metric.code,
                "name": m.metric.name,
                "tier": m.tier,
                "unit": m.metric.unit,
                "effect": m.effect.effect,
                "ci_low": m.effect.ci_low,
                "ci_high": m.effect.ci_high,
                "verdict": m.verdict,
                "sentence": m.sentence,
            }
            for m in report["metrics"]
            if m.metric.code in OUTCOME_METRICS and m.tier in ("", "all")
        ]
        roi = scope_roi(pilots=[p], currency=currency, as_of=as_of)
        audited = (roi["audited"]["outputs"] or {}).get("net_roi")
        best = _best_case(snapshots, p.pk)
        out.append(
            {
                "pilot": p,
                "method": report["method"],
                "checkpoint": report["checkpoint"],
                "warnings": report["warnings"],
                "effects": effects,
                "net_roi_audited": audited,
                "net_roi_best": (best or {}).get("net_roi", audited),
                "best_from_review": best is not None,
                "problems": roi["problems"],
            }
        )
    return out


# --- the packet's appendix: what the figures were read from ---------------------------------


def _ledger_source(rng: Range) -> QuerySet:
    """Ledger rows of the range's months and of its quarter (the budget's actual spend)."""
    start, end = quarter_bounds(rng.quarter)
    return Spend.objects.filter(
        month__gte=min(rng.date_from.replace(day=1), start),
        month__lte=max(rng.date_to, end),
        currency=rng.currency,
    )


def portfolio_source_list(rng: Range) -> list[Source]:
    """The groups of rows the portfolio's figures are read from (its packet's appendix)."""
    ledger = _ledger_source(rng)
    return [
        Source(
            "gateway",
            "Gateway daily roll-ups",
            "spend by team, vendor, model version and tier; routing tiers; cached-token share; "
            "top spenders",
            gateway_rows(rng),
            GATEWAY_COLUMNS,
            "day",
            GATEWAY_SHOWN,
            imported(ImportKind.GATEWAY_LOGS),
        ),
        Source(
            "ledger",
            "Spend ledger rows",
            "ledger spend by category; budget vs actual",
            ledger,
            SPEND_COLUMNS,
            "month",
            SPEND_SHOWN,
            stamped(ledger, "recorded_at"),
        ),
        Source(
            "seats",
            "Copilot seats rows",
            "seats paid vs active",
            seat_rows(rng),
            ("id", "day", "scope", "seats_paid", "seats_active"),
            "day",
            (
                ("Scope", "scope"),
                ("Day", "day"),
                ("Paid", "seats_paid"),
                ("Active", "seats_active"),
            ),
            imported(ImportKind.COPILOT_METRICS),
        ),
        Source(
            "reviews",
            "Signed quarterly reviews",
            "budget vs actual; the quarter's decisions",
            QuarterlyReview.objects.filter(quarter__lte=rng.quarter).exclude(
                status=ReviewStatus.DECIDED
            ),
            (
                "id",
                "quarter",
                "scope",
                "pilot_id",
                "offering_id",
                "status",
                "decision",
                "budget_delta",
            ),
            "decided_at",
        ),
        Source(
            "pilots",
            "Pilots past their draft",
            "one row per pilot: state, next checkpoint, kill recommendation",
            Pilot.objects.exclude(status=PilotStatus.DRAFT),
            ("id", "status", "outcome", "kill_recommended", "started_on", "checkpoint_days"),
            "created_at",
        ),
    ]


def portfolio_sources(rng: Range) -> dict[str, dict]:
    """For each group of source rows: what it feeds, how many rows, their dates, their SHA-256."""
    return sources_summary(portfolio_source_list(rng))
