"""Vendor pages: the shortlist for everyone signed in, and evidence downloads."""

import re

from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from vendors.downloads import evidence_download
from vendors.models import Evidence, ShortlistVersion
from vendors.selectors import shortlist


def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """Download one evidence file (permission-checked, audited)."""
    return evidence_download(evidence=get_object_or_404(Evidence, pk=pk), user=request.user)


@permission_required("vendors.view_shortlistversion", raise_exception=True)
def shortlist_current(request: HttpRequest) -> HttpResponse:
    """The published shortlist, each entry in force or suspended, and the version history."""
    version = shortlist.shortlist_published()
    return render(
        request,
        "vendors/shortlist.html",
        {
            "version": version,
            "rows": _rows(version) if version else [],
            "history": ShortlistVersion.objects.order_by("-number"),
        },
    )


@permission_required("vendors.view_shortlistversion", raise_exception=True)
def shortlist_version(request: HttpRequest, number: int) -> HttpResponse:
    """One shortlist version, as it stands (drafts and superseded versions included)."""
    version = get_object_or_404(ShortlistVersion, number=number)
    return render(
        request,
        "vendors/shortlist.html",
        {
            "version": version,
            "rows": _rows(version),
            "history": ShortlistVersion.objects.order_by("-number"),
            "transitions": version.history.select_related("actor"),
        },
    )


@permission_required("vendors.view_shortlistversion", raise_exception=True)
def shortlist_diff(request: HttpRequest) -> HttpResponse:
    """What changed between two versions (?old=N&new=M)."""
    versions = ShortlistVersion.objects.order_by("-number")
    old_number, new_number = request.GET.get("old", ""), request.GET.get("new", "")
    changes = None
    if re.fullmatch(r"[0-9]{1,9}", old_number) and re.fullmatch(r"[0-9]{1,9}", new_number):
        old = get_object_or_404(ShortlistVersion, number=int(old_number))
        new = get_object_or_404(ShortlistVersion, number=int(new_number))
        changes = shortlist.shortlist_diff(old, new)
    return render(
        request,
        "vendors/shortlist_diff.html",
        {"versions": versions, "changes": changes, "old": old_number, "new": new_number},
    )


def _rows(version: ShortlistVersion) -> list[dict]:
    today = timezone.localdate()
    return [
        {"entry": e, "problems": shortlist.entry_problems(e, today=today)}
        for e in shortlist.shortlist_entries(version)
    ]
