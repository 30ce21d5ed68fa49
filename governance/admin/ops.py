"""Worker heartbeats in the admin."""

from django.contrib import admin

from governance.models import (
    WorkerHeartbeat,
)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    """Heartbeat runs: read-only evidence that workers run."""

    list_display = ("task_id", "hostname", "pid", "eager", "ran_at")
    list_filter = ("eager",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
