"""Finance writes: the spend ledger and quarterly expand / hold / contract / kill reviews."""

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.choices import (
    Decision,
    PilotOutcome,
    PilotStatus,
    ReviewDecision,
    ReviewScope,
    ReviewStatus,
    Role,
    Source,
    SpendScope,
    SubjectKind,
)
from governance.models import Pilot, QuarterlyReview, ReviewTransition, SignOff, Spend, Team
from governance.models.finance import QUARTER_PATTERN
from governance.selectors import finance
from governance.selectors.signoffs import signoff_problems, subject_digest
from governance.services.pilots import pilot_close_by_review, pilot_outcome_correct
from governance.services.signoffs import signoff_record, signoffs_request
from vendors.kit.audit import audited
from vendors.kit.errors import ConflictError, DomainError
from vendors.kit.services import parse_id, require, save_validated, validate_checks
from vendors.kit.transitions import transition
from vendors.models import Offering, Vendor

R = ReviewStatus
SPEND_COLUMNS = (
    "month",
    "amount",
    "currency",
    "scope",
    "pilot",
    "team",
    "offering",
    "vendor",
    "category",
    "reference",
)
REVIEWABLE = (PilotStatus.RUNNING, PilotStatus.UNDER_REVIEW)
# What a decision does to a pilot once its review is signed (hold changes nothing).
OUTCOMES = {
    ReviewDecision.KILL: PilotOutcome.KILLED,
    ReviewDecision.EXPAND: PilotOutcome.EXPANDED,
    ReviewDecision.CONTRACT: PilotOutcome.CONTRACTED,
}


# --- spend ----------------------------------------------------------------------------------


def _spend_key(spend: Spend) -> dict:
    target = {"pilot": "pilot", "team": "team", "program": "offering"}[spend.scope]
    return {
        "scope": spend.scope,
        "month": spend.month,
        "vendor": spend.vendor,
        "category": spend.category,
        target: getattr(spend, target),
    }


@audited
@transaction.atomic
def spend_record(
    *,
    actor: Any,
    month: date,
    amount: Decimal,
    scope: str,
    vendor: Vendor,
    category: str,
    currency: str = "USD",
    pilot: Pilot | None = None,
    team: Team | None = None,
    offering: Offering | None = None,
    source: str = Source.MANUAL,
    reference: str = "",
) -> Spend:
    """Record a month's spend; the same month, target, vendor and category corrects the row."""
    require(actor, "governance.add_spend")
    fields = {"amount": amount, "currency": currency, "source": source, "reference": reference}
    candidate = Spend(
        month=month,
        scope=scope,
        vendor=vendor,
        category=category,
        pilot=pilot,
        team=team,
        offering=offering,
        recorded_by=actor,
        **fields,
    )
    candidate.full_clean(validate_constraints=False)
    validate_checks(candidate)
    existing = Spend.objects.select_for_update().filter(**_spend_key(candidate)).first()
    if existing is None:
        candidate.save()
        return candidate
    for name, value in {**fields, "recorded_by": actor}.items():
        setattr(existing, name, value)
    return save_validated(existing)


@audited
@transaction.atomic
def spend_delete(*, spend: Spend, actor: Any) -> None:
    """Remove a ledger row recorded in error (the audit trail keeps what it said)."""
    require(actor, "governance.delete_spend", spend)
    spend.delete()


def _parse_month(text: str) -> date | None:
    text = (text or "").strip()
    for fmt in ("%Y-%m", "%Y-%m-%d"):
        try:
            day = timezone.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return day.replace(day=1)
    return None


