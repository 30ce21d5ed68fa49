"""Pilots: registration, pre-commitments, and the one guarded lifecycle entry point."""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from governance.choices import NotificationKind, PilotOutcome, PilotStatus, Source, SubjectKind
from governance.models import Baseline, KillCriterion, Metric, Pilot, PilotTransition, Team
from governance.models.pilots import CHARTER_FIELDS, window_checkpoints
from governance.selectors.pilots import (
    approve_problems,
    start_problems,
    submit_problems,
)
from governance.selectors.signoffs import subject_digest
from governance.services.notifications import notifications_done, notify
from governance.services.signoffs import signoffs_request, subject_link
from vendors.kit.audit import audited
from vendors.kit.errors import DomainError
from vendors.kit.services import parse_id, require, save_validated
from vendors.kit.transitions import transition
from vendors.models import Offering

P = PilotStatus
# Teams are set apart (a many-to-many); agentic defaults to the offering's flag.
PILOT_FIELDS = (*(f for f in CHARTER_FIELDS if f != "teams"), "agentic")


def _check_editable(pilot: Pilot) -> None:
    if pilot.frozen:
        raise DomainError(
            f"{pilot} is {pilot.get_status_display().lower()}: its scope, baselines, kill "
            "criteria, window and checkpoints were frozen at approval."
        )


def _lock(pilot: Pilot) -> Pilot:
    # Edits, sign-offs and transitions of one pilot serialise on its row.
    return Pilot.objects.select_for_update().get(pk=pilot.pk)


@audited
@transaction.atomic
def team_create(*, name: str, cost_centre: str, headcount: int, actor: Any) -> Team:
    """Register a team."""
    require(actor, "governance.add_team")
    return save_validated(Team(name=name, cost_centre=cost_centre, headcount=headcount))


@audited
@transaction.atomic
def pilot_create(
    *,
    actor: Any,
    offering: Offering,
    teams: list[Team] = (),
    agentic: bool | None = None,
    **fields: Any,
) -> Pilot:
    """Register a draft pilot owned by the acting AI product manager."""
    require(actor, "governance.add_pilot")
    unknown = set(fields) - set(PILOT_FIELDS)
    if unknown:
        raise ValueError(f"pilot_create cannot set {sorted(unknown)}")
    if not fields.get("checkpoint_days"):
        # Unless given, the checkpoints follow the window (a 12-month pilot is reviewed at 365).
        fields["checkpoint_days"] = window_checkpoints(fields.get("window_months", 6))
    pilot = save_validated(
        Pilot(
            owner=actor,
            offering=offering,
            agentic=offering.agentic if agentic is None else agentic,
            **fields,
        )
    )
    _set_teams(pilot, teams)
    return pilot


def teams_problem(teams: list[Team]) -> str | None:
    """Why a pilot cannot involve these teams, or None (its form reports it with the rest)."""
    return "A pilot involves at most 3 teams." if len(teams) > 3 else None


def _set_teams(pilot: Pilot, teams) -> None:
    teams = list(teams)
    problem = teams_problem(teams)
    if problem:
        raise DomainError({"teams": problem})
    both = sorted(t.name for t in teams if t in set(pilot.control_teams.all()))
    if both:
        raise DomainError({"teams": f"{', '.join(both)} is a control team of this pilot."})
    pilot.teams.set(teams)


@audited
@transaction.atomic
def pilot_controls_set(*, pilot: Pilot, teams: list[Team], actor: Any) -> Pilot:
    """Name the pilot's control teams (its owner or platform), refusing any of its own teams."""
    require(actor, "governance.set_controls_pilot", pilot)
    pilot = _lock(pilot)
    if pilot.status in (P.CLOSED, P.WITHDRAWN):
        raise DomainError(f"{pilot} is {pilot.get_status_display().lower()}.")
    # Pre-committed like the kill criteria: controls picked after a checkpoint's numbers are
    # known could be picked to make the effect.
    from governance.selectors.effects import controls_fixed_at

    fixed_at = controls_fixed_at(pilot)
    if fixed_at is not None:
        raise DomainError(
            {
                "control_teams": f"The control teams are fixed once a checkpoint has been "
                f"evaluated (day {fixed_at}): choosing them after seeing results could "
                "choose the effect."
            }
        )
    teams = list(dict.fromkeys(teams))
    own = sorted(t.name for t in teams if t in set(pilot.teams.all()))
    if own:
        raise DomainError(
            {
                "control_teams": f"{', '.join(own)} {'is' if len(own) == 1 else 'are'} in the "
                "pilot: a control team must be one that does not take part."
            }
        )
    # auditlog records each team added or removed, so a control group swapped after the
    # results came in stays visible.
    pilot.control_teams.set(teams)
    return pilot


