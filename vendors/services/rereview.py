"""The daily re-review sweep: lapsed verdicts and exceptions, and their reminders."""

from datetime import date, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from vendors.choices import (
    AssessmentStatus,
    ExceptionStatus,
    ResponseStatus,
)
from vendors.models import (
    Assessment,
    ExpiryReminder,
    Response,
    RiskException,
)
from vendors.services.assessments import (
    _exception_transition,
    _response_transition,
    _revoke_if_signed_content_changed,
)
from vendors.services.notifications import notify_role

A = AssessmentStatus


R = ResponseStatus


E = ExceptionStatus


REMINDER_DAYS = (30, 7)


def _notify_owners(response: Response, due_on: date, days_before: int) -> None:
    """Remind the item's owner role of a verdict or exception about to lapse."""
    assessment = response.assessment
    notify_role(
        role=response.item.owner_role,
        kind="expiry",
        title=f"{response.item.title} for {assessment.vendor} lapses on {due_on}",
        body=f'The {response.get_status_display().lower()} verdict on "{response.item.title}" '
        f"in {assessment} lapses in {days_before} days, on {due_on.isoformat()}. Review it "
        "before then, or it will need review and the vendor's approval will lapse.",
        link=reverse("admin:vendors_response_change", args=[response.pk]),
    )


@transaction.atomic
def rereview_sweep(*, today: date | None = None) -> dict[str, int]:
    """Flip lapsed verdicts and exceptions to needs review and send 30/7-day reminders.

    Idempotent: run daily by Celery beat, and safe to run again the same day.
    """
    today = today or timezone.localdate()
    counts = {"exceptions_expired": 0, "responses_flagged": 0, "reminders_sent": 0}
    touched: dict[int, Assessment] = {}

    for exception in (
        RiskException.objects.select_for_update()
        .filter(status=E.ACTIVE, expires_on__lt=today)
        .select_related("response__assessment", "response__item")
    ):
        _exception_transition(exception, to=E.EXPIRED, actor=None, reason="expired")
        response = exception.response
        if response.status == R.EXCEPTED:
            _response_transition(
                response, to=R.NEEDS_REVIEW, actor=None, reason="exception expired"
            )
            counts["responses_flagged"] += 1
        counts["exceptions_expired"] += 1
        touched[response.assessment_id] = response.assessment

    live = [A.IN_REVIEW, A.APPROVED]
    lapsed = (
        Response.objects.select_for_update()
        .filter(
            status__in=[R.SATISFIED, R.NOT_SATISFIED, R.NOT_APPLICABLE],
            expires_on__lt=today,
            assessment__status__in=live,
        )
        .select_related("assessment", "item")
    )
    for response in lapsed:
        _response_transition(
            response,
            to=R.NEEDS_REVIEW,
            actor=None,
            reason=f"verdict lapsed on {response.expires_on}",
        )
        counts["responses_flagged"] += 1
        touched[response.assessment_id] = response.assessment

    for assessment in touched.values():
        _revoke_if_signed_content_changed(assessment, actor=None, reason="re-review due")

    counts["reminders_sent"] = _send_reminders(today=today, live_statuses=live)
    return counts


def _send_reminders(*, today: date, live_statuses: list[str]) -> int:
    sent = 0
    horizon = today + timedelta(days=max(REMINDER_DAYS))
    due = []
    for response in Response.objects.filter(
        assessment__status__in=live_statuses,
        status__in=[R.SATISFIED, R.NOT_APPLICABLE, R.NOT_SATISFIED],
        expires_on__gte=today,
        expires_on__lte=horizon,
    ).select_related("assessment__vendor", "item"):
        due.append((response, response.expires_on))
    for exception in RiskException.objects.filter(
        status=E.ACTIVE, expires_on__gte=today, expires_on__lte=horizon
    ).select_related("response__assessment__vendor", "response__item"):
        due.append((exception.response, exception.expires_on))

    for response, due_on in due:
        remaining = (due_on - today).days
        # The smallest threshold already reached; a missed 30-day run is caught up later,
        # but once the 7-day reminder is due the 30-day one is no longer worth sending.
        reached = [d for d in sorted(REMINDER_DAYS) if remaining <= d]
        if not reached:
            continue
        _, created = ExpiryReminder.objects.get_or_create(
            response=response, due_on=due_on, days_before=reached[0]
        )
        if created:
            _notify_owners(response, due_on, remaining)
            sent += 1
    return sent