@transaction.atomic
def spend_import(*, rows: list[dict], actor: Any, dry_run: bool = False) -> int:
    """Record many spend rows: every row is validated first, then all or nothing.

    Rows name the month (YYYY-MM), the scope and its target (a pilot id, a team name or an
    offering id), the vendor by slug, the category, the amount and currency; a row with the key
    of an existing row corrects it, as `spend_record` does.
    """
    require(actor, "governance.add_spend")
    vendors = {v.slug: v for v in Vendor.objects.all()}
    teams = {t.name: t for t in Team.objects.all()}
    pilot_ids = {parse_id(r.get("pilot")) for r in rows} - {None}
    pilots = {
        str(p.pk): p for p in Pilot.objects.filter(pk__in=pilot_ids).select_related("offering")
    }
    offering_ids = {parse_id(r.get("offering")) for r in rows} - {None}
    offerings = {str(o.pk): o for o in Offering.objects.filter(pk__in=offering_ids)}
    errors: dict[str, str] = {}
    candidates = []
    seen = {}
    for index, row in enumerate(rows):
        prefix = f"rows[{index}]"
        month = _parse_month(row.get("month", ""))
        if month is None:
            errors[f"{prefix}.month"] = f"Row {index}: give the month as YYYY-MM."
            continue
        try:
            amount = Decimal(str(row.get("amount", "")).replace(",", ""))
        except InvalidOperation:
            errors[f"{prefix}.amount"] = f"Row {index}: {row.get('amount')!r} is not an amount."
            continue
        scope = row.get("scope", "")
        lookups = {
            SpendScope.PILOT: ("pilot", pilots),
            SpendScope.TEAM: ("team", teams),
            SpendScope.PROGRAM: ("offering", offerings),
        }
        if scope not in lookups:
            errors[f"{prefix}.scope"] = f"Row {index}: scope is one of pilot, team, program."
            continue
        field, known = lookups[scope]
        target = known.get(str(row.get(field, "")))
        vendor = vendors.get(row.get("vendor", ""))
        if target is None or vendor is None:
            bad = field if target is None else "vendor"
            errors[f"{prefix}.{bad}"] = f"Row {index}: unknown {bad} {row.get(bad)!r}."
            continue
        candidate = Spend(
            month=month,
            amount=amount,
            currency=row.get("currency") or "USD",
            scope=scope,
            vendor=vendor,
            category=row.get("category", ""),
            source=Source.IMPORT,
            reference=row.get("reference", ""),
            recorded_by=actor,
            **{field: target},
        )
        try:
            candidate.full_clean(validate_constraints=False)
            validate_checks(candidate)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors[f"{prefix}.{name}"] = f"Row {index}: {' '.join(messages)}"
            continue
        key = tuple(sorted((k, str(v)) for k, v in _spend_key(candidate).items()))
        if key in seen:
            errors[f"{prefix}.month"] = f"Row {index}: repeats row {seen[key]}."
            continue
        seen[key] = index
        candidates.append(candidate)
    if errors:
        raise DomainError(errors, code="invalid_rows")
    if not dry_run:
        for candidate in candidates:
            spend_record(
                actor=actor,
                **{
                    name: getattr(candidate, name)
                    for name in (
                        "month",
                        "amount",
                        "currency",
                        "scope",
                        "vendor",
                        "category",
                        "pilot",
                        "team",
                        "offering",
                        "source",
                        "reference",
                    )
                },
            )
    return len(candidates)


# --- quarterly reviews ----------------------------------------------------------------------


def _lock(review: QuarterlyReview) -> QuarterlyReview:
    return QuarterlyReview.objects.select_for_update().get(pk=review.pk)


def _check_open(review: QuarterlyReview) -> None:
    if review.locked:
        raise DomainError(
            f"This review is {review.get_status_display().lower()}: it cannot change. Record a "
            "correction as a new review that supersedes it."
        )


def _check_subject(scope: str, pilot: Pilot | None, offering: Offering | None) -> None:
    if scope == ReviewScope.PILOT:
        if pilot is None:
            raise DomainError({"pilot": "Name the pilot under review."})
        if pilot.status not in REVIEWABLE:
            raise DomainError(
                {
                    "pilot": f"{pilot} is {pilot.get_status_display().lower()}; only running "
                    "pilots or pilots under review get a quarterly decision."
                }
            )
    elif scope == ReviewScope.PROGRAM:
        if offering is None:
            raise DomainError({"offering": "Name the offering whose program is reviewed."})
        if not Pilot.objects.filter(offering=offering, status__in=REVIEWABLE).exists():
            raise DomainError({"offering": f"{offering} has no running pilot to review."})
    else:
        raise DomainError({"scope": "The scope is a pilot or a program."})


