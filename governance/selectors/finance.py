"""Finance reads: spend summaries, the measured ROI of a pilot or program, review snapshots.

The arithmetic lives in governance/roi.py; this module only gathers its inputs from the data
and says where each one came from, so a reviewer can audit every number back to a row.

What counts as *measured* (the audited case):
- a metric's current value is the sample-size-weighted mean of the pilot's measurement periods
  that end after the stabilisation grace period and on or before the as-of date;
- a saving is baseline minus current value (per pilot and tier, weighted by the samples);
- annual AI spend is the run rate of complete months (docs/run-rate.md): the recurring ledger
  categories over the twelve complete months up to the as-of date, annualised over the months
  elapsed since the first of them when fewer are on the ledger. The as-of month is complete
  only when the as-of date is its last day; a month still running is left out of the run
  rate (its rows still count in spend to date). One-time costs are every one-time row to date.
  Rows in another currency are left out and listed: Tollgate does not convert.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum

from governance import roi
from governance.choices import (
    INFERENCE_TIERS,
    RECURRING_CATEGORIES,
    BenefitStatus,
    PilotStatus,
    ReviewScope,
    ReviewStatus,
    SpendCategory,
    SpendScope,
)
from governance.evaluation import Period, delta_pct, weighted_mean
from governance.models import (
    AuditedBenefit,
    GatewayDaily,
    Measurement,
    Pilot,
    QuarterlyReview,
    RateCard,
    Spend,
)
from vendors.choices import ModelStatus
from vendors.models import ModelVersion, Offering

ZERO = Decimal(0)
STARTED = (PilotStatus.RUNNING, PilotStatus.UNDER_REVIEW, PilotStatus.CLOSED)
# Metrics the ROI reads; the catalog is seeded by migrations.
CYCLE_TIME, REVIEWER_LOAD, PR_VOLUME = "cycle-time", "reviewer-load", "prs-per-engineer-month"
# Assumed token profile per routing tier, used to price the heavy-tier shift of the
# sensitivity table when no better mix is known. Shown with every table that uses it.
DEFAULT_REQUEST_MIX = {
    "fast": {"input_tokens": 2000, "cached_input_tokens": 1000, "output_tokens": 300},
    "standard": {"input_tokens": 4000, "cached_input_tokens": 2000, "output_tokens": 800},
    "heavy": {"input_tokens": 8000, "cached_input_tokens": 4000, "output_tokens": 2000},
}
# Inputs finance may replace with an estimate in the best case.
ESTIMABLE = (
    "engineers",
    "prs_per_engineer_month",
    "cycle_time_saving_hours",
    "reviewer_minutes_change_per_pr",
    "other_audited_benefits",
)


def quarter_of(day: date) -> str:
    """'2027-Q1' for any day of January to March 2027."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of a 'YYYY-Qn' quarter."""
    year, q = int(quarter[:4]), int(quarter[-1])
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
    return start, end


def _month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# --- spend ----------------------------------------------------------------------------------


def scope_spend(*, pilots: list[Pilot], offering: Offering | None = None):
    """Ledger rows charged to these pilots, to their teams for the same vendor (the ROI counts
    those teams' engineers, so it counts their spend too), or to the program (offering)."""
    q = Q(scope=SpendScope.PILOT, pilot__in=[p.pk for p in pilots])
    vendors = {p.offering.vendor_id for p in pilots}
    teams = {t.pk for p in pilots for t in p.teams.all()}
    if teams:
        q |= Q(scope=SpendScope.TEAM, team__in=teams, vendor__in=vendors)
    if offering is not None:
        q |= Q(scope=SpendScope.PROGRAM, offering=offering)
    return Spend.objects.filter(q).select_related("vendor")


def last_complete_month(as_of: date) -> date:
    """The first day of the last month wholly on or before `as_of`."""
    month = as_of.replace(day=1)
    return month if (as_of + timedelta(days=1)).day == 1 else _month_add(month, -1)


