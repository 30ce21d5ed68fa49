"""Vendors, their offerings and their model catalog."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from vendors.choices import (
    Currency,
    HostingModel,
    ModelStatus,
    OfferingKind,
    RoutingTier,
    VendorStatus,
)
from vendors.kit.transitions import TransitionRecord

PRICE = {"max_digits": 14, "decimal_places": 4}
V = VendorStatus


class Vendor(models.Model):
    """A company whose AI coding tools the enterprise reviews, pilots or uses."""

    TRANSITIONS = {
        V.PROSPECT: {V.UNDER_REVIEW, V.RETIRED},
        V.UNDER_REVIEW: {V.APPROVED, V.SUSPENDED, V.RETIRED},
        V.APPROVED: {V.UNDER_REVIEW, V.SUSPENDED, V.RETIRED},
        V.SUSPENDED: {V.UNDER_REVIEW, V.RETIRED},
        V.RETIRED: set(),
    }

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, help_text="Stable id the gateway uses.")
    hosting_model = models.CharField(max_length=20, choices=HostingModel.choices)
    data_regions = models.JSONField(
        default=list, blank=True, help_text="Regions where prompts and code may be processed."
    )
    status = models.CharField(
        max_length=20, choices=VendorStatus.choices, default=VendorStatus.PROSPECT
    )
    approved_until = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="Set by assessment approval: the earliest expiry among its verdicts.",
    )
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="vendor_name_unique_ci",
                violation_error_message="A vendor with this name already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(hosting_model__in=HostingModel.values),
                name="vendor_hosting_model_valid",
                violation_error_message="Unknown hosting model.",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=VendorStatus.values),
                name="vendor_status_valid",
                violation_error_message="Unknown vendor status.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # blank=True lets an empty list through field validation, and None with it; the
        # column is NOT NULL, so the shape is checked here rather than failing in the database.
        regions = self.data_regions
        if not isinstance(regions, list) or not all(
            isinstance(r, str) and r.strip() for r in regions
        ):
            raise ValidationError({"data_regions": 'Give a list of region names, e.g. ["eu"].'})


class VendorTransition(TransitionRecord):
    """History of a vendor's procurement status."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="history")


class Offering(models.Model):
    """A product of a vendor, e.g. an IDE assistant or a coding agent."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="offerings")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=OfferingKind.choices)
    agentic = models.BooleanField(
        default=False, help_text="Can call tools or run commands: stricter review applies."
    )
    seat_price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="Per seat per month."
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["vendor__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "name"],
                name="offering_unique_per_vendor",
                violation_error_message="This vendor already has an offering with this name.",
            ),
            models.CheckConstraint(
                condition=models.Q(seat_price__isnull=True) | models.Q(seat_price__gte=0),
                name="offering_seat_price_not_negative",
                violation_error_message="The seat price cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor.name} {self.name}"


class ModelVersion(models.Model):
    """A pinned model version with its prices, dates and rollback target."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="model_versions")
    family = models.CharField(max_length=100, help_text="e.g. claude-sonnet, llama")
    version = models.CharField(max_length=100, help_text="e.g. 4.5, 3.3-70b")
    tier = models.CharField(max_length=16, choices=RoutingTier.choices)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    price_input_per_mtok = models.DecimalField(**PRICE, verbose_name="input / 1M tokens")
    price_cached_input_per_mtok = models.DecimalField(
        **PRICE, verbose_name="cached input / 1M tokens"
    )
    price_output_per_mtok = models.DecimalField(**PRICE, verbose_name="output / 1M tokens")
    released_on = models.DateField()
    approved_on = models.DateField(null=True, blank=True)
    deprecated_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=ModelStatus.choices, default=ModelStatus.CANDIDATE
    )
    rollback_target = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Another version of the same family to fall back to.",
    )
    rollback_plan = models.TextField(blank=True)
    regions = models.JSONField(
        default=list,
        blank=True,
        help_text="Regions this version is served from; empty means the vendor's regions.",
    )

    class Meta:
        ordering = ["vendor__name", "family", "-released_on"]
        permissions = [("rollback_modelversion", "Can roll a model version back")]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "family", "version"],
                name="model_version_unique",
                violation_error_message="This vendor already lists this family and version.",
            ),
            models.CheckConstraint(
                condition=models.Q(price_input_per_mtok__gte=0)
                & models.Q(price_cached_input_per_mtok__gte=0)
                & models.Q(price_output_per_mtok__gte=0),
                name="model_version_prices_not_negative",
                violation_error_message="Token prices cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(approved_on__isnull=True)
                | models.Q(approved_on__gte=models.F("released_on")),
                name="model_version_approved_after_release",
                violation_error_message="A version cannot be approved before it was released.",
            ),
            models.CheckConstraint(
                condition=models.Q(deprecated_on__isnull=True)
                | models.Q(deprecated_on__gte=models.F("released_on")),
                name="model_version_deprecated_after_release",
                violation_error_message="A version cannot be deprecated before it was released.",
            ),
            models.CheckConstraint(
                condition=~models.Q(rollback_target=models.F("id")),
                name="model_version_rollback_not_self",
                violation_error_message="A version cannot be its own rollback target.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.family}:{self.version}"

    @property
    def days_to_adopt(self) -> int | None:
        """Days from vendor release to internal approval: the time-to-model-update metric."""
        if self.approved_on is None:
            return None
        return (self.approved_on - self.released_on).days

    @property
    def served_regions(self) -> list[str]:
        """Where this version processes prompts: its own regions, else its vendor's."""
        return sorted(self.regions or self.vendor.data_regions)

    def clean(self) -> None:
        regions = self.regions
        if not isinstance(regions, list) or not all(isinstance(r, str) and r for r in regions):
            raise ValidationError({"regions": 'Give a list of region names, e.g. ["eu"].'})
        target = self.rollback_target
        if target is not None and (
            target.vendor_id != self.vendor_id or target.family != self.family
        ):
            raise ValidationError(
                {"rollback_target": "The rollback target must be a version of the same family."}
            )
        if target is not None and self.pk is not None and target.pk == self.pk:
            raise ValidationError(
                {"rollback_target": "A version cannot be its own rollback target."}
            )
