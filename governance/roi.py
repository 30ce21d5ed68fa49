"""The ROI model: pure arithmetic on Decimals, no ORM (the formulas of DESIGN.md, by name).

Names are the contract: every input and every output keeps the name the design card gives it,
so a finance reviewer can check a packet against the formula sheet line by line.

    annual_pr_volume    = prs_per_engineer_month * 12 * engineers
    hours_saved         = cycle_time_saving_hours * annual_pr_volume
    time_savings        = hours_saved * loaded_hourly_rate
    reviewer_savings    = -reviewer_minutes_change_per_pr * annual_pr_volume / 60
                          * senior_hourly_rate          (positive when reviewers save minutes)
    total_benefit       = time_savings + reviewer_savings + other_audited_benefits
    benefit_multiple    = total_benefit / annual_ai_spend          (the "3.7x" figure)
    net_roi             = (total_benefit - annual_ai_spend) / annual_ai_spend   (the percentage)
    monthly_net_savings = (total_benefit - annual_ai_spend) / 12
    payback_months      = one_time_costs / monthly_net_savings   (none when savings <= 0;
                          "nothing to recover", never 0.00, when there are no one-time costs)

Intermediates are kept exact; outputs are rounded once, at the end: money to cents, ratios to
four places, months to two.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

ZERO = Decimal(0)
CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
MONTH = Decimal("0.01")
TIERS = ("fast", "standard", "heavy")
# The sensitivity grid the design card asks for: token prices and heavy-tier share.
PRICE_CHANGES_PCT = (-50, -25, 0, 50, 100)
HEAVY_SHIFT_POINTS = (-10, 0, 10)
# The share of each cycle-time hour saved that was an engineer's working hour: a pull request
# merged 3 h sooner does not always give back 3 h of work (part of a cycle is waiting).
# 1 reproduces the design card's formula; 0.5 and 0.25 are the lower readings finance asks for.
EFFORT_FACTORS = (Decimal(1), Decimal("0.5"), Decimal("0.25"))
# What each axis of the sensitivity tables moves, in words (shown with the tables).
AXES = {
    "price_change_pct": "Token prices: every tier's price per token up or down by this percentage; "
    "only the inference part of annual AI spend moves (seats, compliance and the rest stay).",
    "heavy_shift_points": "Heavy-tier share: this many percentage points of requests move to "
    "(or from) the heavy tier, taken from the other tiers in proportion; inference spend is "
    "re-priced at each tier's cost per request, request volume stays.",
    "effort_factor": "Effort factor: the share of each cycle-time hour saved that counts as an "
    "engineer's working hour; it scales hours saved and so time savings (1.0 is the formula as "
    "written); reviewer savings, other benefits and spend stay.",
}
# Beyond any plausible enterprise figure: refusing it keeps every result exactly representable.
LIMIT = Decimal(10) ** 15
NO_PAYBACK = "No payback: monthly net savings are not positive, so the costs are never recovered."
NOTHING_TO_RECOVER = "Nothing to recover: there are no one-time costs."


class RoiInputError(ValueError):
    """Inputs the model cannot compute with; `errors` maps each input name to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class RoiInputs:
    """Every input of the model, with the design card's names; 0 unless given."""

    annual_ai_spend: Decimal
    engineers: Decimal = ZERO
    prs_per_engineer_month: Decimal = ZERO
    cycle_time_saving_hours: Decimal = ZERO
    loaded_hourly_rate: Decimal = ZERO
    reviewer_minutes_change_per_pr: Decimal = ZERO
    senior_hourly_rate: Decimal = ZERO
    other_audited_benefits: Decimal = ZERO
    one_time_costs: Decimal = ZERO
    currency: str = "USD"

    # Inputs that may be negative: a slower cycle or more reviewer minutes are real outcomes.
    SIGNED = ("cycle_time_saving_hours", "reviewer_minutes_change_per_pr")

    def __post_init__(self):
        errors = {}
        for f in fields(self):
            if f.name == "currency":
                continue
            value = getattr(self, f.name)
            if not isinstance(value, Decimal) or not value.is_finite():
                errors[f.name] = "A finite decimal number is required."
            elif f.name not in self.SIGNED and value < 0:
                errors[f.name] = "Cannot be negative."
            elif abs(value) > LIMIT:
                errors[f.name] = f"Must be within ±{LIMIT:,.0f}."
        if "annual_ai_spend" not in errors and self.annual_ai_spend < CENT:
            errors["annual_ai_spend"] = (
                "Annual AI spend must be at least 0.01 (it is the divisor of the multiple)."
            )
        if not (isinstance(self.currency, str) and len(self.currency) == 3):
            errors["currency"] = "Give a three-letter ISO currency code."
        if errors:
            raise RoiInputError(errors)

    @classmethod
    def names(cls) -> list[str]:
        """The input names, in the order of the formula sheet."""
        return [f.name for f in fields(cls)]


