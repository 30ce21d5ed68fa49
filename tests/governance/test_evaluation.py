"""Kill-criterion arithmetic (pure): grace, K consecutive periods, direction, missing data."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from governance.evaluation import Period, Rule, judge, weighted_mean

START = date(2027, 1, 4)
D = Decimal


def _periods(values, *, first_end_day=7, every=7, sample=10):
    return [
        Period(
            START + timedelta(days=first_end_day + i * every - every + 1),
            START + timedelta(days=first_end_day + i * every),
            D(v),
            sample,
        )
        for i, v in enumerate(values)
    ]


FORTY = D("40")


def _judge(rule, periods, day=90, previous=30, baseline=FORTY):
    return judge(
        rule,
        started_on=START,
        checkpoint_day=day,
        previous_day=previous,
        baseline=baseline,
        periods=periods,
    )


WORSE_20 = Rule("worse_pct", D("20"), "lower", evaluate_from_day=60, consecutive_periods=2)


def test_the_grace_period_prevents_an_early_kill():
    terrible = _periods(["90"] * 4)
    result = _judge(WORSE_20, terrible, day=30, previous=0)
    assert result.verdict == "in_grace"
    # Grace-period periods never make a current value (it was 90 here before issue 21).
    assert result.value is None


def test_k_consecutive_periods_must_all_breach():
    # weekly periods; the last two after day 60: one bad, one fine -> ok
    values = ["40"] * 9 + ["55", "45"]
    assert _judge(WORSE_20, _periods(values), day=77).verdict == "ok"
    values = ["40"] * 9 + ["55", "50"]
    assert _judge(WORSE_20, _periods(values), day=77).verdict == "breached"


def test_lower_is_better_breaches_above_the_limit():
    rule = Rule("worse_pct", D("20"), "lower", 60, 1)
    assert _judge(rule, _periods(["48.01"] * 13)).verdict == "breached"
    assert _judge(rule, _periods(["48"] * 13)).verdict == "ok"


def test_higher_is_better_breaches_below_the_limit():
    rule = Rule("worse_pct", D("25"), "higher", 60, 1)
    assert _judge(rule, _periods(["14.9"] * 13), baseline=D("20")).verdict == "breached"
    assert _judge(rule, _periods(["15"] * 13), baseline=D("20")).verdict == "ok"
    assert _judge(rule, _periods(["30"] * 13), baseline=D("20")).verdict == "ok"


def test_absolute_thresholds():
    above = Rule("above", D("0.25"), "lower", 60, 1)
    below = Rule("below", D("10"), "higher", 60, 1)
    assert _judge(above, _periods(["0.3"] * 13)).verdict == "breached"
    assert _judge(below, _periods(["9"] * 13)).verdict == "breached"


def test_no_period_in_the_window_is_insufficient_data():
    result = _judge(WORSE_20, _periods(["90"] * 3))  # all end before day 30
    assert result.verdict == "insufficient_data"
    assert result.explanation == "No measurement period ended in this checkpoint's window."


def test_fewer_than_k_periods_after_day_d_is_insufficient_data():
    rule = Rule("worse_pct", D("20"), "lower", 60, 3)
    periods = _periods(["40"] * 8 + ["90", "90"])  # ends days 63 and 70 after D=60
    assert _judge(rule, periods, day=77).verdict == "insufficient_data"


def test_the_current_value_is_the_sample_weighted_mean_of_the_window():
    periods = [
        Period(START, START + timedelta(days=40), D("10"), 1),
        Period(START, START + timedelta(days=50), D("40"), 3),
    ]
    result = _judge(Rule("above", D("100"), "lower", 30, 1), periods, day=60, previous=30)
    assert result.value == D("32.5000")
    assert result.delta_pct == D("-18.75")


@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=-1000, max_value=1000, places=2),
            st.integers(min_value=1, max_value=1000),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_the_weighted_mean_lies_between_the_extremes(points):
    periods = [Period(START, START, v, n) for v, n in points]
    mean = weighted_mean(periods)
    values = [v for v, _ in points]
    assert min(values) - D("0.0001") <= mean <= max(values) + D("0.0001")
