"""Sign-offs and the approvals that depend on them."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model

from governance.audit import audited
from governance.choices import Decision, SubjectKind
from governance.errors import DomainError
from governance.models import SignOff
from governance.signoffs import SUBJECTS, required_roles
from vendors import selectors as vendor_selectors
from vendors import services as vendor_services
from vendors.canonical import digest
from vendors.models import Assessment, ShortlistVersion
from vendors.servicekit import require
from vendors.shortlist import shortlist_violations


def subject_digest(*, kind: str, subject: Model) -> str:
    """SHA-256 of the subject's canonical content, as a signer would sign it now."""
    return digest(SUBJECTS[kind].canonical(subject))


@audited
@transaction.atomic
def signoff_record(
    *, kind: str, subject: Model, role: str, decision: str, actor: Any, comment: str = ""
) -> SignOff:
    """Sign the subject's current content in one of the signer's roles."""
    require(actor, "governance.add_signoff")
    spec = SUBJECTS[kind]
    # Lock the subject so its content cannot change between reading and signing it.
    subject = spec.model.objects.select_for_update().get(pk=subject.pk)
    roles = required_roles(kind, subject)
    if role not in roles:
        raise DomainError({"role": f"A {kind} is signed by {', '.join(roles)}, not {role}."})
    if not actor.groups.filter(name=role).exists():
        raise PermissionDenied(f"Only members of {role} sign as {role}.")
    if not spec.signable(subject):
        raise DomainError(f"{subject} is not open for sign-off.")
    signoff = SignOff(
        subject_kind=kind,
        subject_id=subject.pk,
        role=role,
        user=actor,
        decision=decision,
        comment=comment.strip(),
        digest=subject_digest(kind=kind, subject=subject),
    )
    signoff.full_clean()
    signoff.save()
    return signoff


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


def pending_roles(
    *, kind: str, subject: Model, latest: dict[tuple[int, str], SignOff] | None = None
) -> list[str]:
    """Required roles whose approval of the current content is still outstanding."""
    current = subject_digest(kind=kind, subject=subject)
    states = signoff_states(kind=kind, subject=subject, current_digest=current, latest=latest)
    return [role for role, state in states.items() if not isinstance(state, SignOff)]


@audited
@transaction.atomic
def assessment_approve(*, assessment: Assessment, actor: Any) -> Assessment:
    """Approve an assessment: no blocking gap, and current sign-offs from every required role."""
    require(actor, "vendors.approve_assessment", assessment)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    problems = [str(gap) for gap in vendor_selectors.assessment_gaps(assessment)]
    current = subject_digest(kind=SubjectKind.ASSESSMENT, subject=assessment)
    problems += signoff_problems(
        kind=SubjectKind.ASSESSMENT, subject=assessment, current_digest=current
    )
    if problems:
        raise DomainError(
            {"approval": [f"Approval blocked: {p}." for p in problems]}, code="approval_blocked"
        )
    return vendor_services.assessment_mark_approved(
        assessment=assessment, digest=current, actor=actor
    )


@audited
@transaction.atomic
def shortlist_publish(*, version: ShortlistVersion, actor: Any) -> ShortlistVersion:
    """Publish a draft: the whole policy holds and security and legal signed this content."""
    require(actor, "vendors.publish_shortlistversion", version)
    version = ShortlistVersion.objects.select_for_update().get(pk=version.pk)
    problems = shortlist_violations(version)
    current = subject_digest(kind=SubjectKind.SHORTLIST, subject=version)
    problems += [
        f"{p[0].upper()}{p[1:]}."
        for p in signoff_problems(
            kind=SubjectKind.SHORTLIST, subject=version, current_digest=current
        )
    ]
    if problems:
        raise DomainError({"publish": problems}, code="publish_blocked")
    return vendor_services.shortlist_mark_published(version=version, digest=current, actor=actor)
