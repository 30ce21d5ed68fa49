"""The pure ROI model: the design card's worked example, invariants, sensitivity, tier cost."""

from dataclasses import replace
from decimal import Decimal as D
from decimal import localcontext

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from governance import roi
from governance.roi import RoiInputError, RoiInputs, TierMix, TierPrice, calculate


def test_worked_example_of_the_design_card():
    """N=1,200, p=3 -> 43,200 PRs a year; h=0.8, r=$120 -> $4,147,200 of time savings."""
    result = calculate(
        RoiInputs(
            engineers=D(1200),
            prs_per_engineer_month=D(3),
            cycle_time_saving_hours=D("0.8"),
            loaded_hourly_rate=D(120),
            annual_ai_spend=D(1_000_000),
        )
    )
    out = result.as_dict()
    assert out["annual_pr_volume"] == "43200.00"
    assert out["hours_saved"] == "34560.00"
    assert out["time_savings"] == "4147200.00"
    assert out["total_benefit"] == "4147200.00"
    assert out["benefit_multiple"] == "4.1472"
    assert out["net_roi"] == "3.1472"
    assert out["monthly_net_savings"] == "262266.67"
    # No one-time costs: nothing to recover, said in words (0.00 read as a payback that happened).
    assert out["payback_months"] is None
    assert out["payback_note"] == "Nothing to recover: there are no one-time costs."
    assert out["currency"] == "USD"


def test_reviewer_minutes_saved_are_a_positive_saving():
    result = calculate(
        RoiInputs(
            engineers=D(10),
            prs_per_engineer_month=D(5),
            reviewer_minutes_change_per_pr=D(-6),
            senior_hourly_rate=D(150),
            annual_ai_spend=D(1000),
        )
    )
    # 600 PRs a year * 6 minutes / 60 = 60 hours at $150.
    assert result.reviewer_savings == D(9000)


def test_payback_is_one_time_costs_over_monthly_net_savings():
    result = calculate(
        RoiInputs(
            other_audited_benefits=D(240_000), annual_ai_spend=D(120_000), one_time_costs=D(50_000)
        )
    )
    assert result.monthly_net_savings == D(10_000)
    assert result.as_dict()["payback_months"] == "5.00"


def test_no_payback_is_said_in_words_when_savings_are_not_positive():
    out = calculate(RoiInputs(annual_ai_spend=D(100), one_time_costs=D(10))).as_dict()
    assert out["payback_months"] is None
    assert "never recovered" in out["payback_note"]
    assert out["net_roi"] == "-1.0000"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"annual_ai_spend": D(0)}, "annual_ai_spend"),
        ({"engineers": D(-1)}, "engineers"),
        ({"loaded_hourly_rate": D("NaN")}, "loaded_hourly_rate"),
        ({"currency": "dollars"}, "currency"),
    ],
)
def test_inputs_are_refused_by_name(changes, field):
    base = {"annual_ai_spend": D(1)}
    with pytest.raises(RoiInputError) as error:
        RoiInputs(**{**base, **changes})
    assert field in error.value.errors


money = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
signed = st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False)
positive = st.decimals(min_value=D("0.01"), max_value=10**7, places=2, allow_nan=False)


@st.composite
def inputs(draw):
    return RoiInputs(
        engineers=draw(st.decimals(min_value=0, max_value=10_000, places=0)),
        prs_per_engineer_month=draw(st.decimals(min_value=0, max_value=50, places=1)),
        cycle_time_saving_hours=draw(signed),
        loaded_hourly_rate=draw(money),
        reviewer_minutes_change_per_pr=draw(signed),
        senior_hourly_rate=draw(money),
        other_audited_benefits=draw(money),
        annual_ai_spend=draw(positive),
        one_time_costs=draw(money),
    )


@settings(max_examples=200, deadline=None)
@given(inputs())
def test_benefit_multiple_minus_one_is_net_roi(i):
    result = calculate(i)
    with localcontext() as exact:
        exact.prec = 80  # the precision calculate() works in
        assert result.benefit_multiple - 1 == result.net_roi
    assert D(result.as_dict()["benefit_multiple"]) - 1 == D(result.as_dict()["net_roi"])


@settings(max_examples=200, deadline=None)
@given(inputs(), st.decimals(min_value=D("0.01"), max_value=10, places=2))
def test_more_cycle_time_saved_never_lowers_the_benefit(i, more):
    before = calculate(i)
    after = calculate(replace(i, cycle_time_saving_hours=i.cycle_time_saving_hours + more))
    assert after.total_benefit >= before.total_benefit
    assert after.net_roi >= before.net_roi


@settings(max_examples=200, deadline=None)
@given(inputs(), st.decimals(min_value=D("0.01"), max_value=10, places=2))
def test_more_reviewer_minutes_never_raise_the_benefit(i, more):
    before = calculate(i)
    after = calculate(
        replace(i, reviewer_minutes_change_per_pr=i.reviewer_minutes_change_per_pr + more)
    )
    assert after.total_benefit <= before.total_benefit


