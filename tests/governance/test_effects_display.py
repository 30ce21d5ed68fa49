"""The checkpoint packet and the decide page show each metric's effect with its interval and
its verdict in plain words (the pilot page does too: test_effects.py)."""

import re

import pytest
import time_machine

from governance.services import pilots as ps
from tests.factories import TeamFactory
from tests.governance.test_effects import _org_weeks, _write_series
from tests.governance.test_packets import _text

EFFECT = re.compile(r"-\d+\.\d h, 95% CI -\d+\.\d to -\d+\.\d, [\d,]+ PRs vs [\d,]+ in control")


def _with_series(pilot, metrics, ai_pm):
    """The pilot's team improves cycle time by 3 h against two drifting control teams."""
    pilot_rows, control_rows = _org_weeks(11, effect=-3.0)
    cycle_time = metrics["cycle-time"]
    _write_series(pilot.teams.first(), cycle_time, [r for r in pilot_rows if r[0] == 0])
    controls = [TeamFactory(name="Ledger"), TeamFactory(name="Billing")]
    for index, team in enumerate(controls):
        _write_series(team, cycle_time, [r for r in control_rows if r[0] == 2 + index])
    if not pilot.control_teams.exists():
        ps.pilot_controls_set(pilot=pilot, teams=controls, actor=ai_pm)
    return pilot


def test_the_checkpoint_packet_shows_each_effect_with_its_interval_and_verdict(
    render_packet_of, evaluation, metrics, ai_pm
):
    _write_and_control(evaluation.pilot, metrics)
    packet = render_packet_of("checkpoint", evaluation, ai_pm)
    assert packet.status == "ready", packet.error
    text = _text(packet)
    assert "Effects against control teams" in text
    assert "effects at day 90" in text
    assert EFFECT.search(text), text[text.find("Effects against") :][:600]
    assert "better" in text


def _write_and_control(pilot, metrics):
    from governance.models import Pilot

    controls = [TeamFactory(name="Ledger"), TeamFactory(name="Billing")]
    # The rule "controls are fixed once a checkpoint is evaluated" guards the service; the
    # packet test needs a pilot with controls and an evaluation, so the link is written here.
    Pilot.control_teams.through.objects.bulk_create(
        Pilot.control_teams.through(pilot_id=pilot.pk, team_id=t.pk) for t in controls
    )
    pilot_rows, control_rows = _org_weeks(11, effect=-3.0)
    cycle_time = metrics["cycle-time"]
    _write_series(pilot.teams.first(), cycle_time, [r for r in pilot_rows if r[0] == 0])
    for index, team in enumerate(controls):
        _write_series(team, cycle_time, [r for r in control_rows if r[0] == 2 + index])


def test_the_checkpoint_packet_warns_when_there_are_no_controls(
    render_packet_of, evaluation, ai_pm
):
    packet = render_packet_of("checkpoint", evaluation, ai_pm)
    text = _text(packet)
    assert "Effects against control teams" in text
    assert "nothing rules out a trend" in text.lower()


@pytest.fixture
def signed_in(client):
    def run(user):
        client.force_login(user)
        return client

    return run


def test_the_decide_page_shows_each_reviewed_pilots_effects(
    signed_in, finance, ledger, rates, metrics, ai_pm
):
    _with_series(ledger, metrics, ai_pm)
    with time_machine.travel("2027-04-30", tick=False):
        page = signed_in(finance).get(
            f"/finance/decide/?scope=pilot&id={ledger.pk}&quarter=2027-Q2"
        )
    html = page.content.decode()
    section = html[html.index('id="effects"') :]
    assert ledger.title in section
    assert EFFECT.search(section), section[:800]
    assert "better" in section
    assert html.index('id="roi"') < html.index('id="effects"') < html.index('id="decide"')
