"""A pilot's effect on a metric, with its confidence interval: pure arithmetic, no ORM.

Input: weekly rows (team, week, value, n) of the pilot's teams and of its control teams, and
which weeks are "before" (the baseline window) and "after" (past grace, up to the checkpoint).
Output: an Effect. The method, and why it suits a pilot of 1-3 teams, is docs/effects.md:

1. Each arm's week is the mean of its teams' values weighted by their sample sizes (PRs), so
   a team that merged 200 PRs that week counts 40 times one that merged 5.
2. The weekly gap is pilot arm - control arm (the pilot arm alone without controls).
3. The effect is the coefficient of "after" in a weighted least-squares regression of the gap
   on a constant and an after dummy: with arm and period fixed effects collapsed into the gap,
   this is the difference-in-differences (after - before of the pilot, minus the same of the
   controls). Each week is weighted by 1 / (1/n_pilot + 1/n_control), the inverse of the
   sampling variance of a difference of two means, so a week of 2 PRs cannot swing it.
4. The interval is the regression's t interval (statsmodels WLS): weeks are the replications,
   because with at most 3 pilot teams a cluster-robust error over teams is unreliable.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from statsmodels.regression.linear_model import WLS

METHOD_DID = "difference-in-differences of weekly gaps (WLS, t interval over weeks)"
METHOD_BEFORE_AFTER = "before/after of the pilot teams' weekly series (WLS, t interval over weeks)"
NO_CONTROLS_WARNING = (
    "No control teams: this is a before/after comparison, and nothing rules out a trend "
    "that would have happened anyway."
)
# Fewer weeks than this on either side leaves no honest interval (a t interval on two points
# is a guess with a number attached).
MIN_WEEKS = 3
# Lag-1 autocorrelation of the weekly gaps above which the interval is likely too narrow.
AUTOCORRELATION_WARNING = 0.4
# Suggesting controls: the least overlap of weekly values with the pilot's baseline window.
MIN_OVERLAP_WEEKS = 8

Row = tuple[int, date, float, int]  # (team, week's Monday, value, sample size)


@dataclass(frozen=True)
class Effect:
    """One metric's effect, its interval and the samples behind it (None where not computable)."""

    method: str
    confidence: float
    baseline: float | None = None
    current: float | None = None
    effect: float | None = None
    effect_pct: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n_pilot: int = 0
    n_control: int = 0
    weeks_before: int = 0
    weeks_after: int = 0
    significant: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def computed(self) -> bool:
        return self.effect is not None


def _arm_by_week(rows: Iterable[Row], weeks: set[date]) -> dict[date, tuple[float, int]]:
    """week -> (sample-weighted mean over the arm's teams, total sample size)."""
    sums: dict[date, list[float]] = defaultdict(lambda: [0.0, 0])
    for _team, week, value, n in rows:
        if week in weeks and n > 0:
            sums[week][0] += float(value) * n
            sums[week][1] += n
    return {week: (total / n, n) for week, (total, n) in sums.items()}


def _weighted_mean(series: dict[date, tuple[float, int]], weeks: Sequence[date]) -> float | None:
    values = [series[w] for w in weeks if w in series]
    if not values:
        return None
    return float(np.average([v for v, _ in values], weights=[n for _, n in values]))


