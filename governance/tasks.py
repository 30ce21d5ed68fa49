"""Celery tasks: thin, re-read by id, call a service."""

from celery import shared_task

from governance.services.ops import heartbeat_record


@shared_task(bind=True, acks_late=True)
def heartbeat(self, requested_by_id: int | None = None) -> dict:
    """Record which worker process ran this task."""
    record = heartbeat_record(
        task_id=self.request.id,
        hostname=self.request.hostname,
        eager=bool(self.request.is_eager),
        requested_by_id=requested_by_id,
    )
    return {"id": record.pk, "hostname": record.hostname, "pid": record.pid}


@shared_task(acks_late=True)
def start_due_pilots() -> list[int]:
    """Daily: start approved pilots whose planned start has come."""
    from governance.services.pilots import pilots_start_due

    return pilots_start_due()


@shared_task(acks_late=True)
def evaluate_due_checkpoints() -> list[list[int]]:
    """Daily: evaluate every checkpoint that has come (and catch up missed ones)."""
    from governance.services.checkpoints import checkpoints_evaluate_due

    return [list(pair) for pair in checkpoints_evaluate_due()]


@shared_task(bind=True, acks_late=True)
def evaluate_checkpoint(self, pilot_id: int, checkpoint_day: int) -> dict:
    """Evaluate one checkpoint on demand (re-reads the pilot by id)."""
    from governance.models import Pilot
    from governance.services.checkpoints import checkpoint_evaluate

    record = checkpoint_evaluate(
        pilot=Pilot.objects.get(pk=pilot_id), checkpoint_day=checkpoint_day
    )
    return {
        "evaluation": record.pk,
        "hostname": self.request.hostname or "",
        "kill_recommended": record.kill_recommended,
    }


@shared_task(acks_late=True)
def notify_reviews_due() -> int:
    """Weekly: tell finance which pilots and programs still need this quarter's review."""
    from governance.services.finance import reviews_due_notify

    return reviews_due_notify()
