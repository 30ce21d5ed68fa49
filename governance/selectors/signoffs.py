"""The whole sign-off rule: who signs which subject, what each signs, and what is pending.

SUBJECTS is the one table of signer roles per subject kind; each subject's signed
content (its canonical JSON) is read here or, for vendor subjects, in vendors'
selectors; a signer's latest sign-off counts only while it approves the current
digest. Writes (signing, approving, publishing) are governance/services/signoffs.py.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, Prefetch

from governance.choices import (
    BenefitStatus,
    Decision,
    PilotStatus,
    ReviewDecision,
    ReviewStatus,
    Role,
    SubjectKind,
)
from governance.models import (
    AuditedBenefit,
    Baseline,
    KillCriterion,
    Pilot,
    QuarterlyReview,
    SignOff,
)
from vendors.choices import AssessmentStatus, ShortlistStatus
from vendors.kit.canonical import digest
from vendors.models import Assessment, ShortlistVersion
from vendors.selectors.assessments import assessment_canonical, assessment_gaps
from vendors.selectors.shortlist import shortlist_canonical, shortlist_violations

# --- what a governance subject's signers sign (vendor subjects: vendors/selectors) ----------

CHARTER_BASELINE_ORDER = ("metric__code", "tier")


CHARTER_CRITERIA_ORDER = ("metric__code", "tier", "comparator", "threshold", "evaluate_from_day")


def pilot_charter_canonical(pilot: Pilot) -> dict:
    """The content a pilot charter sign-off covers: scope, window, baselines, kill criteria."""
    return {
        "kind": "pilot",
        "id": pilot.pk,
        "title": pilot.title,
        "owner": pilot.owner.get_username(),
        "offering": {"vendor": pilot.offering.vendor.slug, "name": pilot.offering.name},
        "agentic": pilot.agentic,
        "teams": sorted(t.name for t in pilot.teams.all()),
        "workflows": sorted(pilot.workflows),
        "use_case": pilot.use_case,
        "planned": [pilot.planned_start.isoformat(), pilot.planned_end.isoformat()],
        "window_months": pilot.window_months,
        "checkpoint_days": pilot.checkpoint_days,
        "grace_days": pilot.grace_days,
        "baselines": [
            {
                "metric": b.metric.code,
                "tier": b.tier,
                "value": str(b.value),
                "sample_size": b.sample_size,
                "period": [b.period_start.isoformat(), b.period_end.isoformat()],
                "source": b.source,
            }
            for b in _ordered(pilot, "baselines", CHARTER_BASELINE_ORDER)
        ],
        "kill_criteria": [
            k.plain_words for k in _ordered(pilot, "kill_criteria", CHARTER_CRITERIA_ORDER)
        ],
    }


def _ordered(pilot: Pilot, name: str, ordering: tuple[str, ...]) -> list:
    """A related set in the database's order: prefetched (in that order) by a list page, else
    one query. Sorted by the database, never in Python: a digest signed earlier must not change
    because Python and the database collate codes differently."""
    if name in getattr(pilot, "_prefetched_objects_cache", {}):
        return list(getattr(pilot, name).all())
    return list(getattr(pilot, name).select_related("metric").order_by(*ordering))


def charter_prefetches() -> list[Prefetch]:
    """What pilot_charter_canonical reads, for a list of pilots: two queries for all."""
    return [
        Prefetch(
            "baselines",
            Baseline.objects.select_related("metric").order_by(*CHARTER_BASELINE_ORDER),
        ),
        Prefetch(
            "kill_criteria",
            KillCriterion.objects.select_related("metric").order_by(*CHARTER_CRITERIA_ORDER),
        ),
    ]


def review_canonical(review) -> dict:
    """The content a quarterly review sign-off covers: the decision and its frozen snapshot."""
    return {
        "kind": "quarterly_review",
        "id": review.pk,
        "quarter": review.quarter,
        "scope": review.scope,
        "pilot": review.pilot_id,
        "offering": review.offering_id,
        "decision": review.decision,
        "seat_delta": review.seat_delta,
        "budget_delta": f"{review.budget_delta:.2f}",
        "currency": review.currency,
        "rationale": review.rationale,
        "decided_by": review.decided_by.get_username(),
        "snapshot_sha256": digest(review.snapshot),
        "supersedes": review.supersedes_id,
        "supersede_reason": review.supersede_reason,
    }


def benefit_canonical(benefit) -> dict:
    """The content an audited-benefit sign-off covers: the amount, period, category, scope and
    the SHA-256 of its evidence file."""
    return {
        "kind": "audited_benefit",
        "id": benefit.pk,
        "scope": benefit.scope,
        "pilot": benefit.pilot_id,
        "offering": benefit.offering_id,
        "category": benefit.category,
        "amount": f"{benefit.amount:.2f}",
        "currency": benefit.currency,
        "period": [benefit.period_start.isoformat(), benefit.period_end.isoformat()],
        "description": benefit.description,
        "evidence_sha256": benefit.sha256,
        "recorded_by": benefit.recorded_by.get_username(),
    }


# --- who signs which subject ---------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """A role whose approve sign-off is required, optionally only when `when(subject)` holds."""

    role: str
    when: Callable[[Model], bool] | None = None

    def applies(self, subject: Model) -> bool:
        return self.when is None or self.when(subject)


@dataclass(frozen=True)
class Subject:
    """How to load, read and judge a kind of signed subject."""

    model: type[Model]
    canonical: Callable[[Model], dict]
    signable: Callable[[Model], bool]
    requirements: tuple[Requirement, ...]


SUBJECTS: dict[str, Subject] = {
    SubjectKind.ASSESSMENT: Subject(
        model=Assessment,
        canonical=assessment_canonical,
        signable=lambda a: a.status == AssessmentStatus.IN_REVIEW,
        requirements=(Requirement(Role.SECURITY), Requirement(Role.LEGAL)),
    ),
    SubjectKind.SHORTLIST: Subject(
        model=ShortlistVersion,
        canonical=shortlist_canonical,
        signable=lambda v: v.status == ShortlistStatus.DRAFT,
        requirements=(Requirement(Role.SECURITY), Requirement(Role.LEGAL)),
    ),
    SubjectKind.PILOT: Subject(
        model=Pilot,
        canonical=pilot_charter_canonical,
        signable=lambda p: p.status == PilotStatus.SUBMITTED,
        requirements=(
            Requirement(Role.SECURITY),
            Requirement(Role.FINANCE),
            # Agentic tools can run commands: legal signs their charters too.
            Requirement(Role.LEGAL, when=lambda p: p.agentic),
        ),
    ),
    SubjectKind.QUARTERLY_REVIEW: Subject(
        model=QuarterlyReview,
        canonical=review_canonical,
        signable=lambda r: r.status == ReviewStatus.DECIDED,
        requirements=(
            Requirement(Role.FINANCE),
            # Expanding an agentic use widens what tools may run: security signs that too.
            Requirement(Role.SECURITY, when=lambda r: expands_agentic_use(r)),
        ),
    ),
    # Finance signs that a saving was audited before it may enter the audited ROI case.
    SubjectKind.AUDITED_BENEFIT: Subject(
        model=AuditedBenefit,
        canonical=benefit_canonical,
        signable=lambda b: b.status == BenefitStatus.RECORDED,
        requirements=(Requirement(Role.FINANCE),),
    ),
}


def expands_agentic_use(review: QuarterlyReview) -> bool:
    """An expand decision on an agentic pilot, or on a program of an agentic offering."""
    if review.decision != ReviewDecision.EXPAND:
        return False
    if review.pilot_id:
        return review.pilot.agentic
    # A pilot may be agentic on an offering that is not: any such pilot makes the program so.
    return (
        review.offering.agentic
        or review.offering.pilots.filter(agentic=True)
        .exclude(status__in=(PilotStatus.DRAFT, PilotStatus.WITHDRAWN))
        .exists()
    )


def signer_roles(kind: str) -> list[str]:
    """Every role that may sign this kind of subject (whether a given subject needs it or not)."""
    return [r.role for r in SUBJECTS[kind].requirements]


def required_roles(kind: str, subject: Model) -> list[str]:
    """Roles whose approval this subject needs."""
    return [r.role for r in SUBJECTS[kind].requirements if r.applies(subject)]


# --- whether a subject's sign-offs are complete ----------------------------------------------


def subject_digest(*, kind: str, subject: Model) -> str:
    """SHA-256 of the subject's canonical content, as a signer would sign it now."""
    return digest(SUBJECTS[kind].canonical(subject))