def spend_summary(rows, *, currency: str, as_of: date) -> dict:
    """Spend to date, by category, annual recurring (run rate of complete months only) and
    one-time, in one currency.

    Run-rate rule: recurring spend over the twelve complete months up to `as_of`, times 12
    over the months elapsed from the first recurring month among them to the last complete
    month. Read on 1 July, six months of spend (January-June) are annualised over 6 months,
    not 7: July has barely begun, and counting it would understate spend by 1/7 (14%).
    """
    as_of_month = as_of.replace(day=1)
    last_month = last_complete_month(as_of)
    window_start = _month_add(last_month, -11)
    by_category: dict[str, Decimal] = defaultdict(lambda: ZERO)
    recurring_window = ZERO
    inference_window: dict[str, Decimal] = defaultdict(lambda: ZERO)
    one_time = to_date = ZERO
    months: set[date] = set()
    excluded = defaultdict(int)
    for row in rows:
        if row.month > as_of_month:
            continue
        if row.currency != currency:
            excluded[row.currency] += 1
            continue
        to_date += row.amount
        by_category[row.category] += row.amount
        if row.category in RECURRING_CATEGORIES:
            if window_start <= row.month <= last_month:
                recurring_window += row.amount
                months.add(row.month)
                if row.category in INFERENCE_TIERS:
                    inference_window[INFERENCE_TIERS[row.category]] += row.amount
        else:
            one_time += row.amount
    # Annualised over the months elapsed since the first recurring month in the window (not
    # the months that happen to have rows), so a fee billed once is not multiplied up.
    elapsed = (
        (last_month.year - min(months).year) * 12 + last_month.month - min(months).month + 1
        if months
        else 0
    )
    factor = Decimal(12) / elapsed if elapsed else ZERO
    return {
        "currency": currency,
        "to_date": to_date,
        "by_category": {
            c.value: by_category[c.value] for c in SpendCategory if c.value in by_category
        },
        "months_of_recurring_spend": elapsed,
        "recurring_through": f"{last_month:%Y-%m}",
        "annual_ai_spend": (recurring_window * factor).quantize(Decimal("0.01")),
        "annual_inference": {t: v * factor for t, v in inference_window.items()},
        "one_time_costs": one_time,
        "excluded": [
            f"{n} spend row(s) in {cur} left out: Tollgate does not convert currencies."
            for cur, n in sorted(excluded.items())
        ],
    }


# --- measured inputs ------------------------------------------------------------------------


def _measured_periods(pilots: list[Pilot], codes: tuple[str, ...], as_of: date) -> dict:
    """(pilot id, metric code, tier) -> periods after each pilot's grace, up to as_of."""
    periods: dict[tuple, list[Period]] = defaultdict(list)
    after = {p.pk: (p.started_on or p.planned_start) + timedelta(days=p.grace_days) for p in pilots}
    rows = Measurement.objects.filter(
        pilot__in=list(after), metric__code__in=codes, period_end__lte=as_of
    ).values_list(
        "pilot_id", "metric__code", "tier", "period_start", "period_end", "value", "sample_size"
    )
    for pilot_id, code, tier, start, end, value, size in rows:
        if end > after[pilot_id]:
            periods[(pilot_id, code, tier)].append(Period(start, end, value, size))
    return periods


def _baselines(pilots: list[Pilot], codes: tuple[str, ...]) -> dict:
    return {
        (b.pilot_id, b.metric.code, b.tier): b.value
        for p in pilots
        for b in p.baselines.all()
        if b.metric.code in codes
    }


def _pooled_change(periods: dict, baselines: dict, code: str) -> tuple[Decimal | None, int, int]:
    """Sample-weighted mean of (current - baseline) over pilots and tiers, samples, series."""
    total = weight = ZERO
    keys = 0
    for key, series in periods.items():
        if key[1] != code or key not in baselines:
            continue
        current = weighted_mean(series)
        samples = sum(p.sample_size for p in series)
        total += (current - baselines[key]) * samples
        weight += samples
        keys += 1
    if not weight:
        return None, 0, 0
    return total / weight, int(weight), keys


