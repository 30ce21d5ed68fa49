"""Kill-criterion arithmetic, pure (no ORM): the same inputs always give the same verdict.

The rule, also in the README:
- a checkpoint at day C of a pilot that started on S judges the periods whose end falls in
  (S + previous checkpoint day, S + C]; the *current value* is the sample-size-weighted mean
  of those periods: sum(value x sample) / sum(sample);
- before the criterion's evaluate-from day D the verdict is "in grace" (the J-curve dip);
- a period *breaches* when its value is worse than the threshold: for "worse than baseline by
  X%" that is above baseline x (1 + X/100) when lower is better, below baseline x (1 - X/100)
  when higher is better; "above" / "below" compare with an absolute value;
- the criterion is *breached* only when each of its last K periods ending after day D (and by
  day C) breaches; with fewer than K such periods, or no period in the window, the verdict is
  "insufficient data".
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Period:
    """One measured period."""

    start: date
    end: date
    value: Decimal
    sample_size: int


@dataclass(frozen=True)
class Rule:
    """A kill criterion reduced to what the arithmetic needs."""

    comparator: str  # worse_pct / above / below
    threshold: Decimal
    direction: str  # lower / higher
    evaluate_from_day: int
    consecutive_periods: int


@dataclass(frozen=True)
class Judgement:
    """The outcome for one criterion at one checkpoint."""

    verdict: str  # ok / breached / insufficient_data / in_grace
    value: Decimal | None
    delta_pct: Decimal | None
    periods: int
    explanation: str


def weighted_mean(periods: list[Period]) -> Decimal | None:
    """Sample-size-weighted mean of the periods' values (None without data)."""
    total = sum(p.sample_size for p in periods)
    if not total:
        return None
    return (sum(p.value * p.sample_size for p in periods) / total).quantize(Decimal("0.0001"))


def limit(rule: Rule, baseline: Decimal | None) -> Decimal | None:
    """The value beyond which a period breaches (None when a baseline is needed but missing)."""
    if rule.comparator in ("above", "below"):
        return rule.threshold
    if baseline is None:
        return None
    factor = rule.threshold / HUNDRED
    return baseline * (1 + factor) if rule.direction == "lower" else baseline * (1 - factor)


def breaches(rule: Rule, value: Decimal, bound: Decimal) -> bool:
    """Does one period's value breach the bound?"""
    if rule.comparator == "above":
        return value > bound
    if rule.comparator == "below":
        return value < bound
    return value > bound if rule.direction == "lower" else value < bound


def delta_pct(value: Decimal | None, baseline: Decimal | None) -> Decimal | None:
    """Change against baseline in percent (None when undefined)."""
    if value is None or not baseline:
        return None
    return ((value - baseline) / baseline * HUNDRED).quantize(Decimal("0.01"))


def judge(
    rule: Rule,
    *,
    started_on: date,
    checkpoint_day: int,
    previous_day: int,
    baseline: Decimal | None,
    periods: list[Period],
) -> Judgement:
    """Judge one kill criterion at one checkpoint."""
    window_start = started_on + timedelta(days=previous_day)
    window_end = started_on + timedelta(days=checkpoint_day)
    in_window = [p for p in periods if window_start < p.end <= window_end]
    value = weighted_mean(in_window)
    delta = delta_pct(value, baseline)
    if checkpoint_day < rule.evaluate_from_day:
        return Judgement(
            "in_grace",
            value,
            delta,
            len(in_window),
            f"Day {checkpoint_day} is inside the grace period (evaluated from day "
            f"{rule.evaluate_from_day}).",
        )
    bound = limit(rule, baseline)
    if bound is None:
        return Judgement("insufficient_data", value, delta, len(in_window), "No baseline.")
    if not in_window:
        return Judgement(
            "insufficient_data",
            None,
            None,
            0,
            "No measurement period ended in this checkpoint's window.",
        )
    after_d = sorted(
        (
            p
            for p in periods
            if started_on + timedelta(days=rule.evaluate_from_day) < p.end <= window_end
        ),
        key=lambda p: p.end,
    )
    k = rule.consecutive_periods
    if len(after_d) < k:
        return Judgement(
            "insufficient_data",
            value,
            delta,
            len(in_window),
            f"{len(after_d)} period(s) after day {rule.evaluate_from_day}; {k} needed to judge.",
        )
    last = after_d[-k:]
    if all(breaches(rule, p.value, bound) for p in last):
        return Judgement(
            "breached",
            value,
            delta,
            len(in_window),
            f"Each of the last {k} period(s) breached the limit of "
            f"{bound.quantize(Decimal('0.0001')).normalize()}.",
        )
    return Judgement(
        "ok",
        value,
        delta,
        len(in_window),
        f"Not all of the last {k} period(s) breached the limit of "
        f"{bound.quantize(Decimal('0.0001')).normalize()}.",
    )
