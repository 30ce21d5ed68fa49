"""Operational records that prove the plumbing works."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """One run of the heartbeat task: which worker process ran it, and when."""

    task_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField()
    eager = models.BooleanField(help_text="Ran in-process because no broker is configured.")
    requested_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ran_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ran_at"]
        get_latest_by = "ran_at"

    def __str__(self) -> str:
        where = "in-process" if self.eager else self.hostname
        return f"heartbeat {self.task_id[:8]} by {where} (pid {self.pid})"