def _input(value, source: str, *, estimate: bool = False, missing: bool = False) -> dict:
    return {"value": value, "source": source, "estimate": estimate, "missing": missing}


def rate_card(*, currency: str, as_of: date) -> RateCard | None:
    """The rates in force on the day, in the currency."""
    return (
        RateCard.objects.filter(currency=currency, effective_from__lte=as_of)
        .order_by("-effective_from")
        .first()
    )


def audited_benefits(
    *, pilots: list[Pilot], offering: Offering | None, currency: str, as_of: date
) -> dict:
    """The scope's audited benefits whose period ends in the twelve months up to the as-of
    date: the signed ones (their sum is "other audited benefits") and those awaiting finance's
    sign-off (listed, never counted). Amounts are taken as audited, never annualised."""
    q = Q(pilot__in=[p.pk for p in pilots])
    if offering is not None:
        q |= Q(offering=offering)
    start = _month_add(as_of.replace(day=1), -12) + timedelta(days=as_of.day - 1)
    rows = AuditedBenefit.objects.filter(
        q, currency=currency, period_end__gt=start, period_end__lte=as_of
    ).order_by("period_end", "id")
    signed, waiting = [], []
    total = ZERO
    for b in rows:
        item = {
            "id": b.pk,
            "category": b.category,
            "category_label": b.get_category_display(),
            "amount": format(b.amount, "f"),
            "period": [b.period_start.isoformat(), b.period_end.isoformat()],
        }
        if b.status == BenefitStatus.SIGNED:
            signed.append(item)
            total += b.amount
        else:
            waiting.append(item)
    return {"total": total, "signed": signed, "awaiting_signoff": waiting}


def measured_inputs(
    *,
    pilots: list[Pilot],
    spend: dict,
    currency: str,
    as_of: date,
    benefits: dict | None = None,
) -> dict[str, dict]:
    """The audited case's inputs, each with its value and where it came from."""
    codes = (CYCLE_TIME, REVIEWER_LOAD, PR_VOLUME)
    periods = _measured_periods(pilots, codes, as_of)
    baselines = _baselines(pilots, codes)
    inputs: dict[str, dict] = {}

    teams = {t.pk: t for p in pilots for t in p.teams.all()}
    engineers = sum(t.headcount for t in teams.values())
    inputs["engineers"] = _input(
        Decimal(engineers),
        "headcount of "
        + (", ".join(f"{t.name} ({t.headcount})" for t in teams.values()) or "no team"),
        missing=not teams,
    )

    volume = [s for k, v in periods.items() if k[1] == PR_VOLUME for s in v]
    if volume:
        inputs["prs_per_engineer_month"] = _input(
            weighted_mean(volume), f"measured: {len(volume)} period(s) after the grace period"
        )
    else:
        known = [v for k, v in baselines.items() if k[1] == PR_VOLUME]
        inputs["prs_per_engineer_month"] = _input(
            (sum(known) / len(known)).quantize(Decimal("0.01")) if known else ZERO,
            "baseline (no measurement after the grace period yet)"
            if known
            else "not measured: no PR-volume baseline or measurement",
            missing=not known,
        )

    for name, code, sign, label in (
        ("cycle_time_saving_hours", CYCLE_TIME, -1, "cycle time"),
        ("reviewer_minutes_change_per_pr", REVIEWER_LOAD, 1, "reviewer minutes per PR"),
    ):
        change, samples, keys = _pooled_change(periods, baselines, code)
        if change is None:
            inputs[name] = _input(
                ZERO, f"not measured: no {label} periods after the grace period", missing=True
            )
        else:
            inputs[name] = _input(
                (sign * change).quantize(Decimal("0.0001")),
                f"measured: baseline minus current {label}, {samples} samples over {keys} "
                "pilot/tier series"
                if sign < 0
                else f"measured: current minus baseline {label}, {samples} samples over {keys} "
                "pilot/tier series",
            )

    card = rate_card(currency=currency, as_of=as_of)
    for name in ("loaded_hourly_rate", "senior_hourly_rate"):
        if card is None:
            inputs[name] = _input(ZERO, f"no {currency} rate card in force", missing=True)
        else:
            inputs[name] = _input(getattr(card, name), f"rate card from {card.effective_from}")
    benefits = benefits or {"total": ZERO, "signed": []}
    inputs["other_audited_benefits"] = _input(
        benefits["total"],
        (
            f"{len(benefits['signed'])} audited benefit(s) signed by finance, periods ending "
            "in the twelve months to the as-of date: "
            + "; ".join(f"{b['category_label']} {b['amount']}" for b in benefits["signed"])
        )
        if benefits["signed"]
        else "none signed by finance",
    )
    inputs["annual_ai_spend"] = _input(
        spend["annual_ai_spend"],
        f"ledger: recurring categories over {spend['months_of_recurring_spend']} complete "
        f"month(s) since the first, to {spend['recurring_through']}, annualised",
        missing=spend["annual_ai_spend"] <= 0,
    )
    inputs["one_time_costs"] = _input(spend["one_time_costs"], "ledger: one-time categories")
    return inputs