@dataclass(frozen=True)
class RoiResult:
    """Every intermediate and output of the model, exact; `as_dict` rounds for display."""

    inputs: RoiInputs
    annual_pr_volume: Decimal
    hours_saved: Decimal
    time_savings: Decimal
    reviewer_savings: Decimal
    total_benefit: Decimal
    benefit_multiple: Decimal
    net_roi: Decimal
    monthly_net_savings: Decimal
    payback_months: Decimal | None
    payback_note: str = ""

    OUTPUTS = (
        "annual_pr_volume",
        "hours_saved",
        "time_savings",
        "reviewer_savings",
        "total_benefit",
        "benefit_multiple",
        "net_roi",
        "monthly_net_savings",
        "payback_months",
    )
    MONEY = ("time_savings", "reviewer_savings", "total_benefit", "monthly_net_savings")

    def rounded(self, name: str) -> Decimal | None:
        """One output, rounded the way it is displayed and stored."""
        value = getattr(self, name)
        if value is None:
            return None
        if name in self.MONEY:
            step = CENT
        elif name in ("benefit_multiple", "net_roi"):
            step = RATIO
        elif name == "payback_months":
            step = MONTH
        else:  # volumes and hours: two places keep fractional PR counts honest
            step = CENT
        with localcontext() as ctx:
            ctx.prec = 80  # room for the largest products of bounded inputs
            return value.quantize(step, rounding=ROUND_HALF_EVEN)

    def as_dict(self) -> dict:
        """Outputs as strings (never floats), with the currency and the payback note."""
        out = {name: _text(self.rounded(name)) for name in self.OUTPUTS}
        out["currency"] = self.inputs.currency
        if self.payback_months is None:
            out["payback_note"] = self.payback_note
        return out


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def calculate(inputs: RoiInputs) -> RoiResult:
    """Apply the formulas to the inputs; exact arithmetic, rounding left to the caller."""
    with localcontext() as ctx:
        ctx.prec = 80  # enough that the exact intermediates of bounded inputs never round
        i = inputs
        annual_pr_volume = i.prs_per_engineer_month * 12 * i.engineers
        hours_saved = i.cycle_time_saving_hours * annual_pr_volume
        time_savings = hours_saved * i.loaded_hourly_rate
        reviewer_savings = -i.reviewer_minutes_change_per_pr * annual_pr_volume / 60
        reviewer_savings *= i.senior_hourly_rate
        total_benefit = time_savings + reviewer_savings + i.other_audited_benefits
        benefit_multiple = total_benefit / i.annual_ai_spend
        # Derived from the multiple so that benefit_multiple - 1 == net_roi holds exactly.
        net_roi = benefit_multiple - 1
        monthly_net_savings = (total_benefit - i.annual_ai_spend) / 12
        if monthly_net_savings <= 0:
            payback_months, note = None, NO_PAYBACK
        elif not i.one_time_costs:
            # "0.00 months" would read as a payback that happened; there was nothing to pay.
            payback_months, note = None, NOTHING_TO_RECOVER
        else:
            payback_months, note = i.one_time_costs / monthly_net_savings, ""
    return RoiResult(
        inputs=inputs,
        annual_pr_volume=annual_pr_volume,
        hours_saved=hours_saved,
        time_savings=time_savings,
        reviewer_savings=reviewer_savings,
        total_benefit=total_benefit,
        benefit_multiple=benefit_multiple,
        net_roi=net_roi,
        monthly_net_savings=monthly_net_savings,
        payback_months=payback_months,
        payback_note=note,
    )


# --- sensitivity ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendSplit:
    """Annual AI spend split into inference by routing tier and everything else."""

    inference: Mapping[str, Decimal]  # tier -> annual inference spend
    cost_per_request: Mapping[str, Decimal] = field(default_factory=dict)  # tier -> cost

    @property
    def inference_total(self) -> Decimal:
        return sum(self.inference.values(), ZERO)