@audited
@transaction.atomic
def pilot_update(*, pilot: Pilot, actor: Any, teams: list[Team] | None = None, **fields: Any):
    """Change a pilot's scope while it is a draft or submitted (frozen after approval)."""
    require(actor, "governance.change_pilot", pilot)
    pilot = _lock(pilot)
    _check_editable(pilot)
    unknown = set(fields) - set(PILOT_FIELDS)
    if unknown:
        raise ValueError(f"pilot_update cannot set {sorted(unknown)}")
    if not fields.get("checkpoint_days"):
        fields.pop("checkpoint_days", None)
        window = fields.get("window_months", pilot.window_months)
        # Default checkpoints move with the window; checkpoints someone chose stay theirs.
        if window != pilot.window_months and pilot.checkpoint_days == window_checkpoints(
            pilot.window_months
        ):
            fields["checkpoint_days"] = window_checkpoints(window)
    for name, value in fields.items():
        setattr(pilot, name, value)
    save_validated(pilot)
    if teams is not None:
        _set_teams(pilot, teams)
    return pilot


@audited
@transaction.atomic
def baseline_set(
    *, pilot: Pilot, metric: Metric, actor: Any, tier: str = "", **fields: Any
) -> Baseline:
    """Record (or correct) the measured baseline of a metric and tier; refused once frozen."""
    require(actor, "governance.add_baseline", pilot)
    pilot = _lock(pilot)
    _check_editable(pilot)
    baseline = Baseline.objects.filter(pilot=pilot, metric=metric, tier=tier).first() or Baseline(
        pilot=pilot, metric=metric, tier=tier
    )
    for name, value in fields.items():
        setattr(baseline, name, value)
    baseline.recorded_by = actor
    return save_validated(baseline)


@audited
@transaction.atomic
def baseline_delete(*, baseline: Baseline, actor: Any) -> None:
    """Remove a baseline from a pilot that is not frozen yet."""
    require(actor, "governance.delete_baseline", baseline)
    _check_editable(_lock(baseline.pilot))
    baseline.delete()


@audited
@transaction.atomic
def kill_criterion_add(*, pilot: Pilot, metric: Metric, actor: Any, **fields: Any):
    """Pre-commit a kill criterion; refused once the pilot is frozen."""
    require(actor, "governance.add_killcriterion", pilot)
    pilot = _lock(pilot)
    _check_editable(pilot)
    return save_validated(KillCriterion(pilot=pilot, metric=metric, **fields))


@audited
@transaction.atomic
def kill_criterion_delete(*, criterion: KillCriterion, actor: Any) -> None:
    """Remove a kill criterion from a pilot that is not frozen yet."""
    require(actor, "governance.delete_killcriterion", criterion)
    _check_editable(_lock(criterion.pilot))
    criterion.delete()


# --- lifecycle ------------------------------------------------------------------------------


def _move(
    pilot: Pilot,
    *,
    to: str,
    actor: Any,
    reason: str = "",
    guard: Callable[[Pilot], list[str]] | None = None,
    **updates: Any,
) -> Pilot:
    """The one entry point for a pilot's status: guard, transition and history row."""
    pilot = _lock(pilot)
    current_allows = to in Pilot.TRANSITIONS.get(pilot.status, set())
    if current_allows and guard is not None:
        problems = guard(pilot)
        if problems:
            verb = {P.SUBMITTED: "submit", P.APPROVED: "approve", P.RUNNING: "start"}.get(to, to)
            raise DomainError({"status": [f"Cannot {verb}: {p}" for p in problems]})
    return transition(
        pilot,
        to=to,
        actor=actor,
        reason=reason,
        history=PilotTransition,
        subject_field="pilot",
        extra_updates=updates,
    )