def _roi_inputs(inputs: dict[str, dict], currency: str) -> roi.RoiInputs:
    return roi.RoiInputs(
        currency=currency,
        **{f.name: inputs[f.name]["value"] for f in fields(roi.RoiInputs) if f.name != "currency"},
    )


def _case(inputs: dict[str, dict], currency: str) -> dict:
    """Inputs with their sources, and the outputs (or why they cannot be computed)."""
    shown = {name: {**spec, "value": format(spec["value"], "f")} for name, spec in inputs.items()}
    try:
        result = roi.calculate(_roi_inputs(inputs, currency))
    except roi.RoiInputError as error:
        return {"inputs": shown, "outputs": None, "problems": list(error.errors.values())}
    return {"inputs": shown, "outputs": result.as_dict(), "problems": []}


def request_profile(*, pilots: list[Pilot], as_of: date) -> dict[str, dict]:
    """Average tokens per request per routing tier, from the gateway roll-ups of the pilots'
    teams over the year up to the as-of date; a tier without roll-ups keeps the assumed profile
    and says so. Cached tokens are counted inside a roll-up's input tokens (as LiteLLM reports
    prompt tokens), so the uncached input is input minus cached."""
    teams = {t.pk for p in pilots for t in p.teams.all()}
    rows = (
        GatewayDaily.objects.filter(
            team__in=teams, day__gt=as_of - timedelta(days=365), day__lte=as_of
        )
        .exclude(tier="")
        .values("tier")
        .annotate(
            n=Sum("requests"),
            input=Sum("input_tokens"),
            cached=Sum("cached_tokens"),
            output=Sum("output_tokens"),
            days=Count("day", distinct=True),
        )
    )
    measured = {r["tier"]: r for r in rows if r["n"]}
    profile = {}
    for tier, assumed in DEFAULT_REQUEST_MIX.items():
        r = measured.get(tier)
        if r is None:
            profile[tier] = {**assumed, "source": "assumption (no gateway roll-ups for this tier)"}
            continue
        n = Decimal(r["n"])
        cached = Decimal(r["cached"])
        profile[tier] = {
            "input_tokens": int(((Decimal(r["input"]) - cached).max(ZERO) / n).to_integral()),
            "cached_input_tokens": int((cached / n).to_integral()),
            "output_tokens": int((Decimal(r["output"]) / n).to_integral()),
            "source": f"gateway roll-ups: {r['n']:,} requests over {r['days']} day(s)",
        }
    return profile