def signoffs_latest(*, kind: str, subject_ids: list[int]) -> dict[tuple[int, str], SignOff]:
    """The latest sign-off per (subject id, role) for many subjects, in one query."""
    latest: dict[tuple[int, str], SignOff] = {}
    for signoff in SignOff.objects.filter(
        subject_kind=kind, subject_id__in=subject_ids
    ).select_related("user"):  # newest first (Meta.ordering): the first seen is the latest
        latest.setdefault((signoff.subject_id, signoff.role), signoff)
    return latest


def signoff_states(
    *,
    kind: str,
    subject: Model,
    current_digest: str,
    latest: dict[tuple[int, str], SignOff] | None = None,
) -> dict[str, Any]:
    """Per required role, its latest sign-off if it approves the current content, else why not.

    Values are the SignOff, or "missing", or the stale / rejecting SignOff wrapped in a tuple
    (state, signoff) with state "rejected" or "stale". `latest` (from signoffs_latest) saves
    the queries when a page judges many subjects.
    """
    if latest is None:
        latest = signoffs_latest(kind=kind, subject_ids=[subject.pk])
    states: dict[str, Any] = {}
    for role in required_roles(kind, subject):
        latest_signoff = latest.get((subject.pk, role))
        if latest_signoff is None:
            states[role] = "missing"
        elif latest_signoff.decision == Decision.REJECT:
            states[role] = ("rejected", latest_signoff)
        elif latest_signoff.digest != current_digest:
            states[role] = ("stale", latest_signoff)
        else:
            states[role] = latest_signoff
    return states


