"""Issue 21, item 3 and the money rules: the hand-computed cases that the old rules got wrong."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from governance import roi
from governance.evaluation import Period, Rule, interval, judge, spread_interval
from governance.forms import DecisionForm, PilotForm
from governance.models import Pilot
from governance.selectors import finance as money
from governance.services import pilots as ps
from governance.services.measurements import measurements_ingest
from tests.governance.conftest import START
from vendors.kit.errors import DomainError

D = Decimal
WORSE_10 = Rule("worse_pct", D("10"), "lower", evaluate_from_day=60, consecutive_periods=2)


def _weekly(values_and_sizes, *, first_end_day):
    """Weekly periods ending on first_end_day, +7, ... with (value, sample) pairs."""
    return [
        Period(
            START + timedelta(days=first_end_day + 7 * i - 6),
            START + timedelta(days=first_end_day + 7 * i),
            D(value),
            size,
        )
        for i, (value, size) in enumerate(values_and_sizes)
    ]


# --- minimum sample size -------------------------------------------------------------------


def test_two_one_pr_periods_at_plus_200_pct_do_not_breach_twelve_weeks_of_500_at_minus_17():
    # Baseline 10 h; twelve weeks of 500 PRs at 8.3 h (-17%), then two weeks of 1 PR at 30 h.
    periods = _weekly([("8.3", 500)] * 12 + [("30", 1)] * 2, first_end_day=63)
    rule = Rule(**{**WORSE_10.__dict__, "min_sample_size": 20})
    result = judge(
        rule,
        started_on=START,
        checkpoint_day=180,
        previous_day=0,
        baseline=D(10),
        periods=periods,
    )
    assert result.verdict == "ok"
    assert (result.value, result.delta_pct) == (D("8.3000"), D("-17.00"))
    assert result.too_small == 2
    assert "2 period(s) too small (sample under 20)" in result.explanation
    # Without the minimum the same data is "breached": the rule is what makes the difference.
    loose = judge(
        WORSE_10,
        started_on=START,
        checkpoint_day=180,
        previous_day=0,
        baseline=D(10),
        periods=periods,
    )
    assert loose.verdict == "breached"


def test_a_too_small_period_does_not_break_a_run_of_breaches():
    periods = _weekly([("40", 50), ("40", 50), ("13", 3), ("40", 50)], first_end_day=63)
    rule = Rule(**{**WORSE_10.__dict__, "min_sample_size": 20})
    result = judge(
        rule, started_on=START, checkpoint_day=90, previous_day=30, baseline=D(10), periods=periods
    )
    assert result.verdict == "breached"  # the 3-PR week in between neither breaks nor counts


def test_a_criterion_shows_its_minimum_sample_in_plain_words(pilot, ai_pm, metrics):
    criterion = ps.kill_criterion_add(
        pilot=pilot,
        metric=metrics["reviewer-load"],
        comparator="worse_pct",
        threshold="20",
        evaluate_from_day=60,
        min_sample_size=50,
        actor=ai_pm,
    )
    assert criterion.plain_words.endswith("counting only periods with a sample of at least 50")
    default = ps.kill_criterion_add(
        pilot=pilot,
        metric=metrics["cycle-time"],
        tier="complex",
        comparator="above",
        threshold="70",
        evaluate_from_day=60,
        actor=ai_pm,
    )
    assert default.min_sample_size == 20
    assert "at least 20" in default.plain_words


def test_the_database_refuses_a_minimum_sample_of_zero(pilot, ai_pm, metrics):
    criterion = ps.kill_criterion_add(
        pilot=pilot,
        metric=metrics["reviewer-load"],
        comparator="worse_pct",
        threshold="20",
        evaluate_from_day=60,
        actor=ai_pm,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        type(criterion).objects.filter(pk=criterion.pk).update(min_sample_size=0)


# --- grace never enters the current value ------------------------------------------------


def test_the_day_90_value_uses_only_periods_past_grace():
    # Baseline 30. Weeks ending days 35-56 (grace) at 37.32, weeks ending 63-84 at 25: the old
    # window (30, 90] gave 31.16 (+3.9%); every post-grace period was 25 (-16.7%).
    periods = _weekly([("37.32", 50)] * 4 + [("25", 50)] * 4, first_end_day=35)
    result = judge(
        WORSE_10, started_on=START, checkpoint_day=90, previous_day=30, baseline=D(30),
        periods=periods,
    )  # fmt: skip
    assert (result.value, result.delta_pct) == (D("25.0000"), D("-16.67"))
    assert result.periods == 4


def test_a_checkpoint_inside_grace_has_no_current_value():
    periods = _weekly([("37.32", 50)] * 4, first_end_day=7)
    result = judge(
        WORSE_10, started_on=START, checkpoint_day=30, previous_day=0, baseline=D(30),
        periods=periods,
    )  # fmt: skip
    assert result.verdict == "in_grace"
    assert result.value is None and result.delta_pct is None


def test_the_finance_checkpoint_series_leaves_grace_out(running_pilot):
    from governance.models import Measurement, Metric

    metric = Metric.objects.get(code="feature-throughput")  # not among the fixture's series
    for end_day, value in ((35, "37.32"), (56, "37.32"), (63, "25"), (84, "25")):
        end = running_pilot.started_on + timedelta(days=end_day)
        Measurement.objects.create(
            pilot=running_pilot,
            metric=metric,
            period_start=end - timedelta(days=6),
            period_end=end,
            value=D(value),
            sample_size=50,
        )
    rows = money.checkpoint_metrics(
        pilots=[running_pilot], as_of=running_pilot.started_on + timedelta(days=200)
    )
    load = next(r for r in rows if r["metric"] == "feature-throughput")
    day_90 = next(c for c in load["checkpoints"] if c["day"] == 90)
    assert (day_90["value"], day_90["periods"]) == ("25.0000", 2)
    day_30 = next(c for c in load["checkpoints"] if c["day"] == 30)
    assert day_30["in_grace"] and day_30["value"] is None


# --- a statistically clear breach ----------------------------------------------------------


def test_a_clear_breach_needs_the_whole_interval_beyond_the_limit():
    clear = Rule(**{**WORSE_10.__dict__, "consecutive_periods": 1, "require_clear_breach": True})

    def verdict(value, sd):
        period = Period(START, START + timedelta(days=70), D(value), 100, sd)
        return judge(
            clear, started_on=START, checkpoint_day=90, previous_day=30, baseline=D(10),
            periods=[period],
        ).verdict  # fmt: skip

    # Limit 11. 12 +/- 1.96 x 4 / 10 = 11.216..12.784: wholly above the limit.
    assert interval(Period(START, START, D(12), 100, D(4))) == (D("11.216"), D("12.784"))
    assert verdict("12", D(4)) == "breached"
    # 12 +/- 1.96 x 6 / 10 = 10.824..13.176: the interval reaches below 11, so not clear.
    assert verdict("12", D(6)) == "ok"
    # No spread recorded and one period: nothing to form an interval from, never clear.
    assert verdict("12", None) == "ok"


def test_without_a_recorded_spread_a_clear_breach_reads_the_spread_of_the_last_periods():
    three = Rule(**{**WORSE_10.__dict__, "consecutive_periods": 3, "require_clear_breach": True})

    def judged(*values):
        periods = [
            Period(START, START + timedelta(days=61 + 7 * i), D(v), 100)
            for i, v in enumerate(values)
        ]
        return judge(
            three, started_on=START, checkpoint_day=90, previous_day=30, baseline=D(10),
            periods=periods,
        )  # fmt: skip

    # Limit 11. Mean 12.5, t(0.975, 2) x 0.5 / sqrt(3) = 1.24: 11.26..13.74, wholly above.
    clear = judged("12", "12.5", "13")
    assert clear.verdict == "breached"
    assert "11.26 to 13.74" in clear.explanation
    # Every period breaches, but they vary too much to be sure: 10.02..14.98 reaches below 11.
    assert judged("11.5", "12.5", "13.5").verdict == "ok"
    assert spread_interval([D("12")]) is None


def test_a_clear_breach_criterion_says_so_in_plain_words(pilot, ai_pm, metrics):
    criterion = ps.kill_criterion_add(
        pilot=pilot,
        metric=metrics["reviewer-load"],
        comparator="worse_pct",
        threshold="20",
        evaluate_from_day=60,
        require_clear_breach=True,
        actor=ai_pm,
    )
    assert "is clearly 20% worse than baseline (its 95% interval wholly beyond the limit)" in (
        criterion.plain_words
    )


# --- checkpoints inside the window; default checkpoints follow it --------------------------


def test_a_6_month_pilot_refuses_a_day_365_checkpoint(make_pilot):
    with pytest.raises(ValidationError) as error:
        make_pilot(window_months=6, checkpoint_days=[30, 90, 365])
    assert "checkpoint day 365 lies outside it" in str(error.value.message_dict)


def test_default_checkpoints_follow_the_window(make_pilot, ai_pm):
    assert make_pilot(window_months=6).checkpoint_days == [30, 90, 180]
    twelve = make_pilot(window_months=12)
    assert twelve.checkpoint_days == [30, 90, 180, 365]
    # Moving a pilot with default checkpoints to 6 months moves its checkpoints with it.
    six = ps.pilot_update(pilot=twelve, window_months=6, actor=ai_pm)
    assert six.checkpoint_days == [30, 90, 180]


def test_the_pilot_form_refuses_a_checkpoint_outside_the_window(rf, ai_pm, helix):
    from tests.factories import TeamFactory

    data = {
        "title": "Helix in payments",
        "offering": helix.pk,
        "teams": [TeamFactory(name="Payments").pk],
        "workflows": ["test_generation"],
        "use_case": "Generate unit tests.",
        "planned_start": START,
        "planned_end": START + timedelta(days=75),
        "window_months": 6,
        "checkpoint_days": "30, 90, 365",
        "grace_days": 60,
    }
    form = PilotForm(data=data)
    form.request = rf.post("/")
    form.request.user = ai_pm
    assert not form.is_valid()
    assert "outside" in " ".join(form.errors["checkpoint_days"])
    # Left empty, the checkpoints are the window's defaults.
    form = PilotForm(data={**data, "window_months": 12, "checkpoint_days": ""})
    form.request = rf.post("/")
    form.request.user = ai_pm
    assert form.is_valid(), form.errors
    assert form.result.checkpoint_days == [30, 90, 180, 365]


def test_the_api_refuses_a_checkpoint_outside_the_window(api_as, ai_pm, helix):
    from tests.factories import TeamFactory

    response = api_as(ai_pm).post(
        "/api/v1/pilots/",
        {
            "title": "Helix in payments",
            "offering": helix.pk,
            "teams": [TeamFactory(name="Payments").pk],
            "workflows": ["test_generation"],
            "use_case": "Generate unit tests.",
            "planned_start": START.isoformat(),
            "planned_end": (START + timedelta(days=75)).isoformat(),
            "window_months": 6,
            "checkpoint_days": [30, 90, 365],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "checkpoint day 365 lies outside it" in str(response.json())


# --- grace 0 needs a reason ----------------------------------------------------------------


def test_no_grace_needs_a_written_reason(make_pilot):
    with pytest.raises(ValidationError) as error:
        make_pilot(grace_days=0)
    assert "grace_reason" in error.value.message_dict
    pilot = make_pilot(grace_days=0, grace_reason="A linter rule: no learning curve expected.")
    assert pilot.grace_days == 0


def test_the_database_refuses_no_grace_without_a_reason(pilot):
    with pytest.raises(IntegrityError), transaction.atomic():
        Pilot.objects.filter(pk=pilot.pk).update(grace_days=0, grace_reason="")


# --- measurements that end after today -----------------------------------------------------


def _row(pilot, end: date) -> dict:
    return {
        "pilot": pilot.pk,
        "metric": "reviewer-load",
        "tier": "",
        "period_start": (end - timedelta(days=6)).isoformat(),
        "period_end": end.isoformat(),
        "value": "40",
        "sample_size": 30,
    }


TODAY = START + timedelta(days=40)
FUTURE = START + timedelta(days=200)  # six months ahead: it would stretch every chart
NAMED = f"reviewer-load for {FUTURE - timedelta(days=6)}..{FUTURE} ends after today"


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY


def test_the_service_refuses_a_future_period_by_name(running_pilot, platform, today):
    with pytest.raises(DomainError) as error:
        measurements_ingest(
            rows=[_row(running_pilot, TODAY), _row(running_pilot, FUTURE)], actor=platform
        )
    assert list(error.value.message_dict) == ["measurements[1].period_end"]
    assert NAMED in error.value.message_dict["measurements[1].period_end"][0]
    # A period ending today is over by tonight's sweep: accepted.
    assert measurements_ingest(rows=[_row(running_pilot, TODAY)], actor=platform).created == 1


def test_the_bulk_api_refuses_a_future_period_by_name(api_as, running_pilot, platform, today):
    response = api_as(platform).post(
        "/api/v1/measurements/bulk/",
        {"measurements": [_row(running_pilot, FUTURE)]},
        format="json",
    )
    assert response.status_code == 400
    assert NAMED in str(response.json())


def test_the_csv_command_refuses_a_future_period_by_name(running_pilot, platform, today, tmp_path):
    row = _row(running_pilot, FUTURE)
    path = tmp_path / "m.csv"
    path.write_text(
        "pilot,metric,tier,period_start,period_end,value,sample_size\n"
        + ",".join(str(row[k]) for k in row)
        + "\n"
    )
    with pytest.raises(CommandError) as error:
        call_command(
            "import_measurements", str(path), as_user=platform.username, stdout=io.StringIO()
        )
    assert NAMED in str(error.value)


def test_the_admin_import_refuses_a_future_period_by_name(rf, running_pilot, platform, today):
    from django.contrib.admin.sites import site

    from governance.models import Measurement

    admin = site._registry[Measurement]
    request = rf.post("/")
    request.user = platform
    with pytest.raises(DomainError) as error:
        admin.run_import(request, [_row(running_pilot, FUTURE)], dry_run=True)
    assert NAMED in str(error.value)


def test_derived_series_obey_the_same_rule(running_pilot, today):
    row = {**_row(running_pilot, FUTURE), "value": D(40)}
    with pytest.raises(DomainError) as error:
        measurements_ingest(rows=[row], actor=None, source="derived", derived=True)
    assert NAMED in str(error.value)


# --- money ---------------------------------------------------------------------------------


class _Row:
    def __init__(self, month: date, amount: int, category: str = "seats"):
        self.month, self.amount, self.category = month, D(amount), category
        self.currency = "USD"


SIX_MONTHS = [_Row(date(2027, m, 1), 1000) for m in range(1, 7)]


def test_run_rate_read_on_the_1st_counts_complete_months_only():
    # Six months of 1,000 read on 1 July: 12,000 a year, not 6,000 x 12 / 7 = 10,285.71 (-14%).
    summary = money.spend_summary(SIX_MONTHS, currency="USD", as_of=date(2027, 7, 1))
    assert summary["months_of_recurring_spend"] == 6
    assert summary["annual_ai_spend"] == D("12000.00")
    assert summary["recurring_through"] == "2027-06"


def test_run_rate_on_the_last_day_of_a_month_counts_that_month():
    rows = [*SIX_MONTHS, _Row(date(2027, 7, 1), 1000)]
    on_the_31st = money.spend_summary(rows, currency="USD", as_of=date(2027, 7, 31))
    assert (on_the_31st["months_of_recurring_spend"], on_the_31st["annual_ai_spend"]) == (
        7,
        D("12000.00"),
    )
    # On the 30th July is still running: its 1,000 counts to date, not in the run rate.
    on_the_30th = money.spend_summary(rows, currency="USD", as_of=date(2027, 7, 30))
    assert on_the_30th["months_of_recurring_spend"] == 6
    assert on_the_30th["annual_ai_spend"] == D("12000.00")
    assert on_the_30th["to_date"] == D("7000")


def test_payback_says_nothing_to_recover_without_one_time_costs():
    inputs = dict(
        annual_ai_spend=D(1000),
        engineers=D(10),
        prs_per_engineer_month=D(10),
        cycle_time_saving_hours=D(1),
        loaded_hourly_rate=D(100),
    )
    out = roi.calculate(roi.RoiInputs(**inputs)).as_dict()
    assert out["payback_months"] is None
    assert out["payback_note"] == "Nothing to recover: there are no one-time costs."
    with_costs = roi.calculate(roi.RoiInputs(**inputs, one_time_costs=D(5000))).as_dict()
    assert with_costs["payback_months"] is not None


# --- the decide form -------------------------------------------------------------------------


def test_the_decide_form_has_no_default_decision():
    form = DecisionForm()
    html = str(form["decision"])
    assert 'value="" selected' in html
    assert not DecisionForm(data={"seat_delta": 0, "budget_delta": 0, "rationale": "x"}).is_valid()
