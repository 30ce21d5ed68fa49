"""Sign-off writes, and the two approvals that depend on sign-offs.

Who must sign what, and whether a subject's sign-offs are complete, is read from
governance/selectors/signoffs.py.
"""

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.urls import reverse

from governance.choices import Decision, NotificationKind, SubjectKind
from governance.models import SignOff
from governance.selectors.signoffs import (
    SUBJECTS,
    Stake,
    assessment_approval_problems,
    pending_roles,
    required_roles,
    shortlist_publish_problems,
    subject_digest,
)
from governance.services.notifications import notifications_done, notify
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
    link = subject_link(kind=kind, subject_id=subject.pk)
    notifications_done(user=actor, link=link)
    if decision == Decision.APPROVE and not pending_roles(kind=kind, subject=subject):
        _tell_ready(kind, subject, link)
    return signoff


# Where each kind of subject is signed and approved: the link of its notices.
SUBJECT_PAGES = {
    SubjectKind.PILOT: "pilot-page",
    SubjectKind.ASSESSMENT: "admin:vendors_assessment_change",
    SubjectKind.SHORTLIST: "admin:vendors_shortlistversion_change",
    SubjectKind.QUARTERLY_REVIEW: "review-page",
    # Benefits are recorded and signed through the API; finance's page is where they are read.
    SubjectKind.AUDITED_BENEFIT: "finance",
}
# Pages that list their subjects rather than show one.
LIST_PAGES = {"finance"}


def subject_link(*, kind: str, subject_id: int) -> str:
    """The page where a subject is signed, approved or published."""
    page = SUBJECT_PAGES[kind]
    return reverse(page) if page in LIST_PAGES else reverse(page, args=[subject_id])


def signoffs_request(*, kind: str, subject: Model, actor: Any = None) -> int:
    """Ask every member of each role that must sign the subject (in-app and e-mail)."""
    roles = required_roles(kind, subject)
    signers = User.objects.filter(groups__name__in=roles, is_active=True).distinct()
    return notify(
        users=[u for u in signers if actor is None or u.pk != actor.pk],
        kind=NotificationKind.SIGNOFF_REQUESTED,
        title=f"Sign-off requested: {subject}"[:200],
        body=f"{subject} waits for the sign-off of {', '.join(roles)}. Review its content and "
        "sign in your role.",
        link=subject_link(kind=kind, subject_id=subject.pk),
    )


def _tell_ready(kind: str, subject: Model, link: str) -> None:
    """Every required sign-off is in: those who may take the gate hear it is theirs."""
    roles = required_roles(kind, subject)
    users = list(User.objects.filter(groups__name__in=roles, is_active=True).distinct())
    if kind == SubjectKind.PILOT:
        users.append(subject.owner)
    gate = {SubjectKind.SHORTLIST: "published", SubjectKind.PILOT: "approved"}.get(kind, "approved")
    notify(
        users=users,
        kind=NotificationKind.APPROVAL_READY,
        title=f"Every sign-off is in: {subject}"[:200],
        body=f"{', '.join(roles)} signed {subject}; it may now be {gate} on its page.",
        link=link,
    )


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
    notifications_done(
        user=actor, link=subject_link(kind=SubjectKind.ASSESSMENT, subject_id=assessment.pk)
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
    notifications_done(
        user=actor, link=subject_link(kind=SubjectKind.SHORTLIST, subject_id=version.pk)
    )
    return shortlist_mark_published(version=version, digest=current, actor=actor)


def signers_tell_revoked(*, stake: Stake, actor: Any, change: str, link: str) -> int:
    """Tell each signer whose sign-off a change made stale (and so revoked) to sign again."""
    what = "its approval was revoked and your" if stake.approval else "your"
    return notify(
        users=[u for u in stake.signers if u.pk != actor.pk],
        kind=NotificationKind.SIGNOFF_REVOKED,
        title=f"Sign again: {stake.subject} changed",
        body=f"{actor} changed {stake.subject} ({change}): {what} sign-off covers an earlier "
        "version. Review the change and sign again.",
        link=link,
    )
