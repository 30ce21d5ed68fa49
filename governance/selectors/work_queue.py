"""What waits for a user: the rows of their home page and the count in the header badge.

Each kind of work is one set-based read (a fixed number of queries whatever the number of
pilots, assessments or packets), so the home page and every page's badge cost the same on a
large installation as on a demo. A row names what waits, who owns it, when it is due and the
page where it is done, one click away.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.db.models import Q, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone

from governance.choices import Decision, PacketStatus, PilotStatus, ReviewStatus, Role, SubjectKind
from governance.models import CheckpointEvaluation, ImportRun, Packet, Pilot, QuarterlyReview
from governance.models.evidence import ImportStatus
from governance.selectors.finance import quarter_bounds, quarter_of, reviews_due
from governance.selectors.signoffs import (
    charter_prefetches,
    needs_digest,
    pending_roles,
    review_canonical,
    signoffs_latest,
)
from governance.selectors.users import user_roles
from vendors.choices import AssessmentStatus, ExceptionStatus, ResponseStatus, ShortlistStatus
from vendors.kit.canonical import digest
from vendors.models import Assessment, Response, RiskException, ShortlistVersion
from vendors.selectors.assessments import assessment_canonical_prefetch
from vendors.selectors.shortlist import shortlist_canonical_prefetch

# How far ahead an expiry or a checkpoint counts as waiting (reminders use the same horizons).
EXPIRY_DAYS = 30
CHECKPOINT_DAYS = 7
# Rows of one kind shown at most: the count still counts them all.
ROWS_PER_KIND = 50


@dataclass(frozen=True)
class WorkItem:
    """One thing waiting for the user, with where it is done."""

    kind: str  # a category in words, e.g. "Sign-off"
    title: str
    detail: str
    owner: str
    due: date | None
    since: datetime
    url: str
    action: str  # the words of the link, e.g. "Sign"


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def work_queue(*, user: User, today: date | None = None) -> list[WorkItem]:
    """Everything waiting for the user in any of their roles, newest first."""
    today = today or timezone.localdate()
    roles = set(user_roles(user=user))
    items: list[WorkItem] = []
    signer_roles = roles & {Role.SECURITY, Role.LEGAL, Role.FINANCE}
    if signer_roles:
        items += _pilot_gates(user, signer_roles)
    if roles & {Role.SECURITY, Role.LEGAL}:
        reviewer_roles = roles & {Role.SECURITY, Role.LEGAL}
        items += _assessment_gates(user, reviewer_roles)
        items += _shortlist_gates(user, reviewer_roles)
        items += _expiring_verdicts(reviewer_roles, today)
    if Role.SECURITY in roles:
        items += _ending_exceptions(today)
    if Role.FINANCE in roles:
        items += _reviews_to_sign()
        items += _reviews_due(today)
    if roles & {Role.AI_PM, Role.FINANCE}:
        mine_only = Role.FINANCE not in roles  # an AI PM hears of their own pilots
        items += _checkpoints_due(user, mine_only, today)
        items += _kill_recommendations(user, mine_only)
    if roles:
        items += _failures(user)
    return sorted(items, key=lambda i: i.since, reverse=True)


def work_count(*, user: User) -> int:
    """How many things wait for the user: the header badge (the same rows as the home page)."""
    return len(work_queue(user=user))


# --- gates: sign-offs and approvals ---------------------------------------------------------


def _pilot_gates(user: User, mine: set[str]) -> list[WorkItem]:
    pilots = list(
        Pilot.objects.filter(status=PilotStatus.SUBMITTED)
        .select_related("owner", "offering__vendor")
        .order_by("-updated_at")
    )
    latest = signoffs_latest(kind=SubjectKind.PILOT, subject_ids=[p.pk for p in pilots])
    prefetch_related_objects(
        [p for p in pilots if needs_digest(kind=SubjectKind.PILOT, subject=p, latest=latest)],
        "teams",
        *charter_prefetches(),
    )
    may_approve = user.has_perm("governance.approve_pilot")
    items = []
    for pilot in pilots:
        url = reverse("pilot-page", args=[pilot.pk]) + "#next-step"
        waiting = pending_roles(kind=SubjectKind.PILOT, subject=pilot, latest=latest)
        owner = pilot.owner.get_full_name() or pilot.owner.get_username()
        if mine & set(waiting):
            roles = ", ".join(r for r in waiting if r in mine)
            items.append(
                WorkItem(
                    "Sign-off",
                    f"Pilot charter: {pilot}",
                    f"Waiting for your sign-off as {roles}.",
                    owner,
                    pilot.planned_start,
                    pilot.updated_at,
                    url,
                    "Sign",
                )
            )
        elif not waiting and may_approve:
            items.append(
                WorkItem(
                    "Approval",
                    f"Pilot charter: {pilot}",
                    "Every required sign-off is in: the pilot may be approved.",
                    owner,
                    pilot.planned_start,
                    pilot.updated_at,
                    url,
                    "Approve",
                )
            )
    return items


def _assessment_gates(user: User, mine: set[str]) -> list[WorkItem]:
    assessments = list(
        Assessment.objects.filter(status=AssessmentStatus.IN_REVIEW)
        .select_related("vendor", "offering", "opened_by")
        .order_by("-opened_at")
    )
    latest = signoffs_latest(kind=SubjectKind.ASSESSMENT, subject_ids=[a.pk for a in assessments])
    prefetch_related_objects(
        [
            a
            for a in assessments
            if needs_digest(kind=SubjectKind.ASSESSMENT, subject=a, latest=latest)
        ],
        assessment_canonical_prefetch(),
    )
    may_approve = user.has_perm("vendors.approve_assessment")
    items = []
    for assessment in assessments:
        url = reverse("admin:vendors_assessment_change", args=[assessment.pk])
        waiting = pending_roles(kind=SubjectKind.ASSESSMENT, subject=assessment, latest=latest)
        owner = assessment.opened_by.get_username() if assessment.opened_by_id else "—"
        if mine & set(waiting):
            roles = ", ".join(r for r in waiting if r in mine)
            items.append(
                WorkItem(
                    "Sign-off",
                    f"Assessment: {assessment}",
                    f"Waiting for your sign-off as {roles}.",
                    owner,
                    None,
                    assessment.opened_at,
                    url,
                    "Review and sign",
                )
            )
        elif not waiting and may_approve:
            items.append(
                WorkItem(
                    "Approval",
                    f"Assessment: {assessment}",
                    "Security and legal signed: approve it once no checklist item blocks it.",
                    owner,
                    None,
                    assessment.opened_at,
                    url,
                    "Approve",
                )
            )
    return items


def _shortlist_gates(user: User, mine: set[str]) -> list[WorkItem]:
    drafts = list(
        ShortlistVersion.objects.filter(status=ShortlistStatus.DRAFT).order_by("-created_at")
    )
    latest = signoffs_latest(kind=SubjectKind.SHORTLIST, subject_ids=[v.pk for v in drafts])
    prefetch_related_objects(
        [v for v in drafts if needs_digest(kind=SubjectKind.SHORTLIST, subject=v, latest=latest)],
        shortlist_canonical_prefetch(),
    )
    may_publish = user.has_perm("vendors.publish_shortlistversion")
    items = []
    for version in drafts:
        url = reverse("admin:vendors_shortlistversion_change", args=[version.pk])
        waiting = pending_roles(kind=SubjectKind.SHORTLIST, subject=version, latest=latest)
        if mine & set(waiting):
            roles = ", ".join(r for r in waiting if r in mine)
            items.append(
                WorkItem(
                    "Sign-off",
                    f"Shortlist draft v{version.number}",
                    f"Waiting for your sign-off as {roles}.",
                    "security and legal",
                    None,
                    version.created_at,
                    url,
                    "Review and sign",
                )
            )
        elif not waiting and may_publish:
            items.append(
                WorkItem(
                    "Publication",
                    f"Shortlist draft v{version.number}",
                    "Security and legal signed: publish it once its policy holds.",
                    "security and legal",
                    None,
                    version.created_at,
                    url,
                    "Publish",
                )
            )
    return items


def _reviews_to_sign() -> list[WorkItem]:
    reviews = list(
        QuarterlyReview.objects.filter(status=ReviewStatus.DECIDED)
        .select_related("decided_by", "pilot", "offering__vendor")
        .order_by("-decided_at")
    )
    latest = signoffs_latest(kind=SubjectKind.QUARTERLY_REVIEW, subject_ids=[r.pk for r in reviews])
    items = []
    for review in reviews:
        signoff = latest.get((review.pk, Role.FINANCE))
        # Finance's approval counts only while it covers the review as decided now.
        if (
            signoff is not None
            and signoff.decision == Decision.APPROVE
            and signoff.digest == digest(review_canonical(review))
        ):
            continue
        items.append(
            WorkItem(
                "Sign-off",
                f"Quarterly review {review.quarter}: {review.pilot or review.offering}",
                f"Decided “{review.get_decision_display()}”; waiting for finance's sign-off.",
                review.decided_by.get_username(),
                None,
                review.decided_at,
                reverse("review-page", args=[review.pk]),
                "Sign",
            )
        )
    return items


def _reviews_due(today: date) -> list[WorkItem]:
    quarter = quarter_of(today)
    due = reviews_due(quarter=quarter)
    start, end = quarter_bounds(quarter)
    decide = reverse("review-decide")
    return [
        WorkItem(
            "Quarterly review due",
            f"{quarter}: {entry['label']}",
            "Decide expand, hold, contract or kill for the quarter.",
            entry["pilot"].owner.get_username() if entry["pilot"] else "finance",
            end,
            _at(start),
            f"{decide}?scope={entry['scope']}&id={(entry['pilot'] or entry['offering']).pk}"
            f"&quarter={quarter}",
            "Decide",
        )
        for entry in due.first(ROWS_PER_KIND)
    ]


# --- expiries ---------------------------------------------------------------------------------


def _expiring_verdicts(mine: set[str], today: date) -> list[WorkItem]:
    responses = (
        Response.objects.filter(
            item__owner_role__in=mine,
            assessment__status__in=(AssessmentStatus.IN_REVIEW, AssessmentStatus.APPROVED),
            status__in=(ResponseStatus.SATISFIED, ResponseStatus.NOT_APPLICABLE),
            expires_on__lte=today + timedelta(days=EXPIRY_DAYS),
        )
        .select_related("item", "assessment__vendor", "assessment__offering", "verdict_by")
        .order_by("expires_on", "pk")[:ROWS_PER_KIND]
    )
    return [
        WorkItem(
            "Evidence expiring",
            f"{r.item.title} — {r.assessment}",
            f"The verdict expires on {r.expires_on:%d %b %Y}: review it again.",
            r.verdict_by.get_username() if r.verdict_by_id else r.item.get_owner_role_display(),
            r.expires_on,
            _at(r.expires_on - timedelta(days=EXPIRY_DAYS)),
            reverse("admin:vendors_response_change", args=[r.pk]),
            "Review",
        )
        for r in responses
    ]


def _ending_exceptions(today: date) -> list[WorkItem]:
    exceptions = (
        RiskException.objects.filter(
            status=ExceptionStatus.ACTIVE, expires_on__lte=today + timedelta(days=EXPIRY_DAYS)
        )
        .select_related("response__item", "response__assessment__vendor", "approver")
        .order_by("expires_on", "pk")[:ROWS_PER_KIND]
    )
    return [
        WorkItem(
            "Exception ending",
            f"{x.response.item.title} — {x.response.assessment.vendor}",
            f"The risk acceptance ends on {x.expires_on:%d %b %Y}: renew, resolve or let it end.",
            x.approver.get_username(),
            x.expires_on,
            _at(x.expires_on - timedelta(days=EXPIRY_DAYS)),
            reverse("admin:vendors_response_change", args=[x.response_id]),
            "Review",
        )
        for x in exceptions
    ]


# --- pilots in their window ----------------------------------------------------------------


def _checkpoints_due(user: User, mine_only: bool, today: date) -> list[WorkItem]:
    running = Pilot.objects.filter(status=PilotStatus.RUNNING, started_on__isnull=False)
    if mine_only:
        running = running.filter(owner=user)
    pilots = list(running.select_related("owner").order_by("started_on", "pk"))
    done = set(
        CheckpointEvaluation.objects.filter(pilot__in=[p.pk for p in pilots]).values_list(
            "pilot_id", "checkpoint_day"
        )
    )
    items = []
    for pilot in pilots:
        if len(items) >= ROWS_PER_KIND:
            # Only the first rows are shown or counted: building the rest (hundreds of
            # overdue checkpoints on a large program) cost every page a third of a second.
            break
        for day in pilot.checkpoint_days:
            due_on = pilot.started_on + timedelta(days=day)
            if (pilot.pk, day) in done or due_on > today + timedelta(days=CHECKPOINT_DAYS):
                continue
            items.append(
                WorkItem(
                    "Checkpoint due",
                    f"{pilot}: day {day}",
                    "Record the measurements that count before the checkpoint is evaluated."
                    if due_on >= today
                    else "Past its day and not evaluated yet: evaluate it now.",
                    pilot.owner.get_username(),
                    due_on,
                    _at(due_on - timedelta(days=CHECKPOINT_DAYS)),
                    reverse("pilot-page", args=[pilot.pk]) + "#evaluations",
                    "Open the pilot",
                )
            )
    return items[:ROWS_PER_KIND]


def _kill_recommendations(user: User, mine_only: bool) -> list[WorkItem]:
    evaluations = CheckpointEvaluation.objects.filter(
        kill_recommended=True,
        pilot__status__in=(PilotStatus.RUNNING, PilotStatus.UNDER_REVIEW),
    )
    if mine_only:
        evaluations = evaluations.filter(pilot__owner=user)
    # Only the latest evaluation of a pilot matters: a later one may have cleared the breach.
    latest = {}
    for evaluation in evaluations.select_related("pilot__owner").order_by(
        "pilot_id", "-checkpoint_day"
    ):
        latest.setdefault(evaluation.pilot_id, evaluation)
    return [
        WorkItem(
            "Kill recommended",
            f"{e.pilot}: day {e.checkpoint_day}",
            "A pre-committed kill criterion is breached: the decision is yours to take.",
            e.pilot.owner.get_username(),
            None,
            e.evaluated_at,
            reverse("pilot-page", args=[e.pilot_id]) + "#evaluations",
            "Read the evaluation",
        )
        for e in list(latest.values())[:ROWS_PER_KIND]
    ]


# --- failures ---------------------------------------------------------------------------------


def _failures(user: User) -> list[WorkItem]:
    imports = (
        ImportRun.objects.filter(status=ImportStatus.FAILED, requested_by=user)
        .exclude(dry_run=True)
        .order_by("-created_at")[:ROWS_PER_KIND]
    )
    packets = Packet.objects.filter(Q(status=PacketStatus.FAILED) & Q(requested_by=user)).order_by(
        "-requested_at"
    )[:ROWS_PER_KIND]
    return [
        WorkItem(
            "Import failed",
            f"{run.get_kind_display()}: {run.file_name or 'API sync'}",
            "The import stopped: read its errors, fix the file and import it again.",
            user.get_username(),
            None,
            run.created_at,
            reverse("admin:governance_importrun_change", args=[run.pk]),
            "Read the errors",
        )
        for run in imports
    ] + [
        WorkItem(
            "Packet failed",
            f"{packet.get_kind_display()}: {packet.subject_label}",
            packet.error or "Rendering failed: retry it.",
            user.get_username(),
            None,
            packet.requested_at,
            reverse("packet-page", args=[packet.pk]),
            "Retry",
        )
        for packet in packets
    ]
