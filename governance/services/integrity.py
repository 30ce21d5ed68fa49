"""The integrity sweep: every signed subject's digest and the whole packet chain re-checked
against the latest anchor, recorded, and security told of any mismatch."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from governance.choices import (
    Decision,
    NotificationKind,
    PilotStatus,
    ReviewStatus,
    Role,
    SubjectKind,
)
from governance.models import IntegrityCheck, Packet, Pilot, QuarterlyReview, SignOff
from governance.selectors.signoffs import SUBJECTS, required_roles, subject_digest
from governance.services.anchors import anchor_export, anchor_latest, anchor_problems
from governance.services.notifications import notify
from governance.services.packets import packets_check_all
from vendors.choices import AssessmentStatus, ShortlistStatus
from vendors.models import Assessment, ShortlistVersion

# The statuses a subject reaches only through complete, current sign-offs: from then on its
# content is what was signed, so a digest that no longer matches is a change behind our back.
SEALED_SUBJECTS = {
    SubjectKind.ASSESSMENT: (Assessment, [AssessmentStatus.APPROVED]),
    SubjectKind.SHORTLIST: (
        ShortlistVersion,
        [ShortlistStatus.PUBLISHED, ShortlistStatus.SUPERSEDED],
    ),
    SubjectKind.PILOT: (
        Pilot,
        [PilotStatus.APPROVED, PilotStatus.RUNNING, PilotStatus.UNDER_REVIEW, PilotStatus.CLOSED],
    ),
    SubjectKind.QUARTERLY_REVIEW: (
        QuarterlyReview,
        [ReviewStatus.SIGNED, ReviewStatus.SUPERSEDED],
    ),
}


def signed_subject_problems(*, kind: str, subject) -> list[str]:
    """How a signed subject's sign-offs disagree with its content today (empty: they agree)."""
    current = subject_digest(kind=kind, subject=subject)
    latest: dict[str, SignOff] = {}
    for signoff in SignOff.objects.filter(subject_kind=kind, subject_id=subject.pk).order_by(
        "signed_at", "id"
    ):
        latest[signoff.role] = signoff
    label = f"{SUBJECTS[kind].model._meta.verbose_name} #{subject.pk} ({subject})"
    problems = []
    for role in required_roles(kind, subject):
        signoff = latest.get(role)
        if signoff is None:
            continue  # approved before sign-offs were recorded: nothing to compare with
        if signoff.decision != Decision.APPROVE:
            problems.append(
                f"{label} is {subject.get_status_display().lower()}, yet {role}'s latest "
                f"sign-off #{signoff.pk} is a {signoff.get_decision_display().lower()}"
            )
        elif signoff.digest != current:
            problems.append(
                f"{label} changed after it was signed: its content no longer matches "
                f"{role}'s sign-off #{signoff.pk}"
            )
    return problems


def _subject_problems() -> tuple[int, list[str]]:
    checked, problems = 0, []
    for kind, (model, statuses) in SEALED_SUBJECTS.items():
        for subject in model.objects.filter(status__in=statuses).order_by("pk").iterator():
            checked += 1
            problems += signed_subject_problems(kind=kind, subject=subject)
    return checked, problems


def _chain_problems() -> tuple[int, Packet | None, list[str]]:
    links, tail, problems = 0, None, []
    for link, _, found in packets_check_all():
        links, tail = links + 1, link
        problems += found
    return links, tail, problems


def integrity_sweep() -> IntegrityCheck:
    """Recompute every signed subject's digest, walk the whole chain, compare it with the
    latest anchor; record the result and notify security of any problem."""
    check = IntegrityCheck.objects.create()
    subjects, subject_problems = _subject_problems()
    links, tail, chain_problems = _chain_problems()
    outside = anchor_problems(tail=tail)
    problems = chain_problems + outside + subject_problems
    anchor = anchor_latest()
    if tail is not None and not problems and (anchor is None or anchor.sequence < tail.sequence):
        # An export was lost (storage down at the time): anchor the verified head now.
        anchor_export(packet=tail)
        anchor = anchor_latest()
    check.finished_at = timezone.now()
    check.links_checked = links
    check.subjects_checked = subjects
    check.anchor_sequence = anchor.sequence if anchor else None
    check.problems = problems
    check.save()
    if problems:
        _alert(check)
    return check


def _alert(check: IntegrityCheck) -> None:
    shown = "\n".join(f"- {problem}" for problem in check.problems[:50])
    more = len(check.problems) - 50
    if more > 0:
        shown += f"\n... and {more} more"
    with transaction.atomic():
        notify(
            users=User.objects.filter(groups__name=Role.SECURITY, is_active=True),
            kind=NotificationKind.INTEGRITY,
            title=f"Integrity check #{check.pk}: {len(check.problems)} problem(s) found",
            body=(
                "The scheduled integrity check found records that changed after they were "
                f"signed, or a broken packet chain:\n{shown}\n\nSee docs/tamper.md."
            ),
        )
