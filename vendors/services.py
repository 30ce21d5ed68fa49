"""Writes to the vendor registry: keyword-only, validated, audited through the model."""

from typing import Any

from django.db import transaction

from vendors.models import Vendor

VENDOR_EDITABLE_FIELDS = ("name", "slug", "hosting_model", "data_regions", "website", "notes")


@transaction.atomic
def vendor_create(*, name: str, slug: str, hosting_model: str, **fields: Any) -> Vendor:
    """Register a vendor after full validation."""
    vendor = Vendor(name=name, slug=slug, hosting_model=hosting_model, **fields)
    vendor.full_clean()
    vendor.save()
    return vendor


@transaction.atomic
def vendor_update(*, vendor: Vendor, **fields: Any) -> Vendor:
    """Change a vendor's descriptive fields (status moves through its own entry point)."""
    unknown = set(fields) - set(VENDOR_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"vendor_update cannot set {sorted(unknown)}")
    for name, value in fields.items():
        setattr(vendor, name, value)
    vendor.full_clean()
    vendor.save()
    return vendor


@transaction.atomic
def vendor_delete(*, vendor: Vendor) -> None:
    """Delete a vendor record."""
    vendor.delete()
