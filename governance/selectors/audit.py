"""Reads of the audit trail."""

from auditlog.models import LogEntry
from django.db.models import QuerySet


def audit_entries() -> QuerySet[LogEntry]:
    """The audit trail, newest first, with what its list needs joined in."""
    return LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")