@audited
@transaction.atomic
def pilot_submit(*, pilot: Pilot, actor: Any, reason: str = "") -> Pilot:
    """Submit a draft for sign-off: scope, kill criteria and core baselines must be complete."""
    require(actor, "governance.change_pilot", pilot)
    pilot = _move(pilot, to=P.SUBMITTED, actor=actor, reason=reason, guard=submit_problems)
    signoffs_request(kind=SubjectKind.PILOT, subject=pilot, actor=actor)
    return pilot


@audited
@transaction.atomic
def pilot_return_to_draft(*, pilot: Pilot, actor: Any, reason: str) -> Pilot:
    """Take a submitted pilot back to draft (its sign-offs will need renewing)."""
    require(actor, "governance.change_pilot", pilot)
    return _move(pilot, to=P.DRAFT, actor=actor, reason=reason)


@audited
@transaction.atomic
def pilot_approve(*, pilot: Pilot, actor: Any, reason: str = "") -> Pilot:
    """Approve: offering allowed by the published shortlist, and the charter signed.

    Baselines, kill criteria, window and checkpoints freeze from here on.
    """
    require(actor, "governance.approve_pilot", pilot)
    digest = subject_digest(kind=SubjectKind.PILOT, subject=_lock(pilot))
    link = subject_link(kind=SubjectKind.PILOT, subject_id=pilot.pk)
    notifications_done(user=actor, link=link)
    pilot = _move(
        pilot,
        to=P.APPROVED,
        actor=actor,
        reason=reason,
        guard=approve_problems,
        charter_digest=digest,
    )
    notify(
        users=[pilot.owner],
        kind=NotificationKind.APPROVED,
        title=f"{pilot} is approved",
        body=f"{actor} approved {pilot}: its baselines, kill criteria and window are frozen. "
        f"Start it on {pilot.planned_start:%d %b %Y}.",
        link=link,
    )
    return pilot


@audited
@transaction.atomic
def pilot_start(*, pilot: Pilot, actor: Any, reason: str = "", today: date | None = None):
    """Start an approved pilot on or after its planned start."""
    if actor is not None:  # the daily task starts pilots as the system
        require(actor, "governance.change_pilot", pilot)
    today = today or timezone.localdate()
    return _move(
        pilot,
        to=P.RUNNING,
        actor=actor,
        reason=reason,
        guard=lambda p: start_problems(p, today=today),
        started_on=today,
    )


@audited
@transaction.atomic
def pilot_withdraw(*, pilot: Pilot, actor: Any, reason: str) -> Pilot:
    """Withdraw a draft or submitted pilot."""
    require(actor, "governance.change_pilot", pilot)
    if not reason.strip():
        raise DomainError({"reason": "Say why the pilot is withdrawn."})
    return _move(pilot, to=P.WITHDRAWN, actor=actor, reason=reason)


@audited
@transaction.atomic
def pilot_begin_review(*, pilot: Pilot, actor: Any, reason: str) -> Pilot:
    """Move a running pilot to review (after its last checkpoint, or on request)."""
    if actor is not None:
        require(actor, "governance.change_pilot", pilot)
    return _move(pilot, to=P.UNDER_REVIEW, actor=actor, reason=reason)


@audited
@transaction.atomic
def pilot_close(*, pilot: Pilot, outcome: str, actor: Any, reason: str) -> Pilot:
    """Close a reviewed pilot with its outcome (expanded, contracted, killed or concluded)."""
    require(actor, "governance.approve_pilot", pilot)
    if outcome not in PilotOutcome.values:
        raise DomainError({"outcome": f"Choose an outcome: {', '.join(PilotOutcome.values)}."})
    if not reason.strip():
        raise DomainError({"reason": "Record the rationale for the outcome."})
    return _move(
        pilot,
        to=P.CLOSED,
        actor=actor,
        reason=reason,
        outcome=outcome,
        closed_on=timezone.localdate(),
    )


@audited
@transaction.atomic
def pilot_close_by_review(*, pilot: Pilot, outcome: str, actor: Any, reason: str) -> Pilot:
    """Close a running pilot or one under review as a signed quarterly review decided."""
    require(actor, "governance.approve_pilot", pilot)
    pilot = _lock(pilot)
    if pilot.status == P.RUNNING:
        pilot = _move(pilot, to=P.UNDER_REVIEW, actor=actor, reason=reason)
    return _move(
        pilot,
        to=P.CLOSED,
        actor=actor,
        reason=reason,
        outcome=outcome,
        closed_on=timezone.localdate(),
    )


