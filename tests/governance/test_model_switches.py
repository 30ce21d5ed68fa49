"""Model switches seen from the pilots: found in imported gateway logs at the threshold (once),
declared by platform, due to a deprecation; each metric before and after; pages and API."""

import re
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.model_switches import detect_switches
from governance.models import Notification, TeamMetricValue
from governance.models.evidence import ImportKind
from governance.selectors.model_switches import pilot_switches, switches_effects
from governance.selectors.packets import checkpoint_context
from governance.services import pilots as ps
from governance.services.imports import import_create, import_execute
from governance.services.model_switches import (
    model_switches_from_deprecations,
    pilot_model_declare,
)
from tests.factories import ModelVersionFactory, TeamFactory
from tests.governance.conftest import START
from vendors.models import ModelSwitch
from vendors.services.model_switches import model_switch_record

pytestmark = pytest.mark.django_db

HEADER = "request_id,startTime,model,spend,team_id\n"


# --- the rule, on its own ----------------------------------------------------------------------


def test_a_version_at_the_threshold_share_is_a_switch_and_just_below_is_not():
    day = date(2027, 1, 5)
    below = [(day, 1, 51), (day + timedelta(days=1), 1, 51), (day + timedelta(days=1), 2, 49)]
    assert detect_switches(below, threshold=0.5) == []
    at = [*below, (day + timedelta(days=2), 1, 50), (day + timedelta(days=2), 2, 50)]
    (hit,) = detect_switches(at, threshold=0.5)
    assert (hit.day, hit.from_version, hit.to_version, hit.share) == (
        day + timedelta(days=2),
        1,
        2,
        0.5,
    )


def test_a_pair_is_reported_once_however_often_traffic_flips():
    days = [date(2027, 1, 4) + timedelta(days=k) for k in range(6)]
    rows = [(d, 1 if k % 2 == 0 else 2, 10) for k, d in enumerate(days)]
    hits = detect_switches(rows, threshold=0.5)
    assert [(h.from_version, h.to_version) for h in hits] == [(1, 2), (2, 1)]


# --- a running pilot on Helix Code -------------------------------------------------------------


@pytest.fixture
def versions(helix):
    old = ModelVersionFactory(
        vendor=helix.vendor,
        family="helix-core",
        version="3.0",
        status="approved",
        released_on=date(2026, 1, 10),
        approved_on=date(2026, 2, 1),
    )
    new = ModelVersionFactory(
        vendor=helix.vendor,
        family="helix-core",
        version="3.5",
        status="approved",
        released_on=date(2026, 11, 2),
        approved_on=date(2026, 12, 1),
        rollback_target=old,
    )
    return old, new


@pytest.fixture
def running(approved_pilot, ai_pm, versions):
    team = approved_pilot.teams.get()
    team.gateway_key = "payments-gw"
    team.save()
    with time_machine.travel(START, tick=False):
        return ps.pilot_start(pilot=approved_pilot, actor=ai_pm)


def _import(tmp_path, name, days, platform):
    """A LiteLLM spend log: for each day, (old requests, new requests) by the pilot's team."""
    lines, serial = [HEADER], 0
    for day, (old, new) in days.items():
        for model, count in (("helix/helix-core-3.0", old), ("helix/helix-core-3.5", new)):
            for _ in range(count):
                serial += 1
                lines.append(f"{name}-{serial},{day}T10:00:00Z,{model},0.01,payments-gw\n")
    path = tmp_path / f"{name}.csv"
    path.write_text("".join(lines))
    run = import_create(kind=ImportKind.GATEWAY_LOGS, actor=platform, path=str(path), options={})
    return import_execute(run_id=run.pk)


def _day(n: int) -> str:
    return (START + timedelta(days=n)).isoformat()


def test_a_switch_is_detected_from_imported_gateway_logs_at_the_threshold_once(
    running, tmp_path, platform, ai_pm
):
    with time_machine.travel(START + timedelta(days=20), tick=False):
        run = _import(
            tmp_path,
            "first",
            {_day(1): (4, 0), _day(2): (3, 2), _day(3): (2, 2), _day(4): (0, 4)},
            platform,
        )
        assert run.status == "succeeded", run.report
        _import(tmp_path, "second", {_day(5): (1, 3), _day(6): (0, 5)}, platform)
    switch = ModelSwitch.objects.get()
    assert (switch.detected_on, switch.detected_from) == (START + timedelta(days=3), "gateway")
    assert (str(switch.from_version), str(switch.to_version)) == (
        "helix-core:3.0",
        "helix-core:3.5",
    )
    assert "50% of the helix-core requests" in switch.detail
    assert str(switch) in run.report["model_switches"][0]
    assert Notification.objects.filter(user=ai_pm, kind="model_switch").count() == 1


