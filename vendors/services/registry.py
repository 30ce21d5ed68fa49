"""Writes to the registry: vendors, their status, offerings and model versions."""

from datetime import date
from typing import Any

from django.db import transaction

from vendors.choices import (
    Role,
    ShortlistStatus,
    VendorStatus,
)
from vendors.kit.audit import audited
from vendors.kit.errors import DomainError
from vendors.kit.services import save_validated
from vendors.kit.transitions import transition
from vendors.models import (
    ModelVersion,
    Offering,
    ShortlistEntry,
    Vendor,
    VendorTransition,
)
from vendors.services.notifications import notify_role

V = VendorStatus


VENDOR_EDITABLE_FIELDS = ("name", "slug", "hosting_model", "data_regions", "website", "notes")


@transaction.atomic
def vendor_create(*, name: str, slug: str, hosting_model: str, **fields: Any) -> Vendor:
    """Register a vendor after full validation."""
    return save_validated(Vendor(name=name, slug=slug, hosting_model=hosting_model, **fields))


@transaction.atomic
def vendor_update(*, vendor: Vendor, **fields: Any) -> Vendor:
    """Change a vendor's descriptive fields (status moves through vendor_set_status)."""
    unknown = set(fields) - set(VENDOR_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"vendor_update cannot set {sorted(unknown)}")
    for name, value in fields.items():
        setattr(vendor, name, value)
    return save_validated(vendor)


@transaction.atomic
def vendor_delete(*, vendor: Vendor) -> None:
    """Delete a vendor that nothing refers to yet (reviewed vendors are retired instead)."""
    # Its status history is sealed (the database refuses to delete it): such a vendor is
    # retired, never deleted.
    if (
        vendor.assessments.exists()
        or vendor.offerings.exists()
        or vendor.model_versions.exists()
        or vendor.history.exists()
    ):
        raise DomainError(
            f"{vendor} has offerings, model versions, assessments or a status history; retire "
            "it instead."
        )
    vendor.delete()


@audited
@transaction.atomic
def vendor_set_status(
    *, vendor: Vendor, to: str, actor: Any, reason: str = "", approved_until: date | None = None
) -> Vendor:
    """The one entry point for a vendor's procurement status."""
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    was_approved = vendor.status == V.APPROVED
    transition(
        vendor,
        to=to,
        actor=actor,
        reason=reason,
        history=VendorTransition,
        subject_field="vendor",
        extra_updates={"approved_until": approved_until if to == V.APPROVED else None},
    )
    if was_approved and to != V.APPROVED:
        _notify_shortlist_suspension(vendor, reason)
    return vendor


def _notify_shortlist_suspension(vendor: Vendor, reason: str) -> None:
    """Tell security when a provider on the published shortlist loses its approval."""
    entry = (
        ShortlistEntry.objects.filter(vendor=vendor, version__status=ShortlistStatus.PUBLISHED)
        .select_related("version")
        .first()
    )
    if entry is None:
        return
    notify_role(
        role=Role.SECURITY,
        kind="shortlist",
        title=f"Shortlist entry suspended: {vendor.name}",
        body=f"{vendor.name} is on shortlist v{entry.version.number} but is no longer approved "
        f"({reason}). The gateway check now denies it until a new approval.",
    )


@transaction.atomic
def offering_create(*, vendor: Vendor, name: str, kind: str, **fields: Any) -> Offering:
    """Add a product to a vendor."""
    return save_validated(Offering(vendor=vendor, name=name, kind=kind, **fields))


@transaction.atomic
def offering_update(*, offering: Offering, **fields: Any) -> Offering:
    """Change an offering."""
    for name, value in fields.items():
        setattr(offering, name, value)
    return save_validated(offering)


@transaction.atomic
def model_version_create(*, vendor: Vendor, family: str, version: str, **fields: Any):
    """Add a model version to the catalog."""
    return save_validated(ModelVersion(vendor=vendor, family=family, version=version, **fields))


@transaction.atomic
def model_version_update(*, model_version: ModelVersion, **fields: Any) -> ModelVersion:
    """Change a model version (prices, dates, status, rollback)."""
    for name, value in fields.items():
        setattr(model_version, name, value)
    return save_validated(model_version)
