"""Celery tasks of the vendor registry: thin wrappers around services."""

from celery import shared_task

from vendors.services import rereview


@shared_task(acks_late=True)
def rereview_sweep() -> dict[str, int]:
    """Daily: flag lapsed verdicts and exceptions for review; remind owners 30 and 7 days ahead."""
    return rereview.rereview_sweep()


@shared_task(acks_late=True)
def questionnaire_reminders() -> int:
    """Daily: remind vendor contacts of unanswered items before their link expires."""
    from vendors.services.questionnaires import questionnaire_reminders_send

    return questionnaire_reminders_send()