def estimate_effect(
    *,
    pilot: Iterable[Row],
    control: Iterable[Row] = (),
    before: Iterable[date],
    after: Iterable[date],
    confidence: float = 0.95,
) -> Effect:
    """The effect of the pilot over the `after` weeks against the `before` weeks."""
    before, after = set(before), set(after)
    weeks = before | after
    pilot_arm = _arm_by_week(pilot, weeks)
    control_arm = _arm_by_week(control, weeks)
    with_controls = bool(control_arm)
    method = METHOD_DID if with_controls else METHOD_BEFORE_AFTER
    warnings = [] if with_controls else [NO_CONTROLS_WARNING]

    # Only weeks both arms measured enter a difference-in-differences.
    used = sorted(w for w in pilot_arm if not with_controls or w in control_arm)
    used_before = [w for w in used if w in before]
    used_after = [w for w in used if w in after]
    baseline = _weighted_mean(pilot_arm, used_before)
    current = _weighted_mean(pilot_arm, used_after)
    result = {
        "method": method,
        "confidence": confidence,
        "baseline": baseline,
        "current": current,
        "n_pilot": sum(pilot_arm[w][1] for w in used),
        "n_control": sum(control_arm[w][1] for w in used) if with_controls else 0,
        "weeks_before": len(used_before),
        "weeks_after": len(used_after),
    }
    if len(used_before) < MIN_WEEKS or len(used_after) < MIN_WEEKS:
        warnings.append(
            f"Too few weeks for an interval: {len(used_before)} before and {len(used_after)} "
            f"after{' measured by both pilot and control teams' if with_controls else ''} "
            f"(at least {MIN_WEEKS} each)."
        )
        return Effect(**result, warnings=warnings)

    gaps, weights = [], []
    for week in used:
        value, n = pilot_arm[week]
        if with_controls:
            control_value, control_n = control_arm[week]
            gaps.append(value - control_value)
            weights.append(1 / (1 / n + 1 / control_n))
        else:
            gaps.append(value)
            weights.append(n)
    is_after = np.array([week in after for week in used], dtype=float)
    design = np.column_stack([np.ones(len(used)), is_after])
    fit = WLS(np.array(gaps), design, weights=np.array(weights)).fit()
    effect = float(fit.params[1])
    low, high = (float(x) for x in fit.conf_int(alpha=1 - confidence)[1])
    if not np.isfinite(low) or not np.isfinite(high):  # a perfect fit leaves no residual
        low = high = effect
    residuals = np.asarray(fit.resid)
    if len(residuals) > 3 and np.std(residuals) > 0:
        rho = float(np.corrcoef(residuals[:-1], residuals[1:])[0, 1])
        if rho > AUTOCORRELATION_WARNING:
            warnings.append(
                f"Consecutive weeks are correlated (lag-1 autocorrelation {rho:.2f}): the "
                "interval is probably too narrow."
            )
    return Effect(
        **result,
        effect=effect,
        effect_pct=100 * effect / baseline if baseline else None,
        ci_low=low,
        ci_high=high,
        significant=not low <= 0 <= high,
        warnings=warnings,
    )


def _standardised(series: dict[date, float]) -> dict[date, float]:
    values = np.array(list(series.values()), dtype=float)
    spread = values.std()
    if len(values) < 2 or spread == 0:
        return {}  # a flat series has no shape to match
    return {week: (value - values.mean()) / spread for week, value in series.items()}


def match_score(pilot: dict[date, float], candidate: dict[date, float]) -> float | None:
    """Mean squared difference of the two standardised weekly series over their common weeks.

    Standardising (each series minus its mean, over its standard deviation) compares shape,
    not level: DiD needs parallel trends, not equal values. None below MIN_OVERLAP_WEEKS.
    """
    common = sorted(set(pilot) & set(candidate))
    if len(common) < MIN_OVERLAP_WEEKS:
        return None
    a = _standardised({w: pilot[w] for w in common})
    b = _standardised({w: candidate[w] for w in common})
    if not a or not b:
        return None
    return float(np.mean([(a[w] - b[w]) ** 2 for w in common]))


def arm_series(rows: Iterable[Row]) -> dict[date, float]:
    """An arm's weekly series: each week's sample-weighted mean over its teams."""
    rows = list(rows)
    weeks = {week for _, week, _, _ in rows}
    return {week: value for week, (value, _n) in _arm_by_week(rows, weeks).items()}


def verdict(effect: Effect, *, lower_is_better: bool) -> str:
    """The effect in plain words: better, worse, or not distinguishable from no change."""
    if not effect.computed:
        return "not enough data yet"
    if not effect.significant:
        return "not distinguishable from no change"
    improved = (effect.effect < 0) == lower_is_better
    return "better" if improved else "worse"


UNIT_SYMBOLS = {"hours": "h", "minutes": "min", "percent": "%"}


def sentence(effect: Effect, *, unit: str, sample: str = "PRs") -> str:
    """For people: "-3.2 h, 95% CI -4.1 to -2.3, 1,240 PRs vs 1,310 in control"."""
    if not effect.computed:
        return "not enough data yet"
    symbol = UNIT_SYMBOLS.get(unit, unit)
    # One decimal for hours and percentages; small amounts (a cent per request) keep two
    # significant digits, or every effect on them would read "0.0".
    largest = max(abs(effect.effect), abs(effect.ci_low), abs(effect.ci_high))
    places = 1 if largest >= 1 else max(1, 1 - math.floor(math.log10(largest))) if largest else 1
    text = (
        f"{effect.effect:+,.{places}f} {symbol}, {effect.confidence:.0%} CI "
        f"{effect.ci_low:,.{places}f} to {effect.ci_high:,.{places}f}, "
        f"{effect.n_pilot:,} {sample}"
    )
    if effect.n_control:
        text += f" vs {effect.n_control:,} in control"
    return text.replace("+", "") if effect.effect < 0 else text
