"""Celery tasks: thin, re-read by id, call a service."""

from importlib import import_module

from celery import Task, shared_task

from governance.services.ops import heartbeat_record
from vendors.kit.errors import TRANSIENT_DB_ERRORS


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
def integrity_sweep() -> dict:
    """Hourly: re-check signed subjects and the packet chain; security hears of a mismatch."""
    from governance.services.integrity import integrity_sweep as sweep

    check = sweep()
    return {"check": check.pk, "problems": len(check.problems)}


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


@shared_task(acks_late=True)
def send_checkpoint_reminders() -> int:
    """Hourly: checkpoint due in 7 days or just evaluated; each reminder is sent once."""
    from governance.services.reminders import checkpoint_reminders_send

    return checkpoint_reminders_send()


@shared_task(acks_late=True)
def requeue_stuck_work() -> dict[str, list[int]]:
    """Every few minutes: renders and imports stuck past TOLLGATE_STUCK_AFTER run again."""
    from governance.services.sweep import stuck_work_requeue

    return stuck_work_requeue()


class FailsItsRecord(Task):
    """Marks the task's record failed once automatic retries are exhausted, so none stays
    stuck: `record` names the id argument, `fail` the service ("module:function") that takes
    it and the error."""

    record = ""
    fail = ""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        record_id = kwargs.get(self.record, args[0] if args else None)
        if record_id is not None:
            module, name = self.fail.split(":")
            getattr(import_module(module), name)(**{self.record: record_id, "error": exc})


class PacketTask(FailsItsRecord):
    """Marks the packet failed once automatic retries are exhausted."""

    record, fail = "packet_id", "governance.services.packets:packet_fail"


class ImportTask(FailsItsRecord):
    """Marks the import run failed once automatic retries are exhausted."""

    record, fail = "run_id", "governance.services.imports:import_fail"


@shared_task(
    bind=True,
    base=PacketTask,
    # A worker killed mid-render leaves the message unacknowledged; the broker redelivers it
    # and the service picks the packet up where it stood.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_DB_ERRORS,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def render_packet(self, packet_id: int) -> dict:
    """Render one packet (re-read by id); a duplicate delivery changes nothing."""
    from governance.services.packets import packet_render

    packet = packet_render(packet_id=packet_id)
    return {"id": packet.pk, "status": packet.status, "hostname": self.request.hostname or ""}


@shared_task(
    base=ImportTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_DB_ERRORS,
    retry_backoff=2,
    max_retries=5,
)
def run_import(run_id: int) -> dict:
    """Run one evidence import (re-read by id); a duplicate delivery changes nothing."""
    from governance.services.imports import import_execute

    run = import_execute(run_id=run_id)
    return {"id": run.pk, "status": run.status, "created": run.created, "updated": run.updated}


@shared_task(acks_late=True)
def model_switches_from_deprecations() -> list[int]:
    """Daily: versions past their deprecation date switch to their successor (once each)."""
    from governance.services.model_switches import model_switches_from_deprecations as sweep

    return [switch.pk for switch in sweep()]
