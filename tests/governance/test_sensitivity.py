"""The sensitivity tables: the effort factor on cycle-time hours, what each axis moves, and the
token profile behind the heavy-tier shift (gateway roll-ups, or a labelled assumption)."""

from datetime import date
from decimal import Decimal

from governance import roi
from governance.models import GatewayDaily
from governance.selectors import finance as money
from tests.governance.finance_fixtures import AS_OF

WORKED = roi.RoiInputs(
    engineers=Decimal(1200),
    prs_per_engineer_month=Decimal(3),
    cycle_time_saving_hours=Decimal("0.8"),
    loaded_hourly_rate=Decimal(120),
    annual_ai_spend=Decimal(1_000_000),
    one_time_costs=Decimal(250_000),
)


def test_an_effort_factor_of_one_reproduces_the_formula():
    full = roi.effort_sensitivity(WORKED)[0]
    result = roi.calculate(WORKED)
    assert full["effort_factor"] == "1.00"
    assert full["time_savings"] == "4147200.00"  # the design card's worked example
    for name in ("hours_saved", "time_savings", "total_benefit", "net_roi", "payback_months"):
        assert full[name] == roi._text(result.rounded(name)), name


def test_lower_effort_factors_scale_only_the_cycle_time_hours():
    rows = {r["effort_factor"]: r for r in roi.effort_sensitivity(WORKED)}
    assert list(rows) == ["1.00", "0.50", "0.25"]
    assert rows["0.50"]["hours_saved"] == "17280.00"  # 34,560 h halved
    assert rows["0.50"]["time_savings"] == "2073600.00"
    assert rows["0.25"]["time_savings"] == "1036800.00"
    # 1,036,800 of benefit on 1,000,000 of spend: 3.68% net ROI; payback 250,000 / 3,066.67.
    assert rows["0.25"]["net_roi"] == "0.0368"
    assert rows["0.25"]["payback_months"] == "81.52"


def test_an_effort_factor_that_leaves_no_saving_says_no_payback():
    rows = roi.effort_sensitivity(
        roi.RoiInputs(**{**WORKED.__dict__, "annual_ai_spend": Decimal(3_000_000)})
    )
    assert rows[2]["payback_months"] is None
    assert rows[2]["payback_note"] == "no payback"


def test_the_scope_roi_carries_the_effort_table_and_says_what_each_axis_moves(ledger, rates, as_of):
    out = money.scope_roi(pilots=[ledger], as_of=AS_OF)
    assert [r["effort_factor"] for r in out["effort_sensitivity"]] == ["1.00", "0.50", "0.25"]
    assert out["effort_sensitivity"][0]["net_roi"] == out["audited"]["outputs"]["net_roi"]
    assert set(out["sensitivity_axes"]) == {
        "price_change_pct",
        "heavy_shift_points",
        "effort_factor",
    }
    assert "only the inference part" in out["sensitivity_axes"]["price_change_pct"]


def test_the_token_profile_is_labelled_an_assumption_without_gateway_roll_ups(ledger, rates, as_of):
    mix = money.scope_roi(pilots=[ledger], as_of=AS_OF)["assumptions"]["request_mix"]
    assert mix["heavy"]["source"] == "assumption (no gateway roll-ups for this tier)"
    assert mix["heavy"]["input_tokens"] == money.DEFAULT_REQUEST_MIX["heavy"]["input_tokens"]


def test_the_token_profile_comes_from_the_teams_gateway_roll_ups(ledger, rates, as_of):
    team = ledger.teams.first()
    for day, requests in ((date(2027, 4, 1), 100), (date(2027, 4, 2), 300)):
        GatewayDaily.objects.create(
            day=day,
            team=team,
            team_key=team.name,
            model=f"heavy-{day.day}",
            tier="heavy",
            requests=requests,
            input_tokens=requests * 12_000,  # cached tokens included, as LiteLLM reports them
            cached_tokens=requests * 5_000,
            output_tokens=requests * 1_500,
            spend=Decimal(1),
        )
    # Another team's traffic is not this pilot's profile.
    GatewayDaily.objects.create(
        day=date(2027, 4, 1),
        team=None,
        team_key="elsewhere",
        model="fast-1",
        tier="fast",
        requests=50,
        input_tokens=1,
        cached_tokens=0,
        output_tokens=1,
        spend=Decimal(1),
    )
    mix = money.scope_roi(pilots=[ledger], as_of=AS_OF)["assumptions"]["request_mix"]
    assert mix["heavy"] == {
        "input_tokens": 7000,
        "cached_input_tokens": 5000,
        "output_tokens": 1500,
        "source": "gateway roll-ups: 400 requests over 2 day(s)",
    }
    assert mix["fast"]["source"].startswith("assumption")
