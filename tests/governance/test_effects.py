"""Pilot effects: difference-in-differences against control teams, with honest intervals."""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.effects import (
    NO_CONTROLS_WARNING,
    estimate_effect,
    match_score,
    verdict,
)
from governance.models import KillCriterion, TeamMetricValue
from governance.selectors.effects import control_team_suggestions, pilot_effects
from governance.services import pilots as ps
from tests.factories import TeamFactory
from tests.governance.conftest import START
from vendors.kit.errors import DomainError

MONDAY = date(2026, 10, 5)  # 13 weeks before START (2027-01-04)


def synthetic_org(seed, *, effect=0.0, pilots=2, controls=4, before=12, after=6):
    """Pilot and control teams' weekly cycle times: every team drifts up 0.3 h a week and
    shares each week's shock; the pilot teams also move by `effect` once the pilot runs."""
    rng = np.random.default_rng(seed)
    weeks = [MONDAY + timedelta(weeks=k) for k in range(before + after)]
    shocks = rng.normal(0, 1.0, len(weeks))
    pilot_rows, control_rows = [], []
    for team in range(pilots + controls):
        level = rng.normal(30, 5)
        for k, week in enumerate(weeks):
            n = int(rng.integers(20, 80))
            value = level + 0.3 * k + shocks[k] + rng.normal(0, 12 / np.sqrt(n))
            if team < pilots:
                value += effect if k >= before else 0.0
                pilot_rows.append((team, week, value, n))
            else:
                control_rows.append((team, week, value, n))
    return pilot_rows, control_rows, weeks[:before], weeks[before:]


def test_it_recovers_a_known_effect_inside_an_interval_that_excludes_zero():
    pilot, control, before, after = synthetic_org(7, effect=-3.0)
    result = estimate_effect(pilot=pilot, control=control, before=before, after=after)
    assert result.ci_low <= -3.0 <= result.ci_high
    assert result.ci_high < 0
    assert result.significant
    assert verdict(result, lower_is_better=True) == "better"
    assert verdict(result, lower_is_better=False) == "worse"


def test_with_no_effect_the_interval_includes_zero_in_at_least_90_of_100_seeded_runs():
    covered = 0
    for seed in range(100):
        pilot, control, before, after = synthetic_org(seed)
        result = estimate_effect(pilot=pilot, control=control, before=before, after=after)
        covered += result.ci_low <= 0 <= result.ci_high
    assert covered >= 90


def test_the_controls_remove_a_drift_that_a_before_after_reading_would_call_an_effect():
    pilot, control, before, after = synthetic_org(3, effect=0.0)
    alone = estimate_effect(pilot=pilot, before=before, after=after)
    against = estimate_effect(pilot=pilot, control=control, before=before, after=after)
    assert alone.significant  # 0.3 h a week of drift, read as the pilot's doing
    assert not against.significant


def test_without_controls_it_warns_that_nothing_rules_out_a_trend():
    pilot, _control, before, after = synthetic_org(1)
    result = estimate_effect(pilot=pilot, before=before, after=after)
    assert NO_CONTROLS_WARNING in result.warnings
    assert result.n_control == 0
    assert result.ci_low < result.effect < result.ci_high
    assert result.effect == pytest.approx(result.current - result.baseline)


def test_with_controls_there_is_no_trend_warning():
    pilot, control, before, after = synthetic_org(1)
    result = estimate_effect(pilot=pilot, control=control, before=before, after=after)
    assert NO_CONTROLS_WARNING not in result.warnings


def test_a_week_of_one_pr_barely_moves_the_effect():
    pilot, control, before, after = synthetic_org(5)
    plain = estimate_effect(pilot=pilot, control=control, before=before, after=after)
    outlier = [(0, after[0], 300.0, 1)]  # one PR at ten times the usual cycle time
    pilot_with = [row for row in pilot if not (row[0] == 0 and row[1] == after[0])] + outlier
    swung = estimate_effect(pilot=pilot_with, control=control, before=before, after=after)
    assert abs(swung.effect - plain.effect) < 1.0


def test_too_few_weeks_give_no_interval_and_say_why():
    pilot, control, before, after = synthetic_org(2, after=2)
    result = estimate_effect(pilot=pilot, control=control, before=before, after=after)
    assert (result.effect, result.ci_low, result.significant) == (None, None, False)
    assert "Too few weeks" in result.warnings[-1]
    assert verdict(result, lower_is_better=True) == "not enough data yet"


def test_only_weeks_both_arms_measured_enter_the_comparison():
    pilot, control, before, after = synthetic_org(4)
    control = [row for row in control if row[1] != after[-1]]
    result = estimate_effect(pilot=pilot, control=control, before=before, after=after)
    assert result.weeks_after == len(after) - 1


