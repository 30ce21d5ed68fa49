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