@settings(max_examples=200, deadline=None)
@given(inputs(), positive)
def test_more_spend_never_raises_net_roi(i, more):
    before = calculate(i)
    assume(before.total_benefit >= 0)  # a negative benefit shrinks relative to more spend
    after = calculate(replace(i, annual_ai_spend=i.annual_ai_spend + more))
    assert after.net_roi <= before.net_roi


@settings(max_examples=200, deadline=None)
@given(inputs())
def test_payback_exists_exactly_when_monthly_net_savings_are_positive(i):
    result = calculate(i)
    recoverable = result.monthly_net_savings > 0 and i.one_time_costs > 0
    assert (result.payback_months is not None) == recoverable
    assert result.monthly_net_savings * 12 == result.total_benefit - i.annual_ai_spend


def test_tier_cost_against_a_hand_computed_case():
    """Hand computation, USD per 1M tokens:

    fast:     in 0.10, cached 0.01, out 0.40; 70% of requests, 2,000 in / 1,000 cached / 300 out
              -> (2000*0.10 + 1000*0.01 + 300*0.40) / 1e6 = 330 / 1e6 = 0.000330
    standard: in 1.00, cached 0.10, out 4.00; 20%, 4,000 / 2,000 / 800
              -> (4000 + 200 + 3200) / 1e6 = 0.007400
    heavy:    in 5.00, cached 0.50, out 25.00; 10%, 8,000 / 4,000 / 2,000
              -> (40000 + 2000 + 50000) / 1e6 = 0.092000
    blended = 0.7*0.000330 + 0.2*0.007400 + 0.1*0.092000 = 0.000231 + 0.00148 + 0.0092
            = 0.010911
    all heavy: fast profile at heavy prices (10000+500+7500)/1e6 = 0.018 * 0.7 = 0.0126;
               standard profile (20000+1000+20000)/1e6 = 0.041 * 0.2 = 0.0082;
               heavy 0.092 * 0.1 = 0.0092 -> 0.0300
    saving = 1 - 0.010911 / 0.0300 = 0.6363
    """
    prices = {
        "fast": TierPrice(D("0.10"), D("0.01"), D("0.40")),
        "standard": TierPrice(D("1.00"), D("0.10"), D("4.00")),
        "heavy": TierPrice(D("5.00"), D("0.50"), D("25.00")),
    }
    mix = {
        "fast": TierMix(D("0.7"), D(2000), D(1000), D(300)),
        "standard": TierMix(D("0.2"), D(4000), D(2000), D(800)),
        "heavy": TierMix(D("0.1"), D(8000), D(4000), D(2000)),
    }
    out = roi.tier_cost(prices, mix)
    assert out["blended_cost_per_request"] == "0.010911"
    assert out["all_heavy_cost_per_request"] == "0.030000"
    assert out["saving_vs_all_heavy"] == "0.6363"
    assert out["spend_share"] == {"fast": "0.0212", "standard": "0.1356", "heavy": "0.8432"}
    assert out["summary"] == "Blended cost per request is 64% below an all-frontier baseline."


def test_tier_cost_refuses_shares_that_do_not_add_up():
    prices = {"heavy": TierPrice(D(1), D(1), D(1))}
    with pytest.raises(RoiInputError) as error:
        roi.tier_cost(prices, {"heavy": TierMix(D("0.5"), D(1), D(0), D(1))})
    assert "mix" in error.value.errors


def test_sensitivity_grid_moves_only_inference_spend():
    inputs_ = RoiInputs(other_audited_benefits=D(300_000), annual_ai_spend=D(100_000))
    # 60k inference (40k heavy at $0.10 a request, 20k fast at $0.01), 40k seats.
    split = roi.SpendSplit(
        inference={"heavy": D(40_000), "fast": D(20_000)},
        cost_per_request={"heavy": D("0.10"), "fast": D("0.01")},
    )
    rows = roi.sensitivity(inputs_, split)
    assert [r["price_change_pct"] for r in rows] == [-50, -25, 0, 50, 100]
    base = next(r for r in rows if r["price_change_pct"] == 0)["cells"]
    assert [c["heavy_shift_points"] for c in base] == [-10, 0, 10]
    assert base[1]["annual_ai_spend"] == "100000.00"
    assert base[1]["net_roi"] == "2.0000"
    # Requests: 400k heavy + 2M fast = 2.4M; heavy share 1/6. +10 points -> 0.2667 heavy.
    # heavy 640k * 0.10 = 64k; fast 1.76M * 0.01 = 17.6k -> inference 81.6k, spend 121.6k.
    assert base[2]["annual_ai_spend"] == "121600.00"
    doubled = next(r for r in rows if r["price_change_pct"] == 100)["cells"][1]
    assert doubled["annual_ai_spend"] == "160000.00"
    assert doubled["net_roi"] == "0.8750"


def test_sensitivity_says_when_the_tier_shift_cannot_be_priced():
    inputs_ = RoiInputs(annual_ai_spend=D(100))
    split = roi.SpendSplit(inference={"heavy": D(50)})
    cell = roi.sensitivity(inputs_, split, price_changes=[0], heavy_shifts=[10])[0]["cells"][0]
    assert "not priced" in cell["note"]
    assert cell["annual_ai_spend"] == "100.00"
