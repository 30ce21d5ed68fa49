"""Kill-criterion arithmetic, pure (no ORM): the same inputs always give the same verdict.

The rule, also in the README:
- a period whose sample is below the criterion's minimum sample size (default 20) is *too
  small*: it is counted and reported, but it neither enters the current value, nor breaches,
  nor breaks a run of breaching periods (two PRs at +200% say nothing about 6,000 at -17%);
- a checkpoint at day C of a pilot that started on S judges the periods whose end falls in
  (S + max(previous checkpoint day, D), S + C], D being the criterion's evaluate-from day: the
  *current value* is the sample-size-weighted mean of those periods (too small ones left out):
  sum(value x sample) / sum(sample). Grace-period periods never enter it;
- before the evaluate-from day D the verdict is "in grace" (the J-curve dip), with no current
  value;
- a period *breaches* when its value is worse than the threshold: for "worse than baseline by
  X%" that is above baseline x (1 + X/100) when lower is better, below baseline x (1 - X/100)
  when higher is better; "above" / "below" compare with an absolute value;
- with "require a clear breach", the breach must be clear at 95%: when every one of the last K
  periods recorded a spread (sd), each period's interval value +/- 1.96 x sd / sqrt(sample)
  must lie wholly beyond the limit; otherwise every period must breach and the t interval of
  their mean, from the spread of the K values, must lie wholly beyond it (K = 1 is never
  clear; measurements do not carry an sd yet, see docs/kill-rule.md);
- the criterion is *breached* only when each of its last K large-enough periods ending after
  day D (and by day C) breaches; with fewer than K such periods, or no period in the window,
  the verdict is "insufficient data".
"""

import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from scipy.stats import t as student_t

HUNDRED = Decimal(100)
Z_95 = Decimal("1.96")


@dataclass(frozen=True)
class Period:
    """One measured period."""

    start: date
    end: date
    value: Decimal
    sample_size: int
    sd: Decimal | None = None  # spread of the period's items, when the source recorded one


@dataclass(frozen=True)
class Rule:
    """A kill criterion reduced to what the arithmetic needs."""

    comparator: str  # worse_pct / above / below
    threshold: Decimal
    direction: str  # lower / higher
    evaluate_from_day: int
    consecutive_periods: int
    min_sample_size: int = 1  # the pure default: no minimum; a kill criterion defaults to 20
    require_clear_breach: bool = False


@dataclass(frozen=True)
class Judgement:
    """The outcome for one criterion at one checkpoint."""

    verdict: str  # ok / breached / insufficient_data / in_grace
    value: Decimal | None
    delta_pct: Decimal | None
    periods: int
    explanation: str
    too_small: int = 0


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


def _breach_is_above(rule: Rule) -> bool:
    if rule.comparator in ("above", "below"):
        return rule.comparator == "above"
    return rule.direction == "lower"


def breaches(rule: Rule, value: Decimal, bound: Decimal) -> bool:
    """Does one period's value breach the bound?"""
    return value > bound if _breach_is_above(rule) else value < bound


def interval(period: Period, z: Decimal = Z_95) -> tuple[Decimal, Decimal] | None:
    """value +/- z x sd / sqrt(sample): the period's interval (None without an sd)."""
    if period.sd is None:
        return None
    half = z * period.sd / Decimal(period.sample_size).sqrt()
    return period.value - half, period.value + half


def spread_interval(values: list[Decimal], confidence: float = 0.95) -> tuple | None:
    """The interval of the mean of period values from their spread across the periods
    (Student's t with n - 1 degrees of freedom); None for fewer than 2 periods."""
    if len(values) < 2:
        return None
    n = len(values)
    mean = sum(values) / n
    t = Decimal(str(student_t.ppf((1 + confidence) / 2, n - 1)))
    half = t * statistics.stdev(values) / Decimal(n).sqrt()
    return mean - half, mean + half


def _beyond(rule: Rule, bounds: tuple[Decimal, Decimal], bound: Decimal) -> bool:
    low, high = bounds
    return low > bound if _breach_is_above(rule) else high < bound


