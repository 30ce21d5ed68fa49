"""Vendors, their offerings and their model catalog."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from vendors.choices import HostingModel, VendorStatus


class Vendor(models.Model):
    """A company whose AI coding tools the enterprise reviews, pilots or uses."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, help_text="Stable id the gateway uses.")
    hosting_model = models.CharField(max_length=20, choices=HostingModel.choices)
    data_regions = models.JSONField(
        default=list, blank=True, help_text="Regions where prompts and code may be processed."
    )
    status = models.CharField(
        max_length=20, choices=VendorStatus.choices, default=VendorStatus.PROSPECT
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
