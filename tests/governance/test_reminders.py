"""Checkpoint reminders (issue 21, item 5): 7 days ahead and once evaluated, each sent once."""

from datetime import timedelta

import pytest
import time_machine

from governance.choices import NotificationKind
from governance.models import CheckpointReminder, Notification
from governance.services.checkpoints import checkpoint_evaluate
from governance.services.reminders import checkpoint_reminders_send
from tests.governance.conftest import START

pytestmark = pytest.mark.django_db
DAY_30 = START + timedelta(days=30)


def _notices(kind):
    return Notification.objects.filter(kind=kind)


def test_owner_and_finance_hear_7_days_before_a_checkpoint_once(running_pilot, ai_pm, finance):
    with time_machine.travel(DAY_30 - timedelta(days=8), tick=False):
        assert checkpoint_reminders_send() == 0  # 8 days ahead: not yet
    with time_machine.travel(DAY_30 - timedelta(days=7), tick=False):
        assert checkpoint_reminders_send() == 1
        assert checkpoint_reminders_send() == 0  # the second sweep sends nothing
    with time_machine.travel(DAY_30 - timedelta(days=3), tick=False):
        assert checkpoint_reminders_send() == 0
    due = _notices(NotificationKind.CHECKPOINT_DUE)
    assert {n.user for n in due} == {ai_pm, finance}
    assert due.count() == 2
    assert f"Checkpoint day 30 of {running_pilot} is due on 03 Feb 2027" == due.first().title


def test_a_missed_sweep_still_reminds_before_the_checkpoint(running_pilot):
    with time_machine.travel(DAY_30 - timedelta(days=2), tick=False):
        assert checkpoint_reminders_send() == 1
    assert CheckpointReminder.objects.get().kind == CheckpointReminder.Kind.DUE


def test_owner_and_finance_hear_once_a_checkpoint_is_evaluated(running_pilot, ai_pm, finance):
    with time_machine.travel(DAY_30, tick=False):
        checkpoint_evaluate(pilot=running_pilot, checkpoint_day=30)
        assert checkpoint_reminders_send() == 1
        assert checkpoint_reminders_send() == 0
    evaluated = _notices(NotificationKind.CHECKPOINT_EVALUATED)
    assert {n.user for n in evaluated} == {ai_pm, finance}
    assert "no kill is recommended" in evaluated.first().body
    assert "in grace" in evaluated.first().body


def test_old_evaluations_are_not_announced(running_pilot):
    with time_machine.travel(DAY_30, tick=False):
        checkpoint_evaluate(pilot=running_pilot, checkpoint_day=30)
    with time_machine.travel(DAY_30 + timedelta(days=8), tick=False):
        assert checkpoint_reminders_send() == 0


def test_the_beat_task_calls_the_service_once(running_pilot):
    from governance.tasks import send_checkpoint_reminders

    with time_machine.travel(DAY_30 - timedelta(days=7), tick=False):
        assert send_checkpoint_reminders.delay().get() == 1
        assert send_checkpoint_reminders.delay().get() == 0
    assert _notices(NotificationKind.CHECKPOINT_DUE).count() == 2


def test_the_beat_schedule_runs_the_reminders():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "governance.tasks.send_checkpoint_reminders" in tasks