def period_breaches(rule: Rule, period: Period, bound: Decimal) -> bool:
    """Does the period breach, clearly (its whole interval beyond the bound) when required?"""
    if not rule.require_clear_breach:
        return breaches(rule, period.value, bound)
    bounds = interval(period)
    return bounds is not None and _beyond(rule, bounds, bound)


def run_breaches(rule: Rule, last: list[Period], bound: Decimal) -> tuple[bool, str]:
    """Does each of the last K periods breach (clearly, when required)? And a note on how a
    clear breach was judged.

    A clear breach uses each period's own interval when every period recorded a spread;
    otherwise every period must breach and the interval of their mean, from how much the K
    values vary, must lie wholly beyond the limit (so two periods that agree are clearer than
    two that straddle it, and one period alone is never clear).
    """
    if not rule.require_clear_breach:
        return all(breaches(rule, p.value, bound) for p in last), ""
    if all(p.sd is not None for p in last):
        return all(period_breaches(rule, p, bound) for p in last), ""
    bounds = spread_interval([p.value for p in last])
    if bounds is None:
        return False, " One period has no spread of its own: a clear breach needs two or more."
    shown = " to ".join(str(b.quantize(Decimal("0.01"))) for b in bounds)
    clear = all(breaches(rule, p.value, bound) for p in last) and _beyond(rule, bounds, bound)
    return clear, f" The interval of their mean, from their spread, is {shown}."


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
    minimum = rule.min_sample_size
    window_end = started_on + timedelta(days=checkpoint_day)
    if checkpoint_day < rule.evaluate_from_day:
        window_start = started_on + timedelta(days=previous_day)
        grace = [p for p in periods if window_start < p.end <= window_end]
        return Judgement(
            "in_grace",
            None,
            None,
            0,
            f"Day {checkpoint_day} is inside the grace period (evaluated from day "
            f"{rule.evaluate_from_day}); its {len(grace)} period(s) give no current value.",
        )
    # Grace periods never enter the current value, even when the previous checkpoint was
    # inside the grace period.
    window_start = started_on + timedelta(days=max(previous_day, rule.evaluate_from_day))
    in_window = [p for p in periods if window_start < p.end <= window_end]
    counted = [p for p in in_window if p.sample_size >= minimum]
    too_small = len(in_window) - len(counted)
    small_note = (
        f" {too_small} period(s) too small (sample under {minimum}) left out." if too_small else ""
    )
    value = weighted_mean(counted)
    delta = delta_pct(value, baseline)
    bound = limit(rule, baseline)
    if bound is None:
        return Judgement(
            "insufficient_data", value, delta, len(counted), "No baseline." + small_note, too_small
        )
    if not counted:
        return Judgement(
            "insufficient_data",
            None,
            None,
            0,
            (
                "No measurement period large enough ended in this checkpoint's window."
                if too_small
                else "No measurement period ended in this checkpoint's window."
            )
            + small_note,
            too_small,
        )
    after_d = sorted(
        (
            p
            for p in periods
            if started_on + timedelta(days=rule.evaluate_from_day) < p.end <= window_end
            and p.sample_size >= minimum
        ),
        key=lambda p: p.end,
    )
    k = rule.consecutive_periods
    if len(after_d) < k:
        return Judgement(
            "insufficient_data",
            value,
            delta,
            len(counted),
            f"{len(after_d)} large-enough period(s) after day {rule.evaluate_from_day}; {k} "
            "needed to judge." + small_note,
            too_small,
        )
    last = after_d[-k:]
    shown = bound.quantize(Decimal("0.0001")).normalize()
    clearly = " clearly (95% interval wholly beyond it)" if rule.require_clear_breach else ""
    breached, how = run_breaches(rule, last, bound)
    if breached:
        return Judgement(
            "breached",
            value,
            delta,
            len(counted),
            f"Each of the last {k} period(s) breached the limit of {shown}{clearly}."
            + how
            + small_note,
            too_small,
        )
    return Judgement(
        "ok",
        value,
        delta,
        len(counted),
        f"Not all of the last {k} period(s) breached the limit of {shown}{clearly}."
        + how
        + small_note,
        too_small,
    )