def _check_seats(decision: str, seat_delta: int) -> None:
    wrong = {
        ReviewDecision.EXPAND: seat_delta < 0,
        ReviewDecision.CONTRACT: seat_delta > 0,
        ReviewDecision.KILL: seat_delta > 0,
        ReviewDecision.HOLD: seat_delta != 0,
    }.get(decision)
    if wrong:
        raise DomainError(
            {"seat_delta": f"A {decision} decision cannot change seats by {seat_delta:+d}."}
        )


def _check_quarter(quarter: str) -> None:
    """Decisions are for the current quarter, or the one just ended (recorded late)."""
    if not re.fullmatch(QUARTER_PATTERN, quarter or ""):
        raise DomainError({"quarter": "Give the quarter as YYYY-Qn, e.g. 2027-Q1."})
    today = timezone.localdate()
    current = finance.quarter_of(today)
    previous = finance.quarter_of(finance.quarter_bounds(current)[0] - timedelta(days=1))
    if quarter not in (current, previous):
        raise DomainError(
            {"quarter": f"Decide for {current}, or for {previous} if it is recorded late."}
        )


def _freeze(review: QuarterlyReview, estimates: dict | None) -> None:
    review.decided_at = timezone.now()
    # A late decision on the quarter just ended is taken on that quarter's data.
    as_of = min(timezone.localdate(), finance.quarter_bounds(review.quarter)[1])
    review.snapshot = finance.review_snapshot(
        scope=review.scope,
        pilot=review.pilot,
        offering=review.offering,
        currency=review.currency,
        as_of=as_of,
        estimates=estimates,
    )


def _live_conflict(review: QuarterlyReview) -> ConflictError:
    return ConflictError(
        f"{review.subject_label[:1].upper()}{review.subject_label[1:]} already has a live "
        f"review for {review.quarter}; "
        "reload it, and supersede it if it needs correcting.",
        code="conflict",
    )


def _save_new(review: QuarterlyReview) -> QuarterlyReview:
    """Insert, turning a lost race for the one live review per scope and quarter into a conflict."""
    live = QuarterlyReview.objects.filter(
        quarter=review.quarter, scope=review.scope, pilot=review.pilot, offering=review.offering
    ).exclude(status=R.SUPERSEDED)
    if live.exists():
        raise _live_conflict(review)
    review.full_clean(validate_constraints=False)
    validate_checks(review)  # the live-review key is checked above and by the database
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives the refusal
            review.save()
    except IntegrityError as error:
        if live.exists() or "review_one_live" in str(error):
            raise _live_conflict(review) from error
        raise
    return review


@audited
@transaction.atomic
def review_decide(
    *,
    actor: Any,
    quarter: str,
    scope: str,
    decision: str,
    rationale: str,
    pilot: Pilot | None = None,
    offering: Offering | None = None,
    seat_delta: int = 0,
    budget_delta: Decimal = Decimal(0),
    currency: str = "USD",
    estimates: dict | None = None,
) -> QuarterlyReview:
    """Record finance's decision for a pilot or program and quarter, freezing its snapshot."""
    require(actor, "governance.decide_quarterlyreview")
    if scope == ReviewScope.PILOT and pilot is not None:
        pilot = Pilot.objects.select_for_update().get(pk=pilot.pk)
        offering = None
    if scope == ReviewScope.PROGRAM:
        pilot = None
        if offering is not None:
            offering = Offering.objects.select_for_update().get(pk=offering.pk)
    _check_quarter(quarter)
    _check_subject(scope, pilot, offering)
    _check_seats(decision, seat_delta)
    review = QuarterlyReview(
        quarter=quarter,
        scope=scope,
        pilot=pilot,
        offering=offering,
        decision=decision,
        seat_delta=seat_delta,
        budget_delta=budget_delta,
        currency=currency,
        rationale=(rationale or "").strip(),
        decided_by=actor,
    )
    review.full_clean(exclude={"snapshot", "decided_at"}, validate_constraints=False)
    _freeze(review, estimates)
    review = _save_new(review)
    signoffs_request(kind=SubjectKind.QUARTERLY_REVIEW, subject=review, actor=actor)
    return review


