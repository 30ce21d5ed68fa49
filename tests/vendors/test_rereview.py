"""The daily re-review sweep and its reminders, with frozen time."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from governance.services.signoffs import assessment_approve
from tests.conftest import TODAY
from vendors import tasks
from vendors.models import ExpiryReminder, Vendor
from vendors.services.assessments import exception_grant
from vendors.services.rereview import rereview_sweep

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]


def _response(assessment, code):
    return assessment.responses.select_related("item").get(item__code=code)


def test_a_lapsed_verdict_needs_review_after_the_daily_task(assessment, judge):
    response = judge(_response(assessment, "per-request-tracing"))
    with time_machine.travel(response.expires_on + timedelta(days=1), tick=False):
        counts = tasks.rereview_sweep.delay().get()
    response.refresh_from_db()
    assert response.status == "needs_review"
    assert counts["responses_flagged"] >= 1
    assert response.history.last().reason == f"verdict lapsed on {response.expires_on}"


def test_a_verdict_is_still_valid_on_its_last_day(assessment, judge):
    response = judge(_response(assessment, "per-request-tracing"))
    with time_machine.travel(response.expires_on, tick=False):
        rereview_sweep()
    response.refresh_from_db()
    assert response.status == "satisfied"


def test_an_expired_exception_puts_the_item_back_to_needs_review(assessment, judge, security):
    response = judge(_response(assessment, "code-provenance"), "not_satisfied")
    exception = exception_grant(
        response=response,
        justification="Q1 roadmap",
        compensating_controls="Gateway trailer",
        expires_on=TODAY + timedelta(days=30),
        actor=security,
    )
    with time_machine.travel(TODAY + timedelta(days=31), tick=False):
        rereview_sweep()
    exception.refresh_from_db()
    response.refresh_from_db()
    assert exception.status == "expired"
    assert response.status == "needs_review"


def test_a_lapse_revokes_the_approval_and_the_vendor_shows_it(assessment, complete, sign, security):
    complete(assessment)
    sign(assessment)
    assessment_approve(assessment=assessment, actor=security)
    with time_machine.travel(TODAY + timedelta(days=181), tick=False):
        rereview_sweep()
    assessment.refresh_from_db()
    assert assessment.status == "in_review"
    assert Vendor.objects.get(pk=assessment.vendor_id).status == "under_review"
    assert assessment.responses.filter(status="needs_review").count() == 5


def test_running_the_sweep_twice_changes_nothing_more(assessment, judge):
    judge(_response(assessment, "per-request-tracing"))
    with time_machine.travel(TODAY + timedelta(days=200), tick=False):
        rereview_sweep()
        again = rereview_sweep()
    assert again == {"exceptions_expired": 0, "responses_flagged": 0, "reminders_sent": 0}


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the sweep and deliver what it queued for after commit (e-mails)."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return rereview_sweep()

    return run


def test_owners_are_reminded_30_and_7_days_before_once_each(assessment, judge, security, sweep):
    security.email = "sec@example.com"
    security.save()
    response = judge(_response(assessment, "per-request-tracing"))
    due = response.expires_on
    with time_machine.travel(due - timedelta(days=31), tick=False):
        sweep()
    assert mail.outbox == []
    with time_machine.travel(due - timedelta(days=30), tick=False):
        sweep()
        sweep()
    assert len(mail.outbox) == 1
    assert "lapses in 30 days" in mail.outbox[0].body
    assert mail.outbox[0].to == ["sec@example.com"]
    with time_machine.travel(due - timedelta(days=7), tick=False):
        sweep()
    assert len(mail.outbox) == 2
    assert "lapses in 7 days" in mail.outbox[1].body
    assert ExpiryReminder.objects.filter(response=response).count() == 2
    assert security.notifications.filter(kind="expiry").count() == 2  # also in the in-app list


def test_a_missed_30_day_run_is_caught_up(assessment, judge, sweep):
    response = judge(_response(assessment, "per-request-tracing"))
    with time_machine.travel(response.expires_on - timedelta(days=20), tick=False):
        sweep()
    assert len(mail.outbox) == 1
    assert "lapses in 20 days" in mail.outbox[0].body


def test_the_sweep_is_scheduled_daily(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["vendors-rereview"]
    assert schedule["task"] == "vendors.tasks.rereview_sweep"
    assert schedule["schedule"].hour == {5}
