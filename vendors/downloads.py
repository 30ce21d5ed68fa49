"""Serving private evidence files: permission-checked and recorded in the audit trail."""

from typing import Any

from auditlog.signals import accessed
from django.core.exceptions import PermissionDenied
from django.http import FileResponse

from vendors.filetypes import CONTENT_TYPES
from vendors.models import Evidence


def evidence_download(*, evidence: Evidence, user: Any) -> FileResponse:
    """Stream an evidence file to a user allowed to see it, and log the access."""
    if not user.has_perm("vendors.view_evidence", evidence):
        raise PermissionDenied("You may not download evidence of this assessment.")
    accessed.send(sender=Evidence, instance=evidence)
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=CONTENT_TYPES.get(evidence.kind, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Evidence-SHA256"] = evidence.sha256
    return response
