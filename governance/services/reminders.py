"""Checkpoint reminders: the owner and finance hear 7 days before a checkpoint and once it
has been evaluated; each reminder is recorded, so it is sent once whoever runs the sweep."""

from datetime import date, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from governance.choices import NotificationKind, PilotStatus, Role, Verdict
from governance.models import CheckpointEvaluation, CheckpointReminder, Pilot
from governance.services.notifications import Notice, notify_all

DUE_NOTICE_DAYS = 7
# Evaluations older than this are not announced: a first sweep after deployment must not
# flood everyone with the history of every pilot.
EVALUATED_NOTICE_DAYS = 7
Kind = CheckpointReminder.Kind


@transaction.atomic
def checkpoint_reminders_send(*, today: date | None = None) -> int:
    """Send every due and evaluated checkpoint reminder not yet sent; return how many."""
    today = today or timezone.localdate()
    sent = {
        (pilot_id, day, kind)
        for pilot_id, day, kind in CheckpointReminder.objects.filter(
            pilot__status__in=(PilotStatus.RUNNING, PilotStatus.UNDER_REVIEW)
        ).values_list("pilot_id", "checkpoint_day", "kind")
    }
    finance = list(User.objects.filter(groups__name=Role.FINANCE, is_active=True))
    reminders, notices = [], []
    running = Pilot.objects.filter(
        status=PilotStatus.RUNNING, started_on__isnull=False
    ).select_related("owner")
    for pilot in running:
        for day in pilot.checkpoint_days:
            due_on = pilot.started_on + timedelta(days=day)
            # Any day of the last week before the checkpoint: a missed sweep catches up.
            if today < due_on <= today + timedelta(days=DUE_NOTICE_DAYS) and (
                (pilot.pk, day, Kind.DUE) not in sent
            ):
                reminders.append(CheckpointReminder(pilot=pilot, checkpoint_day=day, kind=Kind.DUE))
                notices.append(_due_notice(pilot, day, due_on, finance))
    evaluated = (
        CheckpointEvaluation.objects.filter(
            evaluated_at__gte=timezone.now() - timedelta(days=EVALUATED_NOTICE_DAYS)
        )
        .exclude(
            Exists(
                CheckpointReminder.objects.filter(
                    pilot=OuterRef("pilot"),
                    checkpoint_day=OuterRef("checkpoint_day"),
                    kind=Kind.EVALUATED,
                )
            )
        )
        .select_related("pilot__owner")
        .prefetch_related("results")
    )
    for record in evaluated:
        reminders.append(
            CheckpointReminder(
                pilot=record.pilot, checkpoint_day=record.checkpoint_day, kind=Kind.EVALUATED
            )
        )
        notices.append(_evaluated_notice(record, finance))
    # The records go in first: a concurrent sweep's duplicate fails on the unique constraint
    # and rolls its notices back with it.
    CheckpointReminder.objects.bulk_create(reminders)
    notify_all(notices=notices)
    return len(reminders)


def _due_notice(pilot: Pilot, day: int, due_on: date, finance: list[User]) -> Notice:
    return Notice(
        users=[pilot.owner, *finance],
        kind=NotificationKind.CHECKPOINT_DUE,
        title=f"Checkpoint day {day} of {pilot} is due on {due_on:%d %b %Y}",
        body=f"On {due_on:%d %b %Y} Tollgate judges {pilot}'s kill criteria at day {day}. "
        "Measurement periods ending by then count: record them before that day.",
        link=reverse("pilot-page", args=[pilot.pk]),
    )


def _evaluated_notice(record: CheckpointEvaluation, finance: list[User]) -> Notice:
    results = list(record.results.all())
    counts = {v.label.lower(): sum(r.verdict == v for r in results) for v in Verdict}
    summary = ", ".join(f"{n} {label}" for label, n in counts.items() if n) or "no kill criteria"
    verdict = "a kill is recommended" if record.kill_recommended else "no kill is recommended"
    return Notice(
        users=[record.pilot.owner, *finance],
        kind=NotificationKind.CHECKPOINT_EVALUATED,
        title=f"Checkpoint day {record.checkpoint_day} of {record.pilot} was evaluated",
        body=f"Kill criteria at day {record.checkpoint_day}: {summary}; {verdict}.",
        link=reverse("pilot-page", args=[record.pilot_id]),
    )
