"""Vendor pages: the shortlist, evidence downloads, and framework coverage of a review."""

import re

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from vendors.downloads import evidence_download
from vendors.kit.exports import table_export
from vendors.models import Assessment, Evidence, Framework, ShortlistVersion
from vendors.selectors import frameworks as frameworks_selectors
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


# --- framework coverage ---------------------------------------------------------------------


def _assessment_for(request: HttpRequest, pk: int) -> Assessment:
    """The assessment, when the user may view it (the same rule as the admin and the API)."""
    assessment = get_object_or_404(Assessment.objects.select_related("vendor", "offering"), pk=pk)
    if not request.user.has_perm("vendors.view_assessment", assessment):
        raise PermissionDenied
    return assessment


def _chosen_frameworks(request: HttpRequest) -> list[Framework]:
    """The current frameworks, or the one named by ?framework=slug (404 when none is loaded)."""
    frameworks = list(frameworks_selectors.current_frameworks())
    slug = request.GET.get("framework", "")
    if not slug:
        return frameworks
    chosen = [f for f in frameworks if f.slug == slug]
    if not chosen:
        raise Http404("No framework with this slug is loaded.")
    return chosen


@login_required
def assessment_coverage(request: HttpRequest, pk: int) -> HttpResponse:
    """Each framework's requirements as covered, partial, excepted or gap for one assessment."""
    assessment = _assessment_for(request, pk)
    frameworks = _chosen_frameworks(request)
    return render(
        request,
        "vendors/coverage.html",
        {
            "assessment": assessment,
            "coverages": frameworks_selectors.assessment_coverage(
                assessment, frameworks=frameworks
            ),
            "all_frameworks": frameworks_selectors.current_frameworks(),
            "chosen": request.GET.get("framework", ""),
            "today": timezone.localdate(),
        },
    )


@login_required
def subject_coverage(request: HttpRequest, slug: str, offering: int | None = None) -> HttpResponse:
    """A vendor's (or offering's) coverage: that of its live review, else its latest one."""
    assessment = frameworks_selectors.subject_assessment(vendor_slug=slug, offering_id=offering)
    if assessment is None:
        raise Http404("This vendor has no review yet.")
    _assessment_for(request, assessment.pk)
    return redirect("vendors:assessment-coverage", pk=assessment.pk)


@login_required
def assessment_coverage_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The coverage table as CSV or XLSX, one row per assessable requirement."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("Export as .csv or .xlsx.")
    assessment = _assessment_for(request, pk)
    coverages = frameworks_selectors.assessment_coverage(
        assessment, frameworks=_chosen_frameworks(request)
    )
    rows = frameworks_selectors.coverage_export_rows(coverages)
    name = f"tollgate-coverage-assessment-{assessment.pk}"
    return table_export(rows, name=name, fmt=fmt, sheet="coverage")
