"""Pilots: registration rules, submit and approve guards, freeze, start, lifecycle history."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from governance.models import Pilot
from governance.selectors.signoffs import pilot_charter_canonical
from governance.services import pilots as ps
from governance.services.signoffs import signoff_record
from tests.factories import OfferingFactory, TeamFactory
from tests.governance.conftest import START
from vendors.kit.canonical import digest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_today(today):
    return today


def _errors(call) -> list[str]:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.messages


# --- registration ---------------------------------------------------------------------------


def test_a_pilot_defaults_agentic_from_its_offering(make_pilot, published):
    agent = OfferingFactory(
        vendor=published.entries.first().vendor, kind="coding_agent", agentic=True
    )
    assert make_pilot(offering=agent).agentic is True
    assert make_pilot(title="Two").agentic is False


def test_defaults_are_the_design_cards(pilot):
    assert (pilot.checkpoint_days, pilot.grace_days, pilot.window_months) == ([30, 90, 180], 60, 6)
    assert pilot.status == "draft"


def test_a_pilot_outside_60_to_90_days_needs_a_justification(make_pilot):
    errors = _errors(lambda: make_pilot(planned_end=START + timedelta(days=120)))
    assert errors == ["The pilot runs 120 days; explain why it is not 60-90 days."]
    assert (
        make_pilot(
            planned_end=START + timedelta(days=120), duration_justification="Quarter-end freeze"
        ).planned_days
        == 120
    )


def test_the_window_is_6_or_12_months(make_pilot):
    assert "Value 9 is not a valid choice." in _errors(lambda: make_pilot(window_months=9))


def test_more_than_two_workflows_are_refused(make_pilot):
    assert _errors(
        lambda: make_pilot(workflows=["test_generation", "debugging", "boilerplate"])
    ) == ["A pilot covers at most 2 workflows."]


def test_more_than_three_teams_are_refused(make_pilot):
    teams = [TeamFactory() for _ in range(4)]
    assert _errors(lambda: make_pilot(teams=teams)) == ["A pilot involves at most 3 teams."]


def test_checkpoints_must_increase(make_pilot):
    assert "increasing whole days" in _errors(lambda: make_pilot(checkpoint_days=[90, 30]))[0]


def test_only_ai_pms_register_pilots(make_pilot, finance):
    with pytest.raises(PermissionDenied, match=re.escape("(governance.add_pilot)")):
        make_pilot(actor=finance)


# --- baselines and kill criteria --------------------------------------------------------------


def test_a_baseline_must_end_before_the_planned_start(pilot, ai_pm, metrics):
    errors = _errors(
        lambda: ps.baseline_set(
            pilot=pilot,
            metric=metrics["reviewer-load"],
            value="40",
            sample_size=10,
            period_start=date(2026, 12, 1),
            period_end=START,
            actor=ai_pm,
        )
    )
    assert errors == [
        "A baseline is measured before the pilot: its period must end before the planned "
        "start (2027-01-04)."
    ]


def test_a_baseline_needs_a_sample(pilot, ai_pm, metrics):
    errors = _errors(
        lambda: ps.baseline_set(
            pilot=pilot,
            metric=metrics["reviewer-load"],
            value="40",
            sample_size=0,
            period_start=date(2026, 9, 1),
            period_end=date(2026, 10, 1),
            actor=ai_pm,
        )
    )
    assert "A baseline needs a sample size above zero." in errors


def test_cycle_time_needs_a_tier(pilot, ai_pm, metrics):
    errors = _errors(
        lambda: ps.baseline_set(
            pilot=pilot,
            metric=metrics["cycle-time"],
            value="30",
            sample_size=10,
            period_start=date(2026, 9, 1),
            period_end=date(2026, 10, 1),
            actor=ai_pm,
        )
    )
    assert errors == ["Cycle time per shipped PR is measured per complexity tier: choose a tier."]


def test_setting_a_baseline_twice_updates_it(pilot, ai_pm, metrics):
    for value in ("40", "38"):
        ps.baseline_set(
            pilot=pilot,
            metric=metrics["reviewer-load"],
            value=value,
            sample_size=10,
            period_start=date(2026, 9, 1),
            period_end=date(2026, 10, 1),
            actor=ai_pm,
        )
    assert [str(b.value) for b in pilot.baselines.all()] == ["38.0000"]


def test_a_kill_criterion_respects_the_grace_period(pilot, ai_pm, metrics):
    errors = _errors(
        lambda: ps.kill_criterion_add(
            pilot=pilot,
            metric=metrics["reviewer-load"],
            comparator="worse_pct",
            threshold="20",
            evaluate_from_day=30,
            actor=ai_pm,
        )
    )
    assert errors[0].startswith("Evaluation starts on day 60 at the earliest")


def test_a_kill_criterion_reads_in_plain_words(pilot, ai_pm, metrics):
    criterion = ps.kill_criterion_add(
        pilot=pilot,
        metric=metrics["reviewer-load"],
        comparator="worse_pct",
        threshold="20",
        evaluate_from_day=60,
        actor=ai_pm,
    )
    assert criterion.plain_words == (
        "kill if reviewer minutes per PR is 20% worse than baseline for 2 periods after day 60, "
        "counting only periods with a sample of at least 20"
    )
    above = ps.kill_criterion_add(
        pilot=pilot,
        metric=metrics["cycle-time"],
        tier="complex",
        comparator="above",
        threshold="72.5",
        evaluate_from_day=90,
        consecutive_periods=1,
        actor=ai_pm,
    )
    assert above.plain_words == (
        "kill if cycle time per shipped PR (complex PRs) is above 72.5 hours for 1 period "
        "after day 90, counting only periods with a sample of at least 20"
    )


def test_only_the_owner_edits_a_pilot(pilot, persona, metrics):
    other_pm = persona("ai_pm")
    from tests.factories import UserFactory

    stranger = UserFactory(username="pm2", role="ai_pm")
    assert other_pm == pilot.owner
    with pytest.raises(PermissionDenied, match=re.escape("(governance.add_killcriterion)")):
        ps.kill_criterion_add(
            pilot=pilot,
            metric=metrics["reviewer-load"],
            comparator="above",
            threshold="50",
            evaluate_from_day=60,
            actor=stranger,
        )


# --- submit -----------------------------------------------------------------------------------


def test_submit_names_everything_missing(pilot, ai_pm):
    pilot.teams.clear()
    errors = _errors(lambda: ps.pilot_submit(pilot=pilot, actor=ai_pm))
    assert errors == [
        "Cannot submit: Name 1 to 3 teams (it has 0).",
        "Cannot submit: Pre-commit at least one kill criterion.",
        "Cannot submit: Record a baseline for Cycle time per shipped PR (at least one tier).",
        "Cannot submit: Record a baseline for Defect escape rate.",
        "Cannot submit: Record a baseline for Reviewer minutes per PR.",
        "Cannot submit: Record a baseline for Feature throughput.",
    ]
    pilot.refresh_from_db()
    assert pilot.status == "draft"


def test_submit_needs_a_workflow(pilot, ai_pm, complete_pilot):
    complete_pilot(pilot)
    Pilot.objects.filter(pk=pilot.pk).update(workflows=[])
    pilot.refresh_from_db()
    assert _errors(lambda: ps.pilot_submit(pilot=pilot, actor=ai_pm)) == [
        "Cannot submit: Name 1 or 2 workflows (it has 0)."
    ]


def test_a_complete_draft_is_submitted_and_the_move_recorded(pilot, ai_pm, complete_pilot):
    complete_pilot(pilot)
    ps.pilot_submit(pilot=pilot, actor=ai_pm, reason="ready")
    row = pilot.history.get()
    assert (row.from_status, row.to_status, row.actor, row.reason) == (
        "draft",
        "submitted",
        ai_pm,
        "ready",
    )


# --- approve ----------------------------------------------------------------------------------


@pytest.fixture
def submitted(pilot, ai_pm, complete_pilot):
    complete_pilot(pilot)
    return ps.pilot_submit(pilot=pilot, actor=ai_pm)


def test_approval_needs_security_and_finance_sign_offs(submitted, finance, sign_pilot):
    sign_pilot(submitted, roles=("security",))
    assert _errors(lambda: ps.pilot_approve(pilot=submitted, actor=finance)) == [
        "Cannot approve: Sign-off: needs an approve sign-off from finance."
    ]


def test_a_signed_shortlisted_pilot_is_approved_and_frozen(approved_pilot, ai_pm, metrics):
    assert approved_pilot.status == "approved"
    assert re.fullmatch(r"[0-9a-f]{64}", approved_pilot.charter_digest)
    assert approved_pilot.charter_digest == digest(pilot_charter_canonical(approved_pilot))
    for attempt in (
        lambda: ps.baseline_set(
            pilot=approved_pilot,
            metric=metrics["reviewer-load"],
            value="1",
            sample_size=1,
            period_start=date(2026, 9, 1),
            period_end=date(2026, 9, 2),
            actor=ai_pm,
        ),
        lambda: ps.kill_criterion_add(
            pilot=approved_pilot,
            metric=metrics["reviewer-load"],
            comparator="above",
            threshold="1",
            evaluate_from_day=60,
            actor=ai_pm,
        ),
        lambda: ps.pilot_update(pilot=approved_pilot, window_months=12, actor=ai_pm),
        lambda: ps.pilot_update(pilot=approved_pilot, checkpoint_days=[60], actor=ai_pm),
        lambda: ps.kill_criterion_delete(
            criterion=approved_pilot.kill_criteria.first(), actor=ai_pm
        ),
    ):
        errors = _errors(attempt)
        assert errors == [
            "Helix in payments is approved: its scope, baselines, kill criteria, window and "
            "checkpoints were frozen at approval."
        ]


def test_an_agentic_pilot_needs_legal_too(
    make_pilot, published, complete_pilot, ai_pm, sign_pilot, finance
):
    agent = OfferingFactory(
        vendor=published.entries.get(vendor__slug="helix").vendor, kind="coding_agent", agentic=True
    )
    pilot = complete_pilot(make_pilot(offering=agent))
    ps.pilot_submit(pilot=pilot, actor=ai_pm)
    sign_pilot(pilot)
    errors = _errors(lambda: ps.pilot_approve(pilot=pilot, actor=finance))
    assert "Cannot approve: Sign-off: needs an approve sign-off from legal." in errors


def test_the_shortlist_gate_refuses_agentic_use_without_agentic_approval(
    make_pilot, published, complete_pilot, ai_pm, sign_pilot, finance
):
    agent = OfferingFactory(
        vendor=published.entries.get(vendor__slug="helix").vendor, kind="coding_agent", agentic=True
    )
    pilot = complete_pilot(make_pilot(offering=agent))
    ps.pilot_submit(pilot=pilot, actor=ai_pm)
    sign_pilot(pilot, roles=("security", "finance", "legal"))
    errors = _errors(lambda: ps.pilot_approve(pilot=pilot, actor=finance))
    assert errors == [
        "Cannot approve: Shortlist: Helix is on shortlist v1 but not approved for agentic use."
    ]


def test_the_shortlist_gate_refuses_a_vendor_not_listed(
    make_pilot, complete_pilot, ai_pm, sign_pilot, finance
):
    outsider = OfferingFactory(name="Outside Tool")
    pilot = complete_pilot(make_pilot(offering=outsider))
    ps.pilot_submit(pilot=pilot, actor=ai_pm)
    sign_pilot(pilot)
    errors = _errors(lambda: ps.pilot_approve(pilot=pilot, actor=finance))
    assert errors == [f"Cannot approve: Shortlist: {outsider.vendor.name} is not on shortlist v1."]


def test_the_shortlist_gate_applies_at_approval_time(submitted, sign_pilot, finance, judge):
    sign_pilot(submitted)
    assessment = submitted.offering.vendor.assessments.get()
    judge(assessment.responses.get(item__code="per-request-tracing"), "not_satisfied")
    errors = _errors(lambda: ps.pilot_approve(pilot=submitted, actor=finance))
    assert errors == [
        "Cannot approve: Shortlist: Suspended: Helix is not approved (status: under review)."
    ]


def test_a_change_after_signing_needs_new_sign_offs(submitted, sign_pilot, ai_pm, finance):
    sign_pilot(submitted)
    ps.pilot_update(pilot=submitted, use_case="Also integration tests.", actor=ai_pm)
    errors = _errors(lambda: ps.pilot_approve(pilot=submitted, actor=finance))
    assert (
        "Cannot approve: Sign-off: security's sign-off covers an earlier version; security "
        "must sign again." in errors
    )


def test_a_sign_off_from_the_wrong_role_is_refused(submitted, persona):
    platform = persona("platform")
    with pytest.raises(PermissionDenied, match=re.escape("(governance.add_signoff)")):
        signoff_record(
            kind="pilot", subject=submitted, role="finance", decision="approve", actor=platform
        )
    # A signer of another role is refused by the role-membership check, not the permission.
    with pytest.raises(PermissionDenied, match="Only members of finance sign as finance"):
        signoff_record(
            kind="pilot",
            subject=submitted,
            role="finance",
            decision="approve",
            actor=persona("security"),
        )
    with pytest.raises(ValidationError, match="signed by security, finance, not legal"):
        signoff_record(
            kind="pilot",
            subject=submitted,
            role="legal",
            decision="approve",
            actor=persona("legal"),
        )


def test_a_draft_cannot_be_signed(pilot, persona):
    with pytest.raises(ValidationError, match="not open for sign-off"):
        signoff_record(
            kind="pilot",
            subject=pilot,
            role="security",
            decision="approve",
            actor=persona("security"),
        )


def test_the_owner_cannot_approve(submitted, ai_pm, sign_pilot):
    sign_pilot(submitted)
    with pytest.raises(PermissionDenied, match=re.escape("(governance.approve_pilot)")):
        ps.pilot_approve(pilot=submitted, actor=ai_pm)


# --- start, review, close, withdraw -----------------------------------------------------------


def test_a_pilot_cannot_start_before_its_planned_start(approved_pilot, ai_pm):
    assert _errors(lambda: ps.pilot_start(pilot=approved_pilot, actor=ai_pm)) == [
        "Cannot start: The pilot starts on its planned start, 2027-01-04, not before."
    ]


def test_the_owner_starts_it_manually_from_its_date(approved_pilot, ai_pm):
    with time_machine.travel(START, tick=False):
        pilot = ps.pilot_start(pilot=approved_pilot, actor=ai_pm)
    assert (pilot.status, pilot.started_on) == ("running", START)


def test_the_daily_task_starts_due_pilots_and_catches_up(approved_pilot):
    from governance.tasks import start_due_pilots

    with time_machine.travel(START + timedelta(days=3), tick=False):
        assert start_due_pilots.delay().get() == [approved_pilot.pk]
        assert start_due_pilots.delay().get() == []
    approved_pilot.refresh_from_db()
    assert approved_pilot.status == "running"
    assert approved_pilot.history.last().actor is None


def test_a_running_pilot_goes_to_review_and_closes_with_an_outcome(approved_pilot, ai_pm, finance):
    with time_machine.travel(START, tick=False):
        ps.pilot_start(pilot=approved_pilot, actor=ai_pm)
        ps.pilot_begin_review(pilot=approved_pilot, actor=ai_pm, reason="last checkpoint")
        closed = ps.pilot_close(
            pilot=approved_pilot, outcome="expanded", actor=finance, reason="cycle time -18%"
        )
    assert (closed.status, closed.outcome) == ("closed", "expanded")
    assert list(closed.history.values_list("to_status", flat=True)) == [
        "submitted",
        "approved",
        "running",
        "under_review",
        "closed",
    ]


def test_close_needs_an_outcome(approved_pilot, ai_pm, finance):
    with time_machine.travel(START, tick=False):
        ps.pilot_start(pilot=approved_pilot, actor=ai_pm)
        ps.pilot_begin_review(pilot=approved_pilot, actor=ai_pm, reason="r")
    assert (
        "Choose an outcome"
        in _errors(
            lambda: ps.pilot_close(pilot=approved_pilot, outcome="", actor=finance, reason="r")
        )[0]
    )


def test_a_draft_or_submitted_pilot_can_be_withdrawn(pilot, submitted, ai_pm):
    assert ps.pilot_withdraw(pilot=submitted, actor=ai_pm, reason="budget").status == "withdrawn"


def test_an_approved_pilot_cannot_be_withdrawn(approved_pilot, ai_pm):
    assert _errors(lambda: ps.pilot_withdraw(pilot=approved_pilot, actor=ai_pm, reason="x")) == [
        "The pilot cannot go from approved to withdrawn."
    ]


def test_a_pilot_cannot_skip_approval(submitted, ai_pm):
    with time_machine.travel(START, tick=False):
        assert _errors(lambda: ps.pilot_start(pilot=submitted, actor=ai_pm)) == [
            "The pilot cannot go from submitted to running."
        ]