@audited
@transaction.atomic
def pilot_outcome_correct(*, pilot: Pilot, outcome: str, actor: Any, reason: str) -> Pilot:
    """Change a closed pilot's outcome because a signed correction replaced the closing decision.

    The status stays closed; a history row (closed -> closed) keeps the old outcome in its
    reason, so the outcome first recorded stays visible beside the corrected one.
    """
    require(actor, "governance.approve_pilot", pilot)
    pilot = _lock(pilot)
    if pilot.status != P.CLOSED:
        raise DomainError({"outcome": "Only a closed pilot's outcome is corrected."})
    if outcome not in PilotOutcome.values:
        raise DomainError({"outcome": f"Choose an outcome from {', '.join(PilotOutcome.values)}."})
    previous = pilot.outcome
    if previous == outcome:
        return pilot
    pilot.outcome = outcome
    pilot.save(update_fields=["outcome", "updated_at"])
    PilotTransition.objects.create(
        pilot=pilot,
        from_status=P.CLOSED,
        to_status=P.CLOSED,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=f"Outcome corrected from {previous} to {outcome}: {reason}",
    )
    return pilot


@transaction.atomic
def pilots_start_due(*, today: date | None = None) -> list[int]:
    """Start every approved pilot whose planned start has come (daily task; catches up)."""
    today = today or timezone.localdate()
    started = []
    for pilot in Pilot.objects.filter(status=P.APPROVED, planned_start__lte=today):
        pilot_start(pilot=pilot, actor=None, reason="planned start reached", today=today)
        started.append(pilot.pk)
    return started


BASELINE_COLUMNS = ("pilot", "metric", "tier", "value", "sample_size", "period_start", "period_end")


@transaction.atomic
def baselines_import(*, rows: list[dict], actor: Any, dry_run: bool = False) -> int:
    """Record many baselines at once: every row validated first, then all or nothing.

    Rows name the pilot by id and the metric by code; each row upserts like baseline_set.
    """
    from django.core.exceptions import ValidationError

    from governance.models import Metric

    metrics = {m.code: m for m in Metric.objects.all()}
    pilot_ids = {str(r.get("pilot", "")) for r in rows}
    pilots = {
        str(p.pk): p for p in Pilot.objects.filter(pk__in={parse_id(i) for i in pilot_ids} - {None})
    }
    errors: dict[str, str] = {}
    for index, row in enumerate(rows):
        pilot, metric = pilots.get(str(row.get("pilot"))), metrics.get(str(row.get("metric")))
        if pilot is None or metric is None:
            field = "pilot" if pilot is None else "metric"
            errors[f"rows[{index}].{field}"] = f"Row {index}: unknown {field} {row.get(field)!r}."
            continue
        if pilot.frozen:
            errors[f"rows[{index}].pilot"] = f"Row {index}: {pilot} is frozen."
            continue
        if not actor.has_perm("governance.add_baseline", pilot):
            raise PermissionDenied(f"You may not record baselines for {pilot}.")
        candidate = Baseline(
            pilot=pilot,
            metric=metric,
            tier=row.get("tier") or "",
            value=row.get("value"),
            sample_size=row.get("sample_size"),
            period_start=row.get("period_start"),
            period_end=row.get("period_end"),
            source=Source.IMPORT,
            recorded_by=actor,
        )
        try:
            # The key may already exist: that row is corrected, not duplicated.
            candidate.full_clean(validate_unique=False, validate_constraints=False)
            candidate.validate_constraints(exclude={"pilot", "metric", "tier"})
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors[f"rows[{index}].{field}"] = f"Row {index}: {' '.join(messages)}"
    if errors:
        raise DomainError(errors, code="invalid_rows")
    if not dry_run:
        for row in rows:
            baseline_set(
                pilot=pilots[str(row["pilot"])],
                metric=metrics[row["metric"]],
                tier=row.get("tier") or "",
                value=row["value"],
                sample_size=row["sample_size"],
                period_start=row["period_start"],
                period_end=row["period_end"],
                source=Source.IMPORT,
                actor=actor,
            )
    return len(rows)
