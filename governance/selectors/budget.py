"""The budget ledger: what signed quarterly reviews committed (seats, annual budget) against
what the spend ledger shows was spent, per scope (a pilot or a program) and quarter.

Rules (docs/budget.md):
- only signed reviews count; a superseded review drops out and its correction counts instead,
  while the superseded one stays listed (marked) so the original decision remains visible;
- a review's budget_delta changes the annual budget from the quarter after the one it decides
  (a quarterly decision is about the quarters to come); a quarter's budget is a quarter of the
  annual budget in force;
- actual spend is the spend ledger's rows of the scope in the quarter (pilot rows, its teams'
  rows for the pilot's vendor, which include the gateway-derived inference rows, and program
  rows for a program), in the ledger's currency; rows in another currency are left out and
  counted, as Tollgate does not convert.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from governance.choices import ReviewScope, ReviewStatus
from governance.models import Pilot, QuarterlyReview
from governance.selectors.finance import program_pilots, quarter_bounds, quarter_of, scope_spend
from vendors.models import Offering

ZERO = Decimal(0)
CENT = Decimal("0.01")


def _next_quarter(quarter: str) -> str:
    return quarter_of(quarter_bounds(quarter)[1] + timedelta(days=1))


def _scope_reviews(*, pilot: Pilot | None, offering: Offering | None):
    if pilot is not None:
        rows = QuarterlyReview.objects.filter(scope=ReviewScope.PILOT, pilot=pilot)
    else:
        rows = QuarterlyReview.objects.filter(scope=ReviewScope.PROGRAM, offering=offering)
    return rows.exclude(status=ReviewStatus.DECIDED).select_related("supersedes")


def _money(value: Decimal) -> str:
    return format(value.quantize(CENT), "f")


def commitments(*, pilot: Pilot | None = None, offering: Offering | None = None) -> dict:
    """Seats and annual budget in force for a pilot or program: the sum of its signed reviews'
    deltas (corrections replace what they supersede), by currency."""
    seats = 0
    budget: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for review in _scope_reviews(pilot=pilot, offering=offering):
        if review.status == ReviewStatus.SIGNED:
            seats += review.seat_delta
            budget[review.currency] += review.budget_delta
    return {
        "seats": seats,
        "annual_budget": {cur: _money(v) for cur, v in sorted(budget.items())},
    }


def budget_ledger(
    *,
    pilot: Pilot | None = None,
    offering: Offering | None = None,
    currency: str = "USD",
    as_of: date,
) -> dict:
    """Per quarter from the first signed review to the as-of quarter: the annual budget in
    force, the quarter's budget, actual spend from the ledger, and what is left."""
    reviews = list(_scope_reviews(pilot=pilot, offering=offering).order_by("quarter", "id"))
    signed = [r for r in reviews if r.status == ReviewStatus.SIGNED and r.currency == currency]
    other_currency = sum(1 for r in reviews if r.status == ReviewStatus.SIGNED) - len(signed)
    pilots = [pilot] if pilot is not None else program_pilots(offering)
    spent: dict[str, Decimal] = defaultdict(lambda: ZERO)
    excluded = 0
    as_of_month = as_of.replace(day=1)
    for row in scope_spend(pilots=pilots, offering=offering if pilot is None else None):
        if row.month > as_of_month:
            continue
        if row.currency != currency:
            excluded += 1
            continue
        spent[quarter_of(row.month)] += row.amount
    current = quarter_of(as_of)
    quarters: list[dict] = []
    if signed:
        quarter = signed[0].quarter
        while quarter <= current:
            annual = sum((r.budget_delta for r in signed if r.quarter < quarter), ZERO)
            quarter_budget = annual / 4
            actual = spent.get(quarter, ZERO)
            quarters.append(
                {
                    "quarter": quarter,
                    "annual_budget": _money(annual),
                    "budget": _money(quarter_budget),
                    "actual_spend": _money(actual),
                    "remaining": _money(quarter_budget - actual),
                    "over_budget": actual > quarter_budget,
                    "to_date": quarter == current and as_of < quarter_bounds(quarter)[1],
                    "decided": [
                        {
                            "review": r.pk,
                            "decision": r.decision,
                            "seat_delta": r.seat_delta,
                            "budget_delta": _money(r.budget_delta),
                        }
                        for r in signed
                        if r.quarter == quarter
                    ],
                }
            )
            quarter = _next_quarter(quarter)
    notes = []
    if excluded:
        notes.append(
            f"{excluded} spend row(s) in another currency left out: Tollgate does not convert."
        )
    if other_currency:
        notes.append(f"{other_currency} signed review(s) budgeted in another currency left out.")
    return {
        "scope": ReviewScope.PILOT if pilot is not None else ReviewScope.PROGRAM,
        "pilot": pilot.pk if pilot is not None else None,
        "offering": offering.pk if pilot is None else None,
        "currency": currency,
        "as_of": as_of.isoformat(),
        **commitments(pilot=pilot, offering=offering),
        "quarters": quarters,
        "reviews": [
            {
                "review": r.pk,
                "quarter": r.quarter,
                "status": r.status,
                "decision": r.decision,
                "seat_delta": r.seat_delta,
                "budget_delta": _money(r.budget_delta),
                "currency": r.currency,
                "supersedes": r.supersedes_id,
                "counts": r.status == ReviewStatus.SIGNED,
            }
            for r in reviews
        ],
        "notes": notes,
    }