def signoff_problems(*, kind: str, subject: Model, current_digest: str) -> list[str]:
    """What is missing among the required sign-offs, in plain words (empty when complete)."""
    problems = []
    for role, state in signoff_states(
        kind=kind, subject=subject, current_digest=current_digest
    ).items():
        if state == "missing":
            problems.append(f"needs an approve sign-off from {role}")
        elif isinstance(state, tuple) and state[0] == "rejected":
            problems.append(f"{role} rejected it ({state[1].user}: {state[1].comment})")
        elif isinstance(state, tuple):
            problems.append(f"{role}'s sign-off covers an earlier version; {role} must sign again")
    return problems


def needs_digest(
    *, kind: str, subject: Model, latest: dict[tuple[int, str], SignOff], among=None
) -> bool:
    """Whether judging these roles needs the subject's digest: only an approving latest
    sign-off counts, and only while it covers the current content (missing or rejecting ones
    are pending whatever the content)."""
    return any(
        (signoff := latest.get((subject.pk, role))) is not None
        and signoff.decision == Decision.APPROVE
        for role in required_roles(kind, subject)
        if among is None or role in among
    )


def pending_roles(
    *,
    kind: str,
    subject: Model,
    latest: dict[tuple[int, str], SignOff] | None = None,
    among=None,
) -> list[str]:
    """Required roles (those in `among`, if given) whose approval of the current content is
    still outstanding. The content is read and hashed only when an approval could count."""
    if latest is None:
        latest = signoffs_latest(kind=kind, subject_ids=[subject.pk])
    roles = [r for r in required_roles(kind, subject) if among is None or r in among]
    if not needs_digest(kind=kind, subject=subject, latest=latest, among=among):
        return roles
    current = subject_digest(kind=kind, subject=subject)
    states = signoff_states(kind=kind, subject=subject, current_digest=current, latest=latest)
    return [role for role in roles if not isinstance(states[role], SignOff)]


# --- the approvals that need sign-offs ---------------------------------------------------------


def assessment_approval_problems(*, assessment: Assessment, current_digest: str) -> list[str]:
    """When an assessment may be approved: no mandatory item blocks it (each satisfied with its
    evidence, not applicable with a reason, or excepted, none expired or needing review: see
    vendors/selectors/assessments.py), and every required role approved its current content.
    """
    problems = [str(gap) for gap in assessment_gaps(assessment)]
    problems += signoff_problems(
        kind=SubjectKind.ASSESSMENT, subject=assessment, current_digest=current_digest
    )
    return problems


def shortlist_publish_problems(*, version: ShortlistVersion, current_digest: str) -> list[str]:
    """When a shortlist draft may be published: its policy holds (vendors/selectors/shortlist.py)
    and every required role approved its current content."""
    problems = shortlist_violations(version)
    problems += [
        f"{p[0].upper()}{p[1:]}."
        for p in signoff_problems(
            kind=SubjectKind.SHORTLIST, subject=version, current_digest=current_digest
        )
    ]
    return problems


# --- what a change of signed content would revoke ---------------------------------------------


@dataclass(frozen=True)
class Stake:
    """What saving a change to a signed subject revokes: its approval, and whose signatures."""

    subject: str
    approval: str  # "" when the subject is not approved
    signoffs: tuple[SignOff, ...]

    @property
    def signers(self) -> list[Any]:
        return [s.user for s in self.signoffs]

    @property
    def message(self) -> str:
        who = ", ".join(f"{s.role} ({s.user})" for s in self.signoffs)
        parts = [f"Saving this changes the content signed for {self.subject}."]
        if self.approval:
            parts.append(f"It revokes the approval ({self.approval}).")
        if who:
            parts.append(
                f"These sign-offs will cover an earlier version; they must sign again: {who}."
            )
        return " ".join(parts)


def signoffs_at_stake(*, kind: str, subject: Model, approval: str = "") -> Stake | None:
    """The approving sign-offs that cover the subject's content as it is now (and its approval,
    described by the caller): what a change of that content revokes. None when nothing is."""
    latest = signoffs_latest(kind=kind, subject_ids=[subject.pk])
    current = subject_digest(kind=kind, subject=subject)
    states = signoff_states(kind=kind, subject=subject, current_digest=current, latest=latest)
    signoffs = tuple(s for s in states.values() if isinstance(s, SignOff))
    if not signoffs and not approval:
        return None
    return Stake(subject=str(subject), approval=approval, signoffs=signoffs)