def test_the_threshold_is_configurable(running, tmp_path, platform, settings):
    settings.TOLLGATE_MODEL_SWITCH_SHARE = 0.75
    with time_machine.travel(START + timedelta(days=20), tick=False):
        _import(tmp_path, "f", {_day(1): (4, 0), _day(2): (2, 2), _day(3): (1, 3)}, platform)
    assert ModelSwitch.objects.get().detected_on == START + timedelta(days=3)


def test_platform_declares_versions_where_no_gateway_exists(running, versions, platform):
    old, new = versions
    pilot_model_declare(pilot=running, model_version=old, since=START, actor=platform)
    assert not ModelSwitch.objects.exists()
    pilot_model_declare(
        pilot=running, model_version=new, since=START + timedelta(days=40), actor=platform
    )
    switch = ModelSwitch.objects.get()
    assert (switch.detected_from, switch.detected_on) == ("declared", START + timedelta(days=40))


def test_only_platform_declares(running, versions, ai_pm, security):
    for user in (ai_pm, security):
        with pytest.raises(PermissionDenied):
            pilot_model_declare(pilot=running, model_version=versions[0], since=START, actor=user)


def test_a_deprecation_date_switches_to_the_successor_once(running, versions):
    old, new = versions
    old.deprecated_on = date(2027, 2, 1)
    old.save()
    assert model_switches_from_deprecations(today=date(2027, 1, 31)) == []
    (switch,) = model_switches_from_deprecations(today=date(2027, 2, 2))
    assert (switch.from_version, switch.to_version, switch.detected_from) == (
        old,
        new,
        "deprecation",
    )
    model_switches_from_deprecations(today=date(2027, 2, 3))
    assert ModelSwitch.objects.count() == 1


# --- before and after --------------------------------------------------------------------------

SWITCH_DAY = START + timedelta(days=84)  # a Monday, twelve weeks in
TODAY = START + timedelta(days=84 + 7 * 12 + 1)


