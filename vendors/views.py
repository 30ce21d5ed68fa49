"""Vendor pages: the evidence download used by the admin and pages."""

from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404

from vendors.downloads import evidence_download
from vendors.models import Evidence


def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """Download one evidence file (permission-checked, audited)."""
    return evidence_download(evidence=get_object_or_404(Evidence, pk=pk), user=request.user)
