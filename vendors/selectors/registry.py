"""Reads of the registry: vendors and the time-to-model-update metric."""

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery

from vendors.models import (
    ModelSwitch,
    ModelVersion,
    Vendor,
)


def vendor_list() -> QuerySet[Vendor]:
    """All vendors, alphabetically."""
    return Vendor.objects.order_by("name")


def vendor_adoption(*, vendor: Vendor) -> dict:
    """Days to adopt per model version and their median: the time-to-model-update metric."""
    versions = list(
        ModelVersion.objects.filter(vendor=vendor, approved_on__isnull=False).order_by(
            "family", "released_on"
        )
    )
    days = [v.days_to_adopt for v in versions]
    return {
        "versions": [(str(v), v.days_to_adopt) for v in versions],
        "median_days_to_adopt": statistics.median(days) if days else None,
    }


def median_days_to_adopt_by_vendor() -> dict[int, float]:
    """Median days from release to approval, per vendor id (vendors without any omitted)."""
    per_vendor: dict[int, list[int]] = {}
    rows = ModelVersion.objects.filter(approved_on__isnull=False).values_list(
        "vendor_id", "released_on", "approved_on"
    )
    for vendor_id, released, approved in rows:
        per_vendor.setdefault(vendor_id, []).append((approved - released).days)
    return {vendor_id: statistics.median(days) for vendor_id, days in per_vendor.items()}


@dataclass(frozen=True)
class ModelUpdateTimes:
    """A vendor's time to model update: median days from a version's release to its internal
    approval, and to the day it first took most of a pilot's traffic (a model switch)."""

    to_approval: float | None
    to_majority: float | None
    approved: int
    switched: int
    versions: list[tuple[str, int | None, int | None]]  # (version, to approval, to majority)


def model_update_times(*, vendor_ids: Iterable[int] | None = None) -> dict[int, ModelUpdateTimes]:
    """Per vendor id, in one query for any number of vendors (the portfolio calls this)."""
    # Majority traffic: the first switch to the version, on any offering.
    first_switch = (
        ModelSwitch.objects.filter(to_version=OuterRef("pk"))
        .order_by("detected_on")
        .values("detected_on")[:1]
    )
    # The columns the times need as tuples, not versions: two pages show this on every view,
    # and building a model instance per version was most of its cost.
    versions = (
        ModelVersion.objects.annotate(first_switch=Subquery(first_switch))
        .order_by("family", "released_on")
        .values_list("vendor_id", "family", "version", "released_on", "approved_on", "first_switch")
    )
    if vendor_ids is not None:
        versions = versions.filter(vendor_id__in=list(vendor_ids))
    rows: dict[int, list] = {}
    for vendor_id, family, version, released, approved, switched in versions:
        # As ModelVersion.days_to_adopt: release to internal approval.
        adopted = (approved - released).days if approved else None
        majority = (switched - released).days if switched else None
        rows.setdefault(vendor_id, []).append((f"{family}:{version}", adopted, majority))
    result = {}
    for vendor_id, lines in rows.items():
        approval = [a for _, a, _ in lines if a is not None]
        majority = [m for _, _, m in lines if m is not None]
        result[vendor_id] = ModelUpdateTimes(
            to_approval=statistics.median(approval) if approval else None,
            to_majority=statistics.median(majority) if majority else None,
            approved=len(approval),
            switched=len(majority),
            versions=[line for line in lines if line[1] is not None or line[2] is not None],
        )
    return result
