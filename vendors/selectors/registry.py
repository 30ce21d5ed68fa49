"""Reads of the registry: vendors and the time-to-model-update metric."""

import statistics

from django.db.models import QuerySet

from vendors.models import (
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