def test_the_match_score_prefers_a_parallel_series_and_needs_eight_common_weeks():
    weeks = [MONDAY + timedelta(weeks=k) for k in range(12)]
    target = {w: 10 + k for k, w in enumerate(weeks)}
    parallel = {w: 40 + 2 * k for k, w in enumerate(weeks)}  # other level and scale, same shape
    opposite = {w: 40 - k for k, w in enumerate(weeks)}
    assert match_score(target, parallel) == pytest.approx(0)
    assert match_score(target, opposite) > 1
    assert match_score(target, dict(list(parallel.items())[:7])) is None


# --- Reading the series of a pilot's teams ---------------------------------------------------


@pytest.fixture
def cycle_time(metrics):
    return metrics["cycle-time"]


def _write_series(team, metric, rows, tier="all"):
    TeamMetricValue.objects.bulk_create(
        TeamMetricValue(
            team=team,
            metric=metric,
            tier=tier,
            period_start=week,
            period_end=week + timedelta(days=6),
            value=Decimal(str(round(value, 4))),
            sample_size=n,
            source="github",
        )
        for _team, week, value, n in rows
    )


def _org_weeks(seed, *, effect, controls=2):
    """The synthetic organisation on real weeks: 12 before START, then weeks 9-16 after it."""
    pilot, control, _b, _a = synthetic_org(seed, effect=effect, controls=controls, after=17)
    keep = {MONDAY + timedelta(weeks=k) for k in range(1, 13)} | {
        START + timedelta(weeks=k) for k in range(0, 16)
    }
    return [r for r in pilot if r[1] in keep], [r for r in control if r[1] in keep]


@pytest.fixture
def org(pilot, cycle_time, ai_pm):
    """The pilot's team and two control teams with a known -3 h effect after the start."""
    pilot_rows, control_rows = _org_weeks(11, effect=-3.0)
    own = pilot.teams.get()
    _write_series(own, cycle_time, [r for r in pilot_rows if r[0] == 0])
    controls = [TeamFactory(name="Ledger"), TeamFactory(name="Billing")]
    for index, team in enumerate(controls):
        _write_series(team, cycle_time, [r for r in control_rows if r[0] == 2 + index])
    ps.pilot_controls_set(pilot=pilot, teams=controls, actor=ai_pm)
    return pilot


def test_the_selector_recovers_the_effect_of_the_pilot_from_the_series(org):
    (row,) = pilot_effects(pilot=org, checkpoint=90)
    assert (row.metric.code, row.tier, row.control_teams) == (
        "cycle-time",
        "all",
        ["Billing", "Ledger"],
    )
    assert row.effect.weeks_before == 12
    assert row.effect.ci_low <= -3.0 <= row.effect.ci_high
    assert row.verdict == "better"


def test_weeks_in_grace_never_enter_the_after_period(org, cycle_time):
    default = pilot_effects(pilot=org, checkpoint=111)[0]
    KillCriterion.objects.create(
        pilot=org,
        metric=cycle_time,
        tier="all",
        comparator="worse_pct",
        threshold=Decimal(20),
        evaluate_from_day=90,
    )
    later = pilot_effects(pilot=org, checkpoint=111)[0]
    # Day 60 is a Friday: 7 whole weeks from day 63 to day 111; day 90 a Sunday: 3 weeks.
    assert (default.effect.weeks_after, later.effect.weeks_after) == (7, 3)
    assert later.after_from == START + timedelta(days=90)


def test_the_selector_reads_in_a_fixed_number_of_queries(org, cycle_time, ai_pm):
    with CaptureQueriesContext(connection) as few:
        pilot_effects(pilot=org, checkpoint=90)
    more = [TeamFactory(name=f"Extra {n}") for n in range(3)]
    for seed, team in enumerate(more):
        rows = _org_weeks(20 + seed, effect=0)[1]
        _write_series(team, cycle_time, [r for r in rows if r[0] == 2])
    ps.pilot_controls_set(pilot=org, teams=[*org.control_teams.all(), *more], actor=ai_pm)
    with CaptureQueriesContext(connection) as many:
        pilot_effects(pilot=org, checkpoint=90)
    assert len(many) == len(few)


def test_it_suggests_the_team_whose_series_moves_like_the_pilots(pilot, cycle_time):
    weeks = [MONDAY + timedelta(weeks=k) for k in range(1, 13)]
    shape = [1, 3, 2, 5, 4, 6, 5, 8, 7, 9, 8, 10]
    _write_series(
        pilot.teams.get(),
        cycle_time,
        [(0, w, 20 + s, 30) for w, s in zip(weeks, shape, strict=True)],
    )
    twin, other = TeamFactory(name="Twin"), TeamFactory(name="Other")
    _write_series(
        twin, cycle_time, [(0, w, 50 + 2 * s, 30) for w, s in zip(weeks, shape, strict=True)]
    )
    _write_series(
        other, cycle_time, [(0, w, 30 - s, 30) for w, s in zip(weeks, shape, strict=True)]
    )
    suggestions = control_team_suggestions(pilot=pilot, metric="cycle-time")
    assert [s.team.name for s in suggestions] == ["Twin", "Other"]
    assert suggestions[0].weeks == 12


