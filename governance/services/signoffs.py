"""Sign-off writes, and the two approvals that depend on sign-offs.

Who must sign what, and whether a subject's sign-offs are complete, is read from
governance/selectors/signoffs.py.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model

from governance.choices import NotificationKind, SubjectKind
from governance.models import SignOff
from governance.selectors.signoffs import (
    SUBJECTS,
    Stake,
    assessment_approval_problems,
    required_roles,
    shortlist_publish_problems,
    subject_digest,
)
from vendors.choices import ShortlistStatus
from vendors.kit.audit import audited
from vendors.kit.errors import ConflictError, DomainError
from vendors.kit.services import require
from vendors.models import Assessment, ShortlistVersion
from vendors.services.assessments import assessment_mark_approved
from vendors.services.shortlist import shortlist_mark_published


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


@audited
@transaction.atomic
def assessment_approve(*, assessment: Assessment, actor: Any) -> Assessment:
    """Approve an assessment: no blocking gap, and current sign-offs from every required role."""
    require(actor, "vendors.approve_assessment", assessment)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    current = subject_digest(kind=SubjectKind.ASSESSMENT, subject=assessment)
    problems = assessment_approval_problems(assessment=assessment, current_digest=current)
    if problems:
        raise DomainError(
            {"approval": [f"Approval blocked: {p}." for p in problems]}, code="approval_blocked"
        )
    return assessment_mark_approved(assessment=assessment, digest=current, actor=actor)


@audited
@transaction.atomic
def shortlist_publish(*, version: ShortlistVersion, actor: Any) -> ShortlistVersion:
    """Publish a draft: the whole policy holds and security and legal signed this content."""
    require(actor, "vendors.publish_shortlistversion", version)
    version = ShortlistVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != ShortlistStatus.DRAFT:
        # The same draft published by someone else while this request waited for the lock.
        raise ConflictError(
            f"Shortlist v{version.number} is already {version.get_status_display().lower()}; "
            "reload to see the current version."
        )
    current = subject_digest(kind=SubjectKind.SHORTLIST, subject=version)
    problems = shortlist_publish_problems(version=version, current_digest=current)
    if problems:
        raise DomainError({"publish": problems}, code="publish_blocked")
    return shortlist_mark_published(version=version, digest=current, actor=actor)


def signers_tell_revoked(*, stake: Stake, actor: Any, change: str, link: str) -> int:
    """Tell each signer whose sign-off a change made stale (and so revoked) to sign again."""
    from governance.services.notifications import notify

    what = "its approval was revoked and your" if stake.approval else "your"
    return notify(
        users=[u for u in stake.signers if u.pk != actor.pk],
        kind=NotificationKind.SIGNOFF_REVOKED,
        title=f"Sign again: {stake.subject} changed",
        body=f"{actor} changed {stake.subject} ({change}): {what} sign-off covers an earlier "
        "version. Review the change and sign again.",
        link=link,
    )