def inference_after(
    split: SpendSplit, *, price_change_pct: int, heavy_shift_points: int
) -> tuple[Decimal, str]:
    """Annual inference spend after a token-price change and a heavy-tier share shift.

    The request volume stays as it is. Shifting the heavy tier's share of requests by N points
    moves those requests from (or to) the other tiers in proportion to their current shares,
    and each request costs its tier's cost per request. Without a cost per request for every
    tier that has spend, the shift cannot be priced and only the price change applies (the
    note says so).
    """
    factor = 1 + Decimal(price_change_pct) / 100
    spend = {t: split.inference.get(t, ZERO) for t in TIERS}
    total = sum(spend.values(), ZERO)
    if heavy_shift_points == 0 or total == 0:
        return total * factor, ""
    costs = split.cost_per_request
    if any(spend[t] > 0 and costs.get(t, ZERO) <= 0 for t in TIERS):
        return total * factor, "heavy-tier shift not priced: a cost per request is missing"
    requests = {t: spend[t] / costs[t] if spend[t] > 0 else ZERO for t in TIERS}
    volume = sum(requests.values(), ZERO)
    shares = {t: requests[t] / volume for t in TIERS}
    heavy = min(max(shares["heavy"] + Decimal(heavy_shift_points) / 100, ZERO), Decimal(1))
    others = [t for t in TIERS if t != "heavy"]
    rest = sum((shares[t] for t in others), ZERO)
    new = {"heavy": heavy}
    for t in others:
        # With no other traffic today, the moved requests go to the standard tier.
        if rest > 0:
            new[t] = shares[t] / rest * (1 - heavy)
        else:
            new[t] = (1 - heavy) if t == "standard" else ZERO
    missing = [t for t in TIERS if new[t] > 0 and costs.get(t, ZERO) <= 0]
    if missing:
        return total * factor, "heavy-tier shift not priced: no cost per request for " + ", ".join(
            missing
        )
    after = sum((volume * new[t] * costs.get(t, ZERO) for t in TIERS), ZERO)
    return after * factor, ""


def sensitivity(
    inputs: RoiInputs,
    split: SpendSplit,
    *,
    price_changes: Iterable[int] = PRICE_CHANGES_PCT,
    heavy_shifts: Iterable[int] = HEAVY_SHIFT_POINTS,
) -> list[dict]:
    """Net ROI and payback for each token-price change against each heavy-share shift.

    Only the inference part of annual AI spend moves; seats, compliance and the rest stay.
    """
    with localcontext() as ctx:
        ctx.prec = 80  # exact arithmetic on bounded inputs, as in calculate()
        base_inference = split.inference_total
        return [
            {
                "price_change_pct": pct,
                "cells": [
                    _sensitivity_cell(inputs, split, base_inference, pct, shift)
                    for shift in heavy_shifts
                ],
            }
            for pct in price_changes
        ]


def effort_sensitivity(
    inputs: RoiInputs, *, factors: Iterable[Decimal] = EFFORT_FACTORS
) -> list[dict]:
    """Hours saved, time savings, total benefit, net ROI and payback with the cycle-time saving
    scaled by each effort factor; a factor of 1 reproduces calculate(inputs) exactly."""
    rows = []
    with localcontext() as ctx:
        ctx.prec = 80
        for factor in factors:
            result = calculate(
                replace(inputs, cycle_time_saving_hours=inputs.cycle_time_saving_hours * factor)
            )
            row = {"effort_factor": _text(factor.quantize(Decimal("0.01")))}
            row.update(
                {
                    name: _text(result.rounded(name))
                    for name in (
                        "hours_saved",
                        "time_savings",
                        "total_benefit",
                        "net_roi",
                        "payback_months",
                    )
                }
            )
            if result.payback_months is None:
                row["payback_note"] = (
                    "nothing to recover"
                    if result.payback_note == NOTHING_TO_RECOVER
                    else "no payback"
                )
            rows.append(row)
    return rows