@audited
@transaction.atomic
def review_update(
    *, review: QuarterlyReview, actor: Any, estimates: dict | None = None, **fields: Any
) -> QuarterlyReview:
    """Revise a decision before it is signed; the snapshot is taken again (signers re-sign)."""
    require(actor, "governance.decide_quarterlyreview", review)
    review = _lock(review)
    _check_open(review)
    allowed = {"decision", "seat_delta", "budget_delta", "rationale"}
    if set(fields) - allowed:
        raise DomainError(f"Only {', '.join(sorted(allowed))} can be revised.")
    for name, value in fields.items():
        setattr(review, name, value.strip() if name == "rationale" else value)
    _check_seats(review.decision, review.seat_delta)
    review.decided_by = actor
    _freeze(review, estimates)
    return save_validated(review)


def _apply_effect(review: QuarterlyReview, actor: Any) -> str:
    """Carry out a signed decision: close the pilot(s) or record the program's seats."""
    reason = f"Quarterly review {review.quarter} ({review.get_decision_display().lower()}): "
    reason += review.rationale
    outcome = OUTCOMES.get(review.decision)
    original = review.supersedes
    if (
        review.scope == ReviewScope.PILOT
        and original is not None
        and original.decision in OUTCOMES
        and review.pilot.status == PilotStatus.CLOSED
        and outcome is not None
    ):
        # The pilot was closed by the decision this review corrects: the correction's outcome
        # replaces it (the old one stays in the pilot's history and on the superseded review).
        pilot = review.pilot
        previous = pilot.outcome
        pilot_outcome_correct(pilot=pilot, outcome=outcome, actor=actor, reason=reason)
        if previous == outcome:
            return f"The pilot stays closed as {outcome}."
        return f"The pilot's outcome was corrected from {previous} to {outcome}."
    if review.scope == ReviewScope.PILOT and review.pilot.status not in REVIEWABLE:
        # A correction never reopens a closed pilot; say so rather than imply it runs.
        pilot = review.pilot
        outcome_text = f" as {pilot.outcome}" if pilot.outcome else ""
        return (
            f"No change: the pilot was already {pilot.get_status_display().lower()}"
            f"{outcome_text}; a review does not reopen it."
        )
    if review.decision == ReviewDecision.HOLD:
        if review.scope == ReviewScope.PILOT:
            return "Hold: nothing changes; the pilot keeps running."
        return "Hold: nothing changes; the program's pilots keep running."
    if review.scope == ReviewScope.PILOT:
        pilot = review.pilot
        pilot_close_by_review(pilot=pilot, outcome=outcome, actor=actor, reason=reason)
        return f"The pilot was closed as {outcome}."
    if review.decision == ReviewDecision.KILL:
        closed = []
        for pilot in Pilot.objects.filter(offering=review.offering, status__in=REVIEWABLE):
            pilot_close_by_review(pilot=pilot, outcome=outcome, actor=actor, reason=reason)
            closed.append(pilot.title)
        return f"Program killed; closed as killed: {', '.join(closed) or 'no open pilot'}."
    # This review is being signed: the signed ones so far plus its own change.
    seats = finance.program_seats(offering=review.offering) + review.seat_delta
    return f"Seats {review.seat_delta:+d}; the program's reviewed seat change is now {seats:+d}."


@audited
@transaction.atomic
def review_sign(
    *, review: QuarterlyReview, actor: Any, role: str, decision: str, comment: str = ""
) -> QuarterlyReview:
    """Sign a decided review; the last required approval signs it and carries out its effect."""
    review = _lock(review)
    _check_open(review)
    other_role = (
        SignOff.objects.filter(
            subject_kind=SubjectKind.QUARTERLY_REVIEW, subject_id=review.pk, user=actor
        )
        .exclude(role=role)
        .first()
    )
    if other_role is not None:
        # Two required signatures mean two people: one person cannot sign in both roles.
        raise DomainError(
            {
                "role": f"You signed this review as {other_role.role}; another person signs "
                f"as {role}."
            }
        )
    signoff_record(
        kind=SubjectKind.QUARTERLY_REVIEW,
        subject=review,
        role=role,
        decision=decision,
        actor=actor,
        comment=comment,
    )
    if decision != Decision.APPROVE:
        return review
    current = subject_digest(kind=SubjectKind.QUARTERLY_REVIEW, subject=review)
    if signoff_problems(kind=SubjectKind.QUARTERLY_REVIEW, subject=review, current_digest=current):
        return review
    # The effect is carried out first so the one save that signs the review also records it.
    effect = _apply_effect(review, actor)
    return transition(
        review,
        to=R.SIGNED,
        actor=actor,
        reason="every required sign-off approves this content",
        history=ReviewTransition,
        subject_field="review",
        extra_updates={"signed_at": timezone.now(), "effect": effect},
    )


