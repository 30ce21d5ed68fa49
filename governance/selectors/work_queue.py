"""What waits for a user: the rows of their home page and the count in the header badge.

Each kind of work is one set-based read (a fixed number of queries whatever the number of
pilots, assessments or packets), so the home page and every page's badge cost the same on a
large installation as on a demo. A row names what waits, who owns it, when it is due and the
page where it is done, one click away.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, prefetch_related_objects
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


@dataclass(frozen=True)
class Work:
    """One kind of work waiting for the user: how many (the header's count, read cheaply)
    and its rows (the home page), both read by the same query or from the same keys."""

    count: Callable[[], int]
    rows: Callable[[], list[WorkItem]]


def _listed(rows: Callable[[], list[WorkItem]]) -> Work:
    """Work whose rule needs each subject read whole (a sign-off's digest): counted by rows."""
    return Work(count=lambda: len(rows()), rows=rows)


def _work(user: User, today: date) -> list[Work]:
    """Every kind of work waiting for the user in any of their roles."""
    roles = set(user_roles(user=user))
    work: list[Work] = []
    signer_roles = roles & {Role.SECURITY, Role.LEGAL, Role.FINANCE}
    if signer_roles:
        work.append(_listed(lambda: _pilot_gates(user, signer_roles)))
    reviewer_roles = roles & {Role.SECURITY, Role.LEGAL}
    if reviewer_roles:
        work.append(_listed(lambda: _assessment_gates(user, reviewer_roles)))
        work.append(_listed(lambda: _shortlist_gates(user, reviewer_roles)))
        work.append(_expiring_verdicts(reviewer_roles, today))
    if Role.SECURITY in roles:
        work.append(_ending_exceptions(today))
    if Role.FINANCE in roles:
        work.append(_listed(_reviews_to_sign))
        work.append(_reviews_due(today))
    if roles & {Role.AI_PM, Role.FINANCE}:
        mine_only = Role.FINANCE not in roles  # an AI PM hears of their own pilots
        work.append(_checkpoints_due(user, mine_only, today))
        work.append(_kill_recommendations(user, mine_only))
    if roles:
        work.append(_failures(user))
    return work


def work_queue(*, user: User, today: date | None = None) -> list[WorkItem]:
    """Everything waiting for the user in any of their roles, newest first."""
    items = [item for work in _work(user, today or timezone.localdate()) for item in work.rows()]
    return sorted(items, key=lambda i: i.since, reverse=True)


def work_count(*, user: User, today: date | None = None) -> int:
    """How many things wait for the user: the header badge. It counts what the home page lists
    by the same reads, without building the rows (every page shows the badge)."""
    return sum(work.count() for work in _work(user, today or timezone.localdate()))


# --- gates: sign-offs and approvals ---------------------------------------------------------


def _gate_waits(
    kind: str, subjects: list, mine: set[str], may_approve: bool, whole: Callable[[list], list]
) -> list[tuple]:
    """(subject, roles among the user's still to sign) for each subject that waits for the
    user: to sign (roles listed), or to approve (no roles: every required sign-off is in).

    A subject's content is read (`whole` loads it) and hashed only when an approval could
    count: for the user's own roles first, and for the others only when the user could
    approve. Finance looking at charters security has signed need not hash them: finance's
    own sign-off is missing whatever the content says."""
    latest = signoffs_latest(kind=kind, subject_ids=[s.pk for s in subjects])
    # Read whole once: a charter hashed for the user's own roles is not read again to see
    # whether it may be approved.
    loaded: dict = {}

    def judged(among_subjects: list, among) -> dict:
        hashed = [
            s
            for s in among_subjects
            if s.pk not in loaded and needs_digest(kind=kind, subject=s, latest=latest, among=among)
        ]
        if hashed:
            loaded.update((s.pk, s) for s in whole(hashed))
        return {
            s.pk: pending_roles(kind=kind, subject=loaded.get(s.pk, s), latest=latest, among=among)
            for s in among_subjects
        }

    waiting = judged(subjects, mine)
    waits = [(s, waiting[s.pk]) for s in subjects if waiting[s.pk]]
    ready = [s for s in subjects if not waiting[s.pk]] if may_approve else []
    if ready:
        pending = judged(ready, None)
        waits += [(s, []) for s in ready if not pending[s.pk]]
    return waits


def _prefetched(*lookups) -> Callable[[list], list]:
    """Subjects already read whole, given the related rows their content names."""

    def load(subjects: list) -> list:
        prefetch_related_objects(subjects, *lookups)
        return subjects

    return load


def _whole_charters(pilots: list) -> list:
    return list(
        Pilot.objects.filter(pk__in=[p.pk for p in pilots])
        .select_related("owner", "offering__vendor")
        .prefetch_related("teams", *charter_prefetches())
    )


def _pilot_gates(user: User, mine: set[str]) -> list[WorkItem]:
    # Read slim: a charter is read whole only when its content must be hashed (_gate_waits).
    pilots = list(
        Pilot.objects.filter(status=PilotStatus.SUBMITTED)
        .select_related("owner")
        .only(
            "pk",
            "title",
            "agentic",
            "status",
            "planned_start",
            "updated_at",
            "owner__username",
            "owner__first_name",
            "owner__last_name",
        )
        .order_by("-updated_at")
    )
    waits = _gate_waits(
        SubjectKind.PILOT,
        pilots,
        mine,
        user.has_perm("governance.approve_pilot"),
        _whole_charters,
    )
    items = []
    for pilot, roles in waits:
        url = reverse("pilot-page", args=[pilot.pk]) + "#next-step"
        owner = pilot.owner.get_full_name() or pilot.owner.get_username()
        if roles:
            items.append(
                WorkItem(
                    "Sign-off",
                    f"Pilot charter: {pilot}",
                    f"Waiting for your sign-off as {', '.join(roles)}.",
                    owner,
                    pilot.planned_start,
                    pilot.updated_at,
                    url,
                    "Sign",
                )
            )
        else:
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
    waits = _gate_waits(
        SubjectKind.ASSESSMENT,
        assessments,
        mine,
        user.has_perm("vendors.approve_assessment"),
        _prefetched(assessment_canonical_prefetch()),
    )
    items = []
    for assessment, roles in waits:
        url = reverse("admin:vendors_assessment_change", args=[assessment.pk])
        owner = assessment.opened_by.get_username() if assessment.opened_by_id else "—"
        if roles:
            items.append(
                WorkItem(
                    "Sign-off",
                    f"Assessment: {assessment}",
                    f"Waiting for your sign-off as {', '.join(roles)}.",
                    owner,
                    None,
                    assessment.opened_at,
                    url,
                    "Review and sign",
                )
            )
        else:
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
    waits = _gate_waits(
        SubjectKind.SHORTLIST,
        drafts,
        mine,
        user.has_perm("vendors.publish_shortlistversion"),
        _prefetched(shortlist_canonical_prefetch()),
    )
    items = []
    for version, roles in waits:
        url = reverse("admin:vendors_shortlistversion_change", args=[version.pk])
        if roles:
            items.append(
                WorkItem(
                    "Sign-off",
                    f"Shortlist draft v{version.number}",
                    f"Waiting for your sign-off as {', '.join(roles)}.",
                    "security and legal",
                    None,
                    version.created_at,
                    url,
                    "Review and sign",
                )
            )
        else:
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


def _reviews_due(today: date) -> Work:
    quarter = quarter_of(today)
    due = reviews_due(quarter=quarter)
    start, end = quarter_bounds(quarter)

    def rows() -> list[WorkItem]:
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

    return Work(count=lambda: min(due.count(), ROWS_PER_KIND), rows=rows)


# --- expiries ---------------------------------------------------------------------------------


def _expiring_verdicts(mine: set[str], today: date) -> Work:
    responses = Response.objects.filter(
        item__owner_role__in=mine,
        assessment__status__in=(AssessmentStatus.IN_REVIEW, AssessmentStatus.APPROVED),
        status__in=(ResponseStatus.SATISFIED, ResponseStatus.NOT_APPLICABLE),
        expires_on__lte=today + timedelta(days=EXPIRY_DAYS),
    ).order_by("expires_on", "pk")[:ROWS_PER_KIND]

    def rows() -> list[WorkItem]:
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
            for r in responses.select_related(
                "item", "assessment__vendor", "assessment__offering", "verdict_by"
            )
        ]

    return Work(count=responses.count, rows=rows)


def _ending_exceptions(today: date) -> Work:
    exceptions = RiskException.objects.filter(
        status=ExceptionStatus.ACTIVE, expires_on__lte=today + timedelta(days=EXPIRY_DAYS)
    ).order_by("expires_on", "pk")[:ROWS_PER_KIND]

    def rows() -> list[WorkItem]:
        return [
            WorkItem(
                "Exception ending",
                f"{x.response.item.title} — {x.response.assessment.vendor}",
                f"The risk acceptance ends on {x.expires_on:%d %b %Y}: "
                "renew, resolve or let it end.",
                x.approver.get_username(),
                x.expires_on,
                _at(x.expires_on - timedelta(days=EXPIRY_DAYS)),
                reverse("admin:vendors_response_change", args=[x.response_id]),
                "Review",
            )
            for x in exceptions.select_related(
                "response__item", "response__assessment__vendor", "approver"
            )
        ]

    return Work(count=exceptions.count, rows=rows)


# --- pilots in their window ----------------------------------------------------------------


def _due_checkpoints(user: User, mine_only: bool, today: date) -> list[tuple[int, int, date]]:
    """(pilot id, day, due on) of the first checkpoints due within the horizon and not
    evaluated, oldest pilot first."""
    running = Pilot.objects.filter(status=PilotStatus.RUNNING, started_on__isnull=False)
    if mine_only:
        running = running.filter(owner=user)
    done = set(
        CheckpointEvaluation.objects.filter(pilot__in=running.values("pk")).values_list(
            "pilot_id", "checkpoint_day"
        )
    )
    horizon = today + timedelta(days=CHECKPOINT_DAYS)
    # Three columns of every running pilot say which checkpoints are due: a large program
    # has hundreds running, and reading them whole cost every page's badge 10 ms.
    due = []
    for pk, started_on, days in running.order_by("started_on", "pk").values_list(
        "pk", "started_on", "checkpoint_days"
    ):
        for day in days:
            due_on = started_on + timedelta(days=day)
            if (pk, day) not in done and due_on <= horizon:
                due.append((pk, day, due_on))
        if len(due) >= ROWS_PER_KIND:
            break
    return due[:ROWS_PER_KIND]


def _checkpoints_due(user: User, mine_only: bool, today: date) -> Work:
    def rows() -> list[WorkItem]:
        due = _due_checkpoints(user, mine_only, today)
        pilots = (
            Pilot.objects.select_related("owner")
            .only("pk", "title", "owner__username")
            .in_bulk([pk for pk, _, _ in due])
        )
        return [
            WorkItem(
                "Checkpoint due",
                f"{pilots[pk]}: day {day}",
                "Record the measurements that count before the checkpoint is evaluated."
                if due_on >= today
                else "Past its day and not evaluated yet: evaluate it now.",
                pilots[pk].owner.get_username(),
                due_on,
                _at(due_on - timedelta(days=CHECKPOINT_DAYS)),
                reverse("pilot-page", args=[pk]) + "#evaluations",
                "Open the pilot",
            )
            for pk, day, due_on in due
        ]

    return Work(count=lambda: len(_due_checkpoints(user, mine_only, today)), rows=rows)


def _kill_recommendations(user: User, mine_only: bool) -> Work:
    # Only a pilot's latest evaluation counts: a later one that found no breach clears it.
    later = CheckpointEvaluation.objects.filter(
        pilot_id=OuterRef("pilot_id"), checkpoint_day__gt=OuterRef("checkpoint_day")
    )
    evaluations = (
        CheckpointEvaluation.objects.filter(
            kill_recommended=True,
            pilot__status__in=(PilotStatus.RUNNING, PilotStatus.UNDER_REVIEW),
        )
        .exclude(Exists(later))
        .order_by("pilot_id")
    )
    if mine_only:
        evaluations = evaluations.filter(pilot__owner=user)
    evaluations = evaluations[:ROWS_PER_KIND]

    def rows() -> list[WorkItem]:
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
            for e in evaluations.select_related("pilot__owner")
        ]

    return Work(count=evaluations.count, rows=rows)


# --- failures ---------------------------------------------------------------------------------


def _failures(user: User) -> Work:
    imports = (
        ImportRun.objects.filter(status=ImportStatus.FAILED, requested_by=user)
        .exclude(dry_run=True)
        .order_by("-created_at")[:ROWS_PER_KIND]
    )
    packets = Packet.objects.filter(status=PacketStatus.FAILED, requested_by=user).order_by(
        "-requested_at"
    )[:ROWS_PER_KIND]

    def rows() -> list[WorkItem]:
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

    return Work(count=lambda: imports.count() + packets.count(), rows=rows)