def _sensitivity_cell(
    inputs: RoiInputs, split: SpendSplit, base_inference: Decimal, pct: int, shift: int
) -> dict:
    inference, note = inference_after(split, price_change_pct=pct, heavy_shift_points=shift)
    spend = inputs.annual_ai_spend - base_inference + inference
    cell = {"heavy_shift_points": shift, "note": note}
    try:
        result = calculate(replace(inputs, annual_ai_spend=spend))
    except RoiInputError as error:
        cell.update(net_roi=None, payback_months=None, annual_ai_spend=_text(spend.quantize(CENT)))
        cell["note"] = error.errors.get("annual_ai_spend", str(error))
        return cell
    cell.update(
        annual_ai_spend=_text(spend.quantize(CENT)),
        net_roi=_text(result.rounded("net_roi")),
        payback_months=_text(result.rounded("payback_months")),
    )
    if result.payback_months is None:
        cell["payback_note"] = (
            "nothing to recover" if result.payback_note == NOTHING_TO_RECOVER else "no payback"
        )
    return cell


# --- routing tiers --------------------------------------------------------------------------


@dataclass(frozen=True)
class TierPrice:
    """A tier's token prices per 1M tokens (input, cached input, output)."""

    input_per_mtok: Decimal
    cached_input_per_mtok: Decimal
    output_per_mtok: Decimal


@dataclass(frozen=True)
class TierMix:
    """A tier's share of requests and its average tokens per request."""

    share: Decimal  # of requests, 0..1
    input_tokens: Decimal
    cached_input_tokens: Decimal
    output_tokens: Decimal


MILLION = Decimal(1_000_000)
SHARE_TOLERANCE = Decimal("0.0001")


def request_cost(price: TierPrice, mix: TierMix) -> Decimal:
    """What one request of this mix costs at this tier's prices."""
    return (
        mix.input_tokens * price.input_per_mtok
        + mix.cached_input_tokens * price.cached_input_per_mtok
        + mix.output_tokens * price.output_per_mtok
    ) / MILLION


def tier_cost(prices: Mapping[str, TierPrice], mix: Mapping[str, TierMix]) -> dict:
    """Blended cost per request, each tier's share of spend, and the saving against sending
    every request (with its own token profile) to the heavy tier.

    Shares must add up to 1; every tier with a share needs a price, and the heavy tier needs a
    price for the all-heavy baseline.
    """
    errors = {}
    shares = sum((m.share for m in mix.values()), ZERO)
    # Thirds written as 0.333333 are fine; anything further off is a mistake in the mix.
    if abs(shares - 1) > SHARE_TOLERANCE:
        errors["mix"] = f"Request shares must add up to 1 (they add up to {shares})."
    for tier, m in mix.items():
        if tier not in TIERS:
            errors[f"mix.{tier}"] = f"Unknown tier; use {', '.join(TIERS)}."
        elif m.share > 0 and tier not in prices:
            errors[f"prices.{tier}"] = "A tier with requests needs prices."
        values = (m.share, m.input_tokens, m.cached_input_tokens, m.output_tokens)
        if any(v < 0 for v in values):
            errors[f"mix.{tier}"] = "Shares and token counts cannot be negative."
    if "heavy" not in prices:
        errors["prices.heavy"] = "The all-heavy baseline needs the heavy tier's prices."
    if errors:
        raise RoiInputError(errors)
    with localcontext() as ctx:
        ctx.prec = 80  # token counts x prices stay exact whatever their size
        return _tier_cost(prices, mix)


def _tier_cost(prices: Mapping[str, TierPrice], mix: Mapping[str, TierMix]) -> dict:
    per_tier = {t: m.share * request_cost(prices[t], m) for t, m in mix.items() if m.share > 0}
    blended = sum(per_tier.values(), ZERO)
    all_heavy = sum(
        (m.share * request_cost(prices["heavy"], m) for m in mix.values() if m.share > 0), ZERO
    )
    saving = (1 - blended / all_heavy) if all_heavy > 0 else ZERO
    pct = (saving * 100).quantize(Decimal(1))
    return {
        "blended_cost_per_request": _text(blended.quantize(Decimal("0.000001"))),
        "all_heavy_cost_per_request": _text(all_heavy.quantize(Decimal("0.000001"))),
        "spend_share": {
            t: _text((c / blended).quantize(RATIO) if blended else ZERO)
            for t, c in sorted(per_tier.items(), key=lambda kv: TIERS.index(kv[0]))
        },
        "saving_vs_all_heavy": _text(saving.quantize(RATIO)),
        "summary": (
            f"Blended cost per request is {pct}% below an all-frontier baseline."
            if saving >= 0
            else f"Blended cost per request is {-pct}% above an all-frontier baseline."
        ),
    }
