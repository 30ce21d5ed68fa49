"""The Celery application; tasks live in each app's tasks.py and stay thin.

Workers and beat log exactly as the web nodes do (Django's LOGGING, JSON lines in production),
and a task carries the id of the request that enqueued it, so the worker's lines for it can be
found by that id.
"""

import logging
import os
import time

from celery import Celery, signals

from governance.config import logging as context
from governance.config.logging import REQUEST_ID_TASK_HEADER

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.config.settings")

app = Celery("tollgate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

task_logger = logging.getLogger("tollgate.task")
# What task_prerun set, undone by task_postrun (keyed by task id: eager tasks nest).
_running: dict[str, tuple[float, list]] = {}


@signals.setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Keep Django's LOGGING in workers and beat: Celery would otherwise replace the root
    handler with its own text format (a receiver here tells it logging is taken care of)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@signals.before_task_publish.connect
def carry_request_id(headers: dict | None = None, **kwargs) -> None:
    """Put the current request id (a request's, or the running task's) in the task's headers."""
    current = context.request_id.get()
    if current and headers is not None:
        headers.setdefault(REQUEST_ID_TASK_HEADER, current)


def _header(task) -> str | None:
    value = getattr(task.request, REQUEST_ID_TASK_HEADER, None)
    if value is None:
        value = (getattr(task.request, "headers", None) or {}).get(REQUEST_ID_TASK_HEADER)
    return value


@signals.task_prerun.connect
def enter_task(task_id: str | None = None, task=None, **kwargs) -> None:
    """While a task runs, log lines carry its id, its name and the request id it came with."""
    if task is None or task_id is None:
        return
    # An eager task runs inside the request that called it and keeps that request's id.
    rid = _header(task) or (context.request_id.get() if task.request.is_eager else None)
    tokens = [
        context.request_id.set(rid),
        context.task_id.set(task_id),
        context.task_name.set(task.name),
    ]
    _running[task_id] = (time.perf_counter(), tokens)


@signals.task_postrun.connect
def leave_task(task_id: str | None = None, task=None, state: str | None = None, **kwargs) -> None:
    """Log the task's outcome and duration, then restore the context it ran in."""
    started, tokens = _running.pop(task_id, (None, None))
    if started is None or task is None:
        return
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    task_logger.info(
        "task %s %s in %s ms",
        task.name,
        state,
        duration_ms,
        extra={"state": state, "duration_ms": duration_ms},
    )
    for token in reversed(tokens):
        token.var.reset(token)
