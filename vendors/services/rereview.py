"""Re-reviews: verdicts sent back to needs review by a change (rereview_open), and the daily
sweep of lapsed verdicts and exceptions with their reminders.

A change the verdicts never judged (a sub-processor in a new country, a new model version
behind an offering) goes through rereview_open: the verdicts on the items it touches need
review in every live assessment of the vendor, a signed approval is revoked, and the review
closes the way any assessment change does, when the items are judged and signed again.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
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
    Offering,
    Response,
    RiskException,
    Vendor,
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
# Verdicts a change can invalidate (an open or already flagged one is still to be judged).
REOPENABLE = [R.SATISFIED, R.NOT_SATISFIED, R.NOT_APPLICABLE, R.EXCEPTED]


def rereview_open(
    *,
    vendor: Vendor,
    item_codes: Iterable[str],
    reason: str,
    actor: Any,
    offering: Offering | None = None,
) -> list[Response]:
    """Send the verdicts on these items back to needs review in the vendor's live assessments
    (vendor-wide ones, and the offering's own when one is given); return the reopened ones."""
    scope = Q(assessment__offering__isnull=True)
    if offering is not None:
        scope |= Q(assessment__offering=offering)
    responses = list(
        Response.objects.select_for_update()
        .filter(
            scope,
            assessment__vendor=vendor,
            assessment__status__in=[A.IN_REVIEW, A.APPROVED],
            item__code__in=list(item_codes),
            status__in=REOPENABLE,
        )
        .select_related("assessment", "item")
        .order_by("assessment_id", "item__position")
    )
    for response in responses:
        _response_transition(response, to=R.NEEDS_REVIEW, actor=actor, reason=reason)
    for assessment in {r.assessment_id: r.assessment for r in responses}.values():
        _revoke_if_signed_content_changed(assessment, actor=actor, reason=reason)
    return responses


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
