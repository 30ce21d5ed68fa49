"""Stuck work: packet renders and evidence imports whose worker or message was lost run again.

Redis hands a killed worker's unacknowledged message to another worker after the visibility
timeout (CELERY_VISIBILITY_TIMEOUT); this sweep, run by beat every few minutes, is the backstop
for what the broker cannot redeliver (a message lost with the broker, a publish that failed
after its transaction committed). Every task is idempotent, so a job queued twice is done once.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from governance.services.imports import import_requeue_stuck, imports_stuck
from governance.services.packets import packet_requeue_stuck, packets_stuck

logger = logging.getLogger(__name__)


def stuck_cutoff(*, stuck_after: int | None = None) -> datetime:
    """Work whose last change is older than this is stuck (TOLLGATE_STUCK_AFTER seconds ago)."""
    seconds = settings.TOLLGATE_STUCK_AFTER if stuck_after is None else stuck_after
    return timezone.now() - timedelta(seconds=seconds)


def stuck_work_requeue(*, stuck_after: int | None = None) -> dict[str, list[int]]:
    """Queue again every render and import that has not moved for `stuck_after` seconds
    (default TOLLGATE_STUCK_AFTER); fail those lost TOLLGATE_STUCK_MAX_ATTEMPTS times.

    Each is re-checked under its row lock, so a job a worker picked up meanwhile is left alone,
    and each change is recorded: a packet's history row, an import's audit entry (no actor:
    the system did it). Returns the ids per outcome.
    """
    before = stuck_cutoff(stuck_after=stuck_after)
    most = settings.TOLLGATE_STUCK_MAX_ATTEMPTS
    done: dict[str, list[int]] = {
        "packets_requeued": [],
        "packets_failed": [],
        "imports_requeued": [],
        "imports_failed": [],
    }
    for packet_id in packets_stuck(before=before):
        outcome = packet_requeue_stuck(packet_id=packet_id, before=before, max_attempts=most)
        if outcome:
            done[f"packets_{outcome}"].append(packet_id)
            logger.warning("stuck packet %s %s", packet_id, outcome, extra={"packet": packet_id})
    for run_id in imports_stuck(before=before):
        outcome = import_requeue_stuck(run_id=run_id, before=before, max_attempts=most)
        if outcome:
            done[f"imports_{outcome}"].append(run_id)
            logger.warning("stuck import %s %s", run_id, outcome, extra={"import_run": run_id})
    return done