def _series(team, metric, *, level, jump, seed):
    """Weekly reviewer minutes from the pilot's start: `jump` added from the switch week on."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(24):
        week = START + timedelta(weeks=k)
        value = level + rng.normal(0, 1.0) + (jump if week >= SWITCH_DAY else 0)
        rows.append(
            TeamMetricValue(
                team=team,
                metric=metric,
                tier="",
                period_start=week,
                period_end=week + timedelta(days=6),
                value=Decimal(str(round(value, 3))),
                sample_size=40,
                source="github",
            )
        )
    TeamMetricValue.objects.bulk_create(rows)


@pytest.fixture
def switched(running, versions, metrics, ai_pm, helix):
    """The pilot's reviewer load jumps by 6 minutes at the switch; its controls' does not."""
    load = metrics["reviewer-load"]
    _series(running.teams.get(), load, level=40, jump=6.0, seed=1)
    controls = [TeamFactory(name="Ledger"), TeamFactory(name="Billing")]
    for seed, team in enumerate(controls, start=2):
        _series(team, load, level=35, jump=0.0, seed=seed)
    ps.pilot_controls_set(pilot=running, teams=controls, actor=ai_pm)
    switch, _ = model_switch_record(
        offering=helix,
        from_version=versions[0],
        to_version=versions[1],
        detected_on=SWITCH_DAY,
        detected_from="declared",
        detail="declared",
    )
    return switch


def test_the_before_after_effect_recovers_a_known_change(switched, running):
    (plan,) = pilot_switches(pilot=running, today=TODAY)
    (row,) = plan.metrics
    assert row.metric.code == "reviewer-load"
    # Before: the whole weeks past grace and before the switch; after: twelve weeks.
    grace_weeks = -(-running.grace_days // 7)
    assert plan.before[0] == START + timedelta(weeks=grace_weeks)
    assert (row.effect.weeks_before, row.effect.weeks_after) == (12 - grace_weeks, 12)
    assert row.effect.ci_low <= 6.0 <= row.effect.ci_high
    assert row.effect.ci_low > 0
    assert row.verdict == "worse"
    assert plan.controls == ["Billing", "Ledger"]


def test_weeks_straddling_the_switch_belong_to_neither_side(switched, running):
    switched.detected_on = SWITCH_DAY + timedelta(days=3)  # a Thursday
    switched.save()
    (plan,) = pilot_switches(pilot=running, today=TODAY)
    assert plan.before[-1] == SWITCH_DAY - timedelta(weeks=1)
    assert plan.after[0] == SWITCH_DAY + timedelta(weeks=1)


def test_the_effects_of_many_switches_take_a_fixed_number_of_queries(switched, helix, versions):
    with CaptureQueriesContext(connection) as one:
        switches_effects([switched], today=TODAY)
    later = ModelVersionFactory(vendor=helix.vendor, family="helix-core", version="4.0")
    other, _ = model_switch_record(
        offering=helix,
        from_version=versions[1],
        to_version=later,
        detected_on=SWITCH_DAY + timedelta(days=30),
        detected_from="declared",
        detail="declared",
    )
    with CaptureQueriesContext(connection) as two:
        result = switches_effects([switched, other], today=TODAY)
    assert len(result) == 2
    assert len(two) == len(one)


# --- the pilot page, the packets and the API ---------------------------------------------------


def test_the_pilot_page_shows_versions_the_table_and_a_marker(client, finance, switched, running):
    with time_machine.travel(TODAY, tick=False):
        client.force_login(finance)
        page = client.get(f"/pilots/{running.pk}/").content.decode()
    assert "Before and after each model switch" in page
    assert "helix-core:3.0 → helix-core:3.5 on " + SWITCH_DAY.isoformat() in page
    assert '<table class="effects switch-effects">' in page
    assert "<td>Reviewer minutes per PR</td>" in page
    # The marker on the charts, each drawn as the page's image asks for it.
    src = re.findall(r'<img src="([^"]+)" alt="Chart: ', page)[0]
    with time_machine.travel(TODAY, tick=False):
        assert "→ helix-core:3.5</text>" in client.get(src).content.decode()


def test_the_pilot_page_lists_the_declared_versions(client, finance, running, versions, platform):
    pilot_model_declare(pilot=running, model_version=versions[0], since=START, actor=platform)
    client.force_login(finance)
    page = client.get(f"/pilots/{running.pk}/").content.decode()
    assert f"<td>helix-core:3.0</td><td>{START.isoformat()}</td><td>now</td><td>declared</td>" in (
        page
    )


def test_the_checkpoint_packet_carries_the_before_after(evaluation, versions, helix):
    model_switch_record(
        offering=helix,
        from_version=versions[0],
        to_version=versions[1],
        detected_on=START + timedelta(days=40),
        detected_from="declared",
        detail="declared",
    )
    facts = checkpoint_context(evaluation)
    (plan,) = facts["model_switches"]
    assert plan.switch.to_version == versions[1]


URL = "/api/v1/model-switches/"


def test_the_api_lists_switches_with_each_pilots_metrics(api_as, auditor, switched, running):
    with time_machine.travel(TODAY, tick=False):
        body = api_as(auditor).get(URL).json()
        one = api_as(auditor).get(f"{URL}{switched.pk}/").json()
    (row,) = body["results"]
    assert row == one
    assert {
        k: row[k]
        for k in ("offering", "from_version", "to_version", "detected_on", "rereview_status")
    } == {
        "offering": switched.offering_id,
        "from_version": "helix-core:3.0",
        "to_version": "helix-core:3.5",
        "detected_on": SWITCH_DAY.isoformat(),
        "rereview_status": "open",
    }
    (pilot,) = row["pilots"]
    assert pilot["pilot"] == running.pk
    (metric,) = pilot["metrics"]
    assert metric["metric"] == "reviewer-load"
    assert metric["ci_low"] <= 6.0 <= metric["ci_high"]
    assert metric["after"] - metric["before"] == pytest.approx(6.0, abs=1.5)


def test_the_api_is_forbidden_without_a_role(api_as, nobody, switched):
    assert api_as(nobody).get(URL).status_code == 403
    assert api_as(nobody).get(f"{URL}{switched.pk}/").status_code == 403


def test_the_api_is_refused_to_anonymous_callers(api, switched):
    assert api.get(URL).status_code in (401, 403)


@pytest.mark.parametrize("role", ["security", "legal", "ai_pm", "finance", "platform", "auditor"])
def test_the_api_refuses_writes_to_every_role(api_as, persona, switched, role):
    client = api_as(persona(role))
    # Refused by the role layer (no add/delete permission) or, for security, by the method.
    assert client.post(URL, {}, format="json").status_code in (403, 405)
    assert client.delete(f"{URL}{switched.pk}/").status_code in (403, 405)
    assert ModelSwitch.objects.get() == switched


def test_the_quarterly_packet_carries_the_before_after(decide, running_pilot, helix):
    from django.template.loader import render_to_string

    from governance.selectors.packets import review_context

    old = ModelVersionFactory(vendor=helix.vendor, family="helix-core", version="3.0")
    new = ModelVersionFactory(vendor=helix.vendor, family="helix-core", version="3.5")
    model_switch_record(
        offering=helix,
        from_version=old,
        to_version=new,
        detected_on=START + timedelta(days=70),
        detected_from="declared",
        detail="declared",
    )
    facts = review_context(decide())
    (plan,) = facts["model_switches"]
    assert plan.pilot == running_pilot
    html = render_to_string("includes/model_switches_table.html", facts)
    assert f"helix-core:3.0 → helix-core:3.5 on {START + timedelta(days=70)}" in html
    assert running_pilot.title in html