def tier_request_costs(
    *, vendor_id: int, currency: str, profile: dict[str, dict] | None = None
) -> dict[str, Decimal]:
    """Cost per request per routing tier for a vendor's newest approved model of each tier,
    with the token profile given (the assumed one by default)."""
    profile = profile or DEFAULT_REQUEST_MIX
    costs = {}
    versions = ModelVersion.objects.filter(
        vendor_id=vendor_id, currency=currency, status=ModelStatus.APPROVED
    ).order_by("tier", "-released_on")
    for version in versions:
        if version.tier in costs or version.tier not in profile:
            continue
        mix = profile[version.tier]
        costs[version.tier] = roi.request_cost(
            roi.TierPrice(
                version.price_input_per_mtok,
                version.price_cached_input_per_mtok,
                version.price_output_per_mtok,
            ),
            roi.TierMix(
                Decimal(1),
                *(
                    Decimal(mix[k])
                    for k in ("input_tokens", "cached_input_tokens", "output_tokens")
                ),
            ),
        )
    return costs


def scope_roi(
    *,
    pilots: list[Pilot],
    offering: Offering | None = None,
    currency: str = "USD",
    as_of: date,
    estimates: dict[str, Decimal] | None = None,
) -> dict:
    """Audited and best-case ROI of the pilots (and their program's spend), with sensitivity."""
    spend = spend_summary(
        scope_spend(pilots=pilots, offering=offering), currency=currency, as_of=as_of
    )
    benefits = audited_benefits(pilots=pilots, offering=offering, currency=currency, as_of=as_of)
    audited = measured_inputs(
        pilots=pilots, spend=spend, currency=currency, as_of=as_of, benefits=benefits
    )
    best = dict(audited)
    for name, value in (estimates or {}).items():
        if name not in ESTIMABLE:
            raise ValueError(f"{name} cannot be estimated")
        if value is not None:
            best[name] = _input(Decimal(value), "estimate", estimate=True)
    audited_case, best_case = _case(audited, currency), _case(best, currency)
    table, effort = [], []
    profile = request_profile(pilots=pilots, as_of=as_of)
    if audited_case["outputs"] is not None:
        vendor_id = (offering or pilots[0].offering).vendor_id if (offering or pilots) else None
        split = roi.SpendSplit(
            inference=spend["annual_inference"],
            cost_per_request=tier_request_costs(
                vendor_id=vendor_id, currency=currency, profile=profile
            )
            if vendor_id
            else {},
        )
        table = roi.sensitivity(_roi_inputs(audited, currency), split)
        effort = roi.effort_sensitivity(_roi_inputs(audited, currency))
    problems = [
        f"{name.replace('_', ' ')}: {spec['source']}"
        for name, spec in audited.items()
        if spec["missing"]
    ]
    return {
        "as_of": as_of.isoformat(),
        "currency": currency,
        "spend": _spend_text(spend),
        "audited": audited_case,
        "best": {**best_case, "estimates": sorted(n for n, s in best.items() if s["estimate"])},
        "sensitivity": table,
        "effort_sensitivity": effort,
        "sensitivity_axes": roi.AXES,
        "benefits": {
            "signed": benefits["signed"],
            "awaiting_signoff": benefits["awaiting_signoff"],
        },
        "assumptions": {"request_mix": profile},
        "problems": problems + spend["excluded"] + audited_case["problems"],
    }


def _spend_text(spend: dict) -> dict:
    def text(value):
        if isinstance(value, Decimal):
            return format(value.quantize(Decimal("0.01")), "f")
        if isinstance(value, dict):
            return {k: text(v) for k, v in value.items()}
        return value

    return text(spend)


# --- scopes and snapshots -------------------------------------------------------------------


def program_pilots(offering: Offering) -> list[Pilot]:
    """The pilots of an offering that have started (those with data to judge)."""
    return list(
        Pilot.objects.filter(offering=offering, status__in=STARTED)
        .select_related("offering__vendor", "owner")
        .prefetch_related("teams", "baselines__metric")
        .order_by("started_on", "pk")
    )


