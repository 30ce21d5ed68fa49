"""The suite's direct-row pilot builders leave the same state as the services they stand in for."""

from datetime import date

import pytest

from governance.choices import SubjectKind
from governance.models import SignOff
from governance.selectors.signoffs import subject_digest
from governance.services import pilots as ps
from tests.factories import advance_pilot

pytestmark = pytest.mark.django_db


def _charter(pilot) -> dict:
    recorders = {b.recorded_by.username for b in pilot.baselines.select_related("recorded_by")}
    return {
        "recorded_by": recorders,
        "baselines": sorted(
            (b.metric.code, b.tier, b.value, b.sample_size, b.period_start, b.period_end, b.source)
            for b in pilot.baselines.select_related("metric", "recorded_by")
        ),
        "kill_criteria": sorted(
            (
                k.metric.code,
                k.tier,
                k.comparator,
                k.threshold,
                k.evaluate_from_day,
                k.consecutive_periods,
            )
            for k in pilot.kill_criteria.select_related("metric")
        ),
    }


def _lifecycle(pilot) -> dict:
    pilot.refresh_from_db()
    return {
        "status": (pilot.status, pilot.started_on),
        "charter_digest_is_current": pilot.charter_digest
        == subject_digest(kind=SubjectKind.PILOT, subject=pilot),
        "history": [
            (t.from_status, t.to_status, t.actor.username if t.actor else None, t.reason)
            for t in pilot.history.all()
        ],
        "signoffs": sorted(
            (s.role, s.user.username, s.decision, s.digest == pilot.charter_digest)
            for s in SignOff.objects.filter(subject_kind="pilot", subject_id=pilot.pk)
        ),
    }


def test_complete_pilot_equals_the_service_path(
    make_pilot, complete_pilot, complete_pilot_through_services
):
    built = complete_pilot(make_pilot(title="Built"))
    served = complete_pilot_through_services(make_pilot(title="Served"))
    assert _charter(built)["baselines"]
    assert _charter(built) == _charter(served)


def test_advance_pilot_equals_the_service_path(
    make_pilot, complete_pilot, sign_pilot, security, ai_pm, finance
):
    start = date(2027, 1, 4)
    served = complete_pilot(make_pilot(title="Served"))
    ps.pilot_submit(pilot=served, actor=ai_pm)
    sign_pilot(served)
    ps.pilot_approve(pilot=served, actor=finance)
    ps.pilot_start(pilot=served, actor=None, today=start)
    built = advance_pilot(
        complete_pilot(make_pilot(title="Built")),
        to="running",
        owner=ai_pm,
        signers={"security": security, "finance": finance},
        approver=finance,
        started_on=start,
    )
    assert _lifecycle(built)["charter_digest_is_current"] is True
    assert _lifecycle(built) == _lifecycle(served)