def _check_correctable(review: QuarterlyReview, decision: str) -> None:
    """A correction may change how a pilot ended, but never reopens what the original closed."""
    closed = review.decision in OUTCOMES and (
        (review.scope == ReviewScope.PROGRAM and review.decision == ReviewDecision.KILL)
        or (review.scope == ReviewScope.PILOT and review.pilot.status == PilotStatus.CLOSED)
    )
    if not closed:
        return
    if review.scope == ReviewScope.PROGRAM and decision != ReviewDecision.KILL:
        raise DomainError(
            {
                "decision": "This signed kill closed the program's pilots; a correction cannot "
                "reopen them. Start a new pilot instead."
            }
        )
    if decision == ReviewDecision.HOLD:
        raise DomainError(
            {
                "decision": "The signed review closed the pilot; a correction can change how it "
                "ended (expanded, contracted or killed) but cannot put it on hold."
            }
        )


@audited
@transaction.atomic
def review_supersede(
    *,
    review: QuarterlyReview,
    actor: Any,
    reason: str,
    decision: str,
    rationale: str,
    seat_delta: int = 0,
    budget_delta: Decimal = Decimal(0),
    estimates: dict | None = None,
) -> QuarterlyReview:
    """Correct a signed review with a new one that supersedes it; both stay visible."""
    require(actor, "governance.decide_quarterlyreview", review)
    review = _lock(review)
    if review.status != R.SIGNED:
        raise DomainError(
            "Only a signed review is superseded; a review awaiting sign-off is revised instead."
        )
    if not (reason or "").strip():
        raise DomainError({"reason": "Say why the signed review is corrected."})
    _check_seats(decision, seat_delta)
    _check_correctable(review, decision)
    transition(
        review,
        to=R.SUPERSEDED,
        actor=actor,
        reason=reason.strip(),
        history=ReviewTransition,
        subject_field="review",
    )
    correction = QuarterlyReview(
        quarter=review.quarter,
        scope=review.scope,
        pilot=review.pilot,
        offering=review.offering,
        decision=decision,
        seat_delta=seat_delta,
        budget_delta=budget_delta,
        currency=review.currency,
        rationale=(rationale or "").strip(),
        decided_by=actor,
        supersedes=review,
        supersede_reason=reason.strip(),
    )
    correction.full_clean(exclude={"snapshot", "decided_at"}, validate_constraints=False)
    _freeze(correction, estimates)
    return _save_new(correction)


def reviews_due_notify(*, today: date | None = None) -> int:
    """Notify finance of the quarter's missing reviews; one notification per quarter and week."""
    from django.contrib.auth.models import User
    from django.urls import reverse

    from governance.choices import NotificationKind
    from governance.models import Notification
    from governance.services.notifications import notify

    today = today or timezone.localdate()
    quarter = finance.quarter_of(today)
    due = finance.reviews_due(quarter=quarter)
    if not due:
        return 0
    title = f"{len(due)} quarterly review(s) due for {quarter}"
    week_start = timezone.now() - timedelta(days=6)
    if Notification.objects.filter(
        kind=NotificationKind.REVIEW_DUE, title=title, created_at__gte=week_start
    ).exists():
        return 0  # a rerun of the weekly task says nothing new
    _, end = finance.quarter_bounds(quarter)
    body = f"Decide before {end}: " + "; ".join(d["label"] for d in due[:20])
    if len(due) > 20:
        body += f"; and {len(due) - 20} more"
    return notify(
        users=User.objects.filter(groups__name=Role.FINANCE, is_active=True),
        kind=NotificationKind.REVIEW_DUE,
        title=title,
        body=body,
        link=reverse("finance") + f"?quarter={quarter}",
    )