def review_pilots(*, scope: str, pilot: Pilot | None, offering: Offering | None) -> list[Pilot]:
    """The pilots a review of this scope is about."""
    if scope == ReviewScope.PILOT:
        return list(
            Pilot.objects.filter(pk=pilot.pk)
            .select_related("offering__vendor", "owner")
            .prefetch_related("teams", "baselines__metric")
        )
    return program_pilots(offering)


def checkpoint_metrics(*, pilots: list[Pilot], as_of: date) -> list[dict]:
    """For each pilot, metric and tier: baseline, and value and change at each checkpoint
    reached by the as-of date (the checkpoint windows of the kill-criteria rule)."""
    rows = (
        Measurement.objects.filter(pilot__in=[p.pk for p in pilots], period_end__lte=as_of)
        .select_related("metric")
        .order_by("metric__position", "tier", "period_end")
    )
    series: dict[tuple, list[Period]] = defaultdict(list)
    metrics = {}
    for m in rows:
        series[(m.pilot_id, m.metric_id, m.tier)].append(
            Period(m.period_start, m.period_end, m.value, m.sample_size)
        )
        metrics[m.metric_id] = m.metric
    baselines = {}
    for p in pilots:
        for b in p.baselines.all():
            baselines[(p.pk, b.metric_id, b.tier)] = b.value
            metrics[b.metric_id] = b.metric
    by_id = {p.pk: p for p in pilots}
    out = []
    for key in sorted(
        set(series) | set(baselines), key=lambda k: (k[0], metrics[k[1]].position, k[2])
    ):
        pilot, metric = by_id[key[0]], metrics[key[1]]
        baseline = baselines.get(key)
        checkpoints = []
        if pilot.started_on:
            previous = 0
            for day in pilot.checkpoint_days:
                end = pilot.started_on + timedelta(days=day)
                if end > as_of:
                    break
                # As in the kill rule: grace-period periods never enter a checkpoint's value.
                start = pilot.started_on + timedelta(days=max(previous, pilot.grace_days))
                in_grace = day <= pilot.grace_days
                window = [p for p in series.get(key, []) if not in_grace and start < p.end <= end]
                value = weighted_mean(window)
                checkpoints.append(
                    {
                        "day": day,
                        "value": _fmt(value),
                        "delta_pct": _fmt(delta_pct(value, baseline)),
                        "periods": len(window),
                        "in_grace": in_grace,
                    }
                )
                previous = day
        out.append(
            {
                "pilot": pilot.pk,
                "metric": metric.code,
                "name": metric.name,
                "unit": metric.unit,
                "direction": metric.direction,
                "tier": key[2],
                "baseline": _fmt(baseline),
                "checkpoints": checkpoints,
            }
        )
    return out