# --- Choosing control teams -----------------------------------------------------------------


def test_a_control_team_cannot_be_one_of_the_pilots_own_teams(pilot, ai_pm):
    with pytest.raises(DomainError, match="Payments is in the pilot"):
        ps.pilot_controls_set(pilot=pilot, teams=[pilot.teams.get()], actor=ai_pm)
    assert not pilot.control_teams.exists()


def test_a_control_team_cannot_then_join_the_pilot(pilot, ai_pm):
    ledger = TeamFactory(name="Ledger")
    ps.pilot_controls_set(pilot=pilot, teams=[ledger], actor=ai_pm)
    with pytest.raises(DomainError, match="Ledger is a control team"):
        ps.pilot_update(pilot=pilot, teams=[ledger], actor=ai_pm)


def test_control_teams_are_fixed_once_a_checkpoint_has_been_evaluated(pilot, ai_pm):
    from governance.models import CheckpointEvaluation

    ps.pilot_controls_set(pilot=pilot, teams=[TeamFactory(name="Ledger")], actor=ai_pm)
    CheckpointEvaluation.objects.create(
        pilot=pilot, checkpoint_day=30, window_start=date(2027, 1, 1), window_end=date(2027, 2, 1)
    )
    with pytest.raises(DomainError, match="fixed once a checkpoint has been evaluated"):
        ps.pilot_controls_set(pilot=pilot, teams=[TeamFactory(name="Other")], actor=ai_pm)
    assert [t.name for t in pilot.control_teams.all()] == ["Ledger"]


def test_choosing_control_teams_is_audited(pilot, ai_pm):
    ps.pilot_controls_set(pilot=pilot, teams=[TeamFactory(name="Ledger")], actor=ai_pm)
    entry = LogEntry.objects.filter(object_pk=str(pilot.pk), changes__has_key="control_teams").get()
    assert entry.actor == ai_pm
    assert entry.changes["control_teams"]["objects"] == ["Ledger"]


def test_platform_may_choose_any_pilots_controls_and_another_pm_may_not(pilot, platform):
    from django.core.exceptions import PermissionDenied

    from tests.factories import UserFactory

    ps.pilot_controls_set(pilot=pilot, teams=[TeamFactory(name="Ledger")], actor=platform)
    assert [t.name for t in pilot.control_teams.all()] == ["Ledger"]
    other = UserFactory(username="pm2", role="ai_pm")
    with pytest.raises(PermissionDenied):
        ps.pilot_controls_set(pilot=pilot, teams=[], actor=other)


# --- API ------------------------------------------------------------------------------------


def test_the_effects_api_answers_each_metric_with_its_interval(api_as, finance, org):
    response = api_as(finance).get(f"/api/v1/pilots/{org.pk}/effects/?checkpoint=90")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["confidence"] == 0.95
    assert body["method"].startswith("difference-in-differences")
    assert body["warnings"] == []
    (metric,) = body["metrics"]
    assert {
        "metric",
        "tier",
        "baseline",
        "current",
        "effect",
        "effect_pct",
        "ci_low",
        "ci_high",
        "n_pilot",
        "n_control",
        "control_teams",
        "significant",
    } <= set(metric)
    assert metric["ci_low"] <= -3.0 <= metric["ci_high"]
    assert (metric["significant"], metric["control_teams"]) == (True, ["Billing", "Ledger"])
    assert metric["n_pilot"] > 0 and metric["n_control"] > metric["n_pilot"]


def test_the_effects_api_warns_without_controls(api_as, finance, org, ai_pm):
    ps.pilot_controls_set(pilot=org, teams=[], actor=ai_pm)
    body = api_as(finance).get(f"/api/v1/pilots/{org.pk}/effects/?checkpoint=90").json()
    assert body["warnings"] == [NO_CONTROLS_WARNING]
    assert NO_CONTROLS_WARNING in body["metrics"][0]["warnings"]
    assert body["metrics"][0]["n_control"] == 0


def test_the_effects_api_refuses_a_bad_checkpoint(api_as, finance, pilot):
    response = api_as(finance).get(f"/api/v1/pilots/{pilot.pk}/effects/?checkpoint=0")
    assert response.status_code == 400


def test_the_effects_api_is_forbidden_to_a_user_without_a_role(api_as, nobody, pilot):
    assert api_as(nobody).get(f"/api/v1/pilots/{pilot.pk}/effects/").status_code == 403


