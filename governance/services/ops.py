"""Operational services: the heartbeat that proves a worker runs our code."""

import os

from django.contrib.auth.models import User
from django.db import transaction

from governance.models import WorkerHeartbeat


def heartbeat_record(*, task_id: str, hostname: str | None, eager: bool, requested_by_id=None):
    """Record that this process ran the heartbeat task (idempotent per task id)."""
    heartbeat, _ = WorkerHeartbeat.objects.get_or_create(
        task_id=task_id,
        defaults={
            "hostname": hostname or "",
            "pid": os.getpid(),
            "eager": eager,
            "requested_by_id": requested_by_id,
        },
    )
    return heartbeat


def heartbeat_request(*, user: User | None) -> str:
    """Queue a heartbeat once the surrounding transaction commits; return its task id."""
    from celery.utils import uuid

    from governance.tasks import heartbeat

    task_id = uuid()
    user_id = user.pk if user is not None else None
    transaction.on_commit(
        lambda: heartbeat.apply_async(kwargs={"requested_by_id": user_id}, task_id=task_id)
    )
    return task_id
