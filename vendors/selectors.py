"""Reads of the vendor registry."""

from django.db.models import QuerySet

from vendors.models import Vendor


def vendor_list() -> QuerySet[Vendor]:
    """All vendors, alphabetically."""
    return Vendor.objects.order_by("name")