def _fmt(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def review_snapshot(
    *,
    scope: str,
    pilot: Pilot | None,
    offering: Offering | None,
    currency: str,
    as_of: date,
    estimates: dict | None = None,
) -> dict:
    """What a quarterly decision is taken on, frozen into the review: pilots, metrics vs
    baseline at each checkpoint, spend to date, and the audited and best-case ROI."""
    pilots = review_pilots(scope=scope, pilot=pilot, offering=offering)
    return {
        "as_of": as_of.isoformat(),
        "pilots": [
            {
                "id": p.pk,
                "title": p.title,
                "status": p.status,
                "started_on": _fmt_date(p.started_on),
                "teams": sorted(t.name for t in p.teams.all()),
                "agentic": p.agentic,
            }
            for p in pilots
        ],
        "metrics": checkpoint_metrics(pilots=pilots, as_of=as_of),
        "roi": scope_roi(
            pilots=pilots,
            offering=offering if scope == ReviewScope.PROGRAM else None,
            currency=currency,
            as_of=as_of,
            estimates=estimates,
        ),
    }


def _fmt_date(day: date | None) -> str | None:
    return day.isoformat() if day else None


class DueList:
    """Pilots, then programs, without a live review for a quarter: counted and sliced in the
    database, so a page of them costs the same however many pilots run (Paginator-ready)."""

    def __init__(self, quarter: str):
        live = QuarterlyReview.objects.filter(quarter=quarter).exclude(
            status=ReviewStatus.SUPERSEDED
        )
        open_pilots = Pilot.objects.filter(
            status__in=(PilotStatus.RUNNING, PilotStatus.UNDER_REVIEW)
        )
        self.pilots = (
            open_pilots.exclude(pk__in=live.filter(scope=ReviewScope.PILOT).values("pilot_id"))
            .select_related("offering__vendor", "owner")
            .order_by("offering__vendor__name", "offering__name", "title", "pk")
        )
        self.programs = (
            Offering.objects.filter(pk__in=open_pilots.values("offering_id"))
            .exclude(pk__in=live.filter(scope=ReviewScope.PROGRAM).values("offering_id"))
            .select_related("vendor")
            .order_by("vendor__name", "name", "pk")
        )
        self._counts: tuple[int, int] | None = None

    def counts(self) -> tuple[int, int]:
        if self._counts is None:
            self._counts = (self.pilots.count(), self.programs.count())
        return self._counts

    def count(self) -> int:
        return sum(self.counts())

    def __len__(self) -> int:
        return self.count()

    @staticmethod
    def _pilot(p: Pilot) -> dict:
        return {"scope": ReviewScope.PILOT, "pilot": p, "offering": p.offering, "label": str(p)}

    @staticmethod
    def _program(o: Offering) -> dict:
        return {"scope": ReviewScope.PROGRAM, "pilot": None, "offering": o, "label": f"program {o}"}

    def __getitem__(self, index: slice) -> list[dict]:
        start, stop, _ = index.indices(self.count())
        pilots, _ = self.counts()
        items = (
            [self._pilot(p) for p in self.pilots[start : min(stop, pilots)]]
            if start < pilots
            else []
        )
        if stop > pilots:
            items += [
                self._program(o) for o in self.programs[max(start - pilots, 0) : stop - pilots]
            ]
        return items

    def first(self, n: int) -> list[dict]:
        """The first n entries in two queries however many are due and of which kind (the
        header's count reads this on every page, so its query count must not vary); a pilot's
        entry names its pilot (title and owner read) and not its offering."""
        # Only what a queue row names is read: whole pilots with their offering, vendor and
        # owner cost every page 7 ms for the 50 rows at most the queue shows.
        pilots = [
            {"scope": ReviewScope.PILOT, "pilot": p, "offering": None, "label": str(p)}
            for p in self.pilots.select_related(None)
            .select_related("owner")
            .only("pk", "title", "owner__username")[:n]
        ]
        programs = self.programs.only("pk", "name", "vendor__name")[:n]
        return (pilots + [self._program(o) for o in programs])[:n]

    def __iter__(self):
        return iter(self[:])


def reviews_due(*, quarter: str) -> DueList:
    """Running pilots and programs without a live review for the quarter."""
    return DueList(quarter)


def review_quarters(*, current: str) -> list[str]:
    """Quarters that have reviews, newest first, with the current one always listed."""
    quarters = set(QuarterlyReview.objects.values_list("quarter", flat=True).distinct())
    return sorted(quarters | {current}, reverse=True)


def review_list(*, quarter: str = "") -> list[QuarterlyReview]:
    """Reviews newest quarter first, superseded ones included (they stay visible)."""
    reviews = QuarterlyReview.objects.select_related(
        "pilot", "offering__vendor", "decided_by", "supersedes"
    )
    if quarter:
        reviews = reviews.filter(quarter=quarter)
    return list(reviews.order_by("-quarter", "scope", "-decided_at", "-id"))


def program_seats(*, offering: Offering) -> int:
    """Seats added or removed by the offering's signed (live) program reviews."""
    return sum(
        QuarterlyReview.objects.filter(
            scope=ReviewScope.PROGRAM, offering=offering, status=ReviewStatus.SIGNED
        ).values_list("seat_delta", flat=True)
    )
