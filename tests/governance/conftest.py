"""Fixtures for pilot tests: a shortlisted offering and a pilot ready to submit."""

from datetime import date, timedelta

import pytest
import time_machine

from governance.models import Metric
from governance.services import pilots as ps
from governance.services.signoffs import signoff_record
from tests.factories import TeamFactory, charter_rows

START = date(2027, 1, 4)


@pytest.fixture
def helix(published):
    """Helix (frontier cloud, completion only) on the published shortlist."""
    vendor = published.entries.get(vendor__slug="helix").vendor
    from tests.factories import OfferingFactory

    return OfferingFactory(vendor=vendor, name="Helix Code", kind="ide_assistant")


@pytest.fixture
def metrics():
    return {m.code: m for m in Metric.objects.all()}


@pytest.fixture
def make_pilot(ai_pm, helix):
    def run(**overrides):
        fields = {
            "title": "Helix in payments",
            "offering": helix,
            "teams": [TeamFactory(name="Payments")],
            "workflows": ["test_generation"],
            "use_case": "Generate unit tests for the payments service.",
            "planned_start": START,
            "planned_end": START + timedelta(days=75),
            "actor": ai_pm,
        }
        fields.update(overrides)
        return ps.pilot_create(**fields)

    return run


@pytest.fixture
def pilot(make_pilot):
    return make_pilot()


@pytest.fixture
def complete_pilot(ai_pm, metrics):
    """Record the four core baselines and one kill criterion (rows written directly)."""

    def run(pilot):
        return charter_rows(pilot, actor=ai_pm, metrics=metrics)

    return run


@pytest.fixture
def complete_pilot_through_services(ai_pm, metrics):
    """Record the four core baselines and one kill criterion through the services."""

    def run(pilot):
        period = {"period_start": date(2026, 9, 1), "period_end": date(2026, 11, 30)}
        ps.baseline_set(
            pilot=pilot,
            metric=metrics["cycle-time"],
            tier="standard",
            value="30.5",
            sample_size=120,
            actor=ai_pm,
            **period,
        )
        for code, value in (
            ("defect-escape-rate", "0.12"),
            ("reviewer-load", "42"),
            ("feature-throughput", "21"),
        ):
            ps.baseline_set(
                pilot=pilot,
                metric=metrics[code],
                value=value,
                sample_size=80,
                actor=ai_pm,
                **period,
            )
        ps.kill_criterion_add(
            pilot=pilot,
            metric=metrics["reviewer-load"],
            comparator="worse_pct",
            threshold="20",
            evaluate_from_day=60,
            actor=ai_pm,
        )
        return pilot

    return run


@pytest.fixture
def sign_pilot(persona):
    def run(pilot, roles=("security", "finance")):
        for role in roles:
            signoff_record(
                kind="pilot", subject=pilot, role=role, decision="approve", actor=persona(role)
            )

    return run


@pytest.fixture
def approved_pilot(pilot, complete_pilot, sign_pilot, ai_pm, finance):
    complete_pilot(pilot)
    ps.pilot_submit(pilot=pilot, actor=ai_pm)
    sign_pilot(pilot)
    return ps.pilot_approve(pilot=pilot, actor=finance)


# --- packets --------------------------------------------------------------------------------


@pytest.fixture
def approved_assessment(assessment, complete, sign, security):
    """Acme AI's assessment: every item satisfied, signed by security and legal, approved."""
    from governance.services.signoffs import assessment_approve

    complete(assessment)
    sign(assessment)
    return assessment_approve(assessment=assessment, actor=security)


@pytest.fixture
def evaluation(approved_pilot, ai_pm, platform):
    """A running pilot's day-90 checkpoint with its one kill criterion breached."""
    from governance.services.checkpoints import checkpoint_evaluate
    from governance.services.measurements import measurements_ingest

    with time_machine.travel(START, tick=False):
        running = ps.pilot_start(pilot=approved_pilot, actor=ai_pm)
    # baseline 42 reviewer minutes; +20% = 50.4; the weeks after day 60 are at 55.
    rows = [
        {
            "pilot": running.pk,
            "metric": "reviewer-load",
            "tier": "",
            "period_start": (START + timedelta(days=7 * i + 1)).isoformat(),
            "period_end": (START + timedelta(days=7 * i + 7)).isoformat(),
            "value": value,
            "sample_size": 25,
        }
        for i, value in enumerate(["44"] * 8 + ["55"] * 5)
    ]
    # Recorded once the last week is over: periods ending after today are refused.
    with time_machine.travel(START + timedelta(days=91), tick=False):
        measurements_ingest(rows=rows, actor=platform)
    with time_machine.travel(START + timedelta(days=90), tick=False):
        return checkpoint_evaluate(pilot=running, checkpoint_day=90)


@pytest.fixture
def render_packet_of(django_capture_on_commit_callbacks):
    """render_packet_of(kind, subject, user): request a packet and run its (eager) task."""
    from governance.services.packets import packet_request

    def run(kind, subject, user):
        with django_capture_on_commit_callbacks(execute=True):
            packet = packet_request(kind=kind, subject_id=subject.pk, actor=user)
        packet.refresh_from_db()
        return packet

    return run