def test_the_controls_api_refuses_the_pilots_own_team_by_name(api_as, ai_pm, pilot):
    own = pilot.teams.get()
    response = api_as(ai_pm).post(
        f"/api/v1/pilots/{pilot.pk}/controls/", {"teams": [own.pk]}, format="json"
    )
    assert response.status_code == 400
    assert "Payments is in the pilot" in str(response.json())


def test_the_controls_api_names_control_teams_and_suggests_others(api_as, ai_pm, org):
    ledger = org.control_teams.get(name="Ledger")
    response = api_as(ai_pm).post(
        f"/api/v1/pilots/{org.pk}/controls/", {"teams": [ledger.pk]}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["control_teams"] == [{"id": ledger.pk, "name": "Ledger"}]
    assert {s["name"] for s in body["suggestions"]} == {"Ledger", "Billing"}


def test_the_controls_api_is_forbidden_to_finance(api_as, finance, pilot):
    response = api_as(finance).post(
        f"/api/v1/pilots/{pilot.pk}/controls/", {"teams": []}, format="json"
    )
    assert response.status_code == 403


# --- Pilot page ------------------------------------------------------------------------------


def test_the_pilot_page_shows_each_effect_for_people_with_its_verdict(client, finance, org):
    client.force_login(finance)
    page = client.get(f"/pilots/{org.pk}/?checkpoint=90").content.decode()
    row = pilot_effects(pilot=org, checkpoint=90)[0]
    assert row.sentence in page
    assert " vs " in row.sentence and " in control" in row.sentence


def test_the_pilot_page_warns_without_controls(client, finance, pilot):
    client.force_login(finance)
    assert NO_CONTROLS_WARNING in client.get(f"/pilots/{pilot.pk}/").content.decode()


def test_the_controls_form_refuses_the_pilots_own_team(client, ai_pm, pilot):
    client.force_login(ai_pm)
    own = pilot.teams.get()
    response = client.post(f"/pilots/{pilot.pk}/controls/", {"teams": [own.pk]})
    assert response.status_code == 400
    assert "Payments is in the pilot" in response.content.decode()
    assert not pilot.control_teams.exists()


def test_the_controls_form_posts_to_the_page_not_the_api(client, ai_pm, pilot):
    # The page route once shared its URL name with the API action, so the form posted JSON's way.
    client.force_login(ai_pm)
    page = client.get(f"/pilots/{pilot.pk}/").content.decode()
    assert f'action="/pilots/{pilot.pk}/controls/"' in page
    ledger = TeamFactory(name="Ledger")
    response = client.post(f"/pilots/{pilot.pk}/controls/", {"teams": [ledger.pk]})
    assert response.status_code == 302
    assert [t.name for t in pilot.control_teams.all()] == ["Ledger"]


def test_once_fixed_the_page_says_so_instead_of_offering_the_form(client, ai_pm, pilot):
    from governance.models import CheckpointEvaluation

    CheckpointEvaluation.objects.create(
        pilot=pilot, checkpoint_day=30, window_start=date(2027, 1, 1), window_end=date(2027, 2, 1)
    )
    client.force_login(ai_pm)
    page = client.get(f"/pilots/{pilot.pk}/").content.decode()
    assert "Fixed since the day-30 checkpoint was evaluated." in page
    assert "Save control teams" not in page


def test_the_sentence_reads_like_the_issue_asks():
    from governance.effects import Effect, sentence

    effect = Effect(
        method="m",
        confidence=0.95,
        effect=-3.2,
        ci_low=-4.1,
        ci_high=-2.3,
        n_pilot=1240,
        n_control=1310,
        significant=True,
    )
    assert (
        sentence(effect, unit="hours")
        == "-3.2 h, 95% CI -4.1 to -2.3, 1,240 PRs vs 1,310 in control"
    )


def test_a_small_effect_keeps_two_significant_digits_and_counts_its_own_sample():
    from governance.effects import Effect, sentence

    effect = Effect(
        method="m",
        confidence=0.95,
        effect=0.0123,
        ci_low=-0.0041,
        ci_high=0.0287,
        n_pilot=1150,
        n_control=0,
        significant=False,
    )
    assert sentence(effect, unit="USD", sample="requests") == (
        "+0.012 USD, 95% CI -0.004 to 0.029, 1,150 requests"
    )


def test_gateway_series_count_requests_not_pull_requests(org, pilot):
    from governance.models import TeamMetricValue
    from governance.selectors.effects import pilot_effects

    TeamMetricValue.objects.update(source="gateway")
    rows = pilot_effects(pilot=pilot, checkpoint=90)
    assert rows and all(row.sample == "requests" for row in rows if row.effect.computed)
