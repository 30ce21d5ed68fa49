"""Vendors, offerings and the model catalog in the admin."""

from django.contrib import admin
from django.db.models import Exists, OuterRef

from vendors.admin.assessments import R
from vendors.choices import AssessmentStatus
from vendors.kit.admin import HistoryInline
from vendors.models import (
    ModelVersion,
    Offering,
    Response,
    Vendor,
    VendorTransition,
)
from vendors.selectors.registry import median_days_to_adopt_by_vendor, vendor_adoption


class VendorHistoryInline(HistoryInline):
    model = VendorTransition


class OfferingInline(admin.TabularInline):
    model = Offering
    extra = 0
    fields = ("name", "kind", "agentic", "seat_price", "currency")


class ModelVersionInline(admin.TabularInline):
    model = ModelVersion
    extra = 0
    fields = (
        "family",
        "version",
        "tier",
        "price_input_per_mtok",
        "price_output_per_mtok",
        "released_on",
        "approved_on",
        "days_to_adopt",
        "status",
    )
    readonly_fields = ("days_to_adopt",)
    show_change_link = True


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    """Vendors with their offerings and model catalog."""

    list_display = (
        "name",
        "hosting_model",
        "status",
        "approved_until",
        "median_days_to_adopt",
        "needs_review",
    )
    list_filter = ("hosting_model", "status")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("status", "approved_until", "adoption", "created_at", "updated_at")
    inlines = [OfferingInline, ModelVersionInline, VendorHistoryInline]

    def get_queryset(self, request):
        needing = Response.objects.filter(
            assessment__vendor=OuterRef("pk"),
            assessment__status__in=[AssessmentStatus.IN_REVIEW, AssessmentStatus.APPROVED],
            status=R.NEEDS_REVIEW,
        )
        return super().get_queryset(request).annotate(has_review_due=Exists(needing))

    def changelist_view(self, request, extra_context=None):
        self._medians = median_days_to_adopt_by_vendor()
        return super().changelist_view(request, extra_context)

    @admin.display(description="median days to adopt")
    def median_days_to_adopt(self, vendor: Vendor):
        return getattr(self, "_medians", {}).get(vendor.pk, "—")

    @admin.display(boolean=True, description="needs review")
    def needs_review(self, vendor: Vendor) -> bool:
        return vendor.has_review_due

    @admin.display(description="time to model update")
    def adoption(self, vendor: Vendor) -> str:
        stats = vendor_adoption(vendor=vendor)
        if stats["median_days_to_adopt"] is None:
            return "No approved model versions yet."
        rows = ", ".join(f"{name}: {days} d" for name, days in stats["versions"])
        return f"Median {stats['median_days_to_adopt']} days ({rows})"


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ("name", "vendor", "kind", "agentic", "seat_price", "currency")
    list_filter = ("kind", "agentic", "vendor")
    search_fields = ("name", "vendor__name")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "vendor",
        "tier",
        "status",
        "released_on",
        "approved_on",
        "days_to_adopt",
        "rollback_target",
    )
    list_filter = ("tier", "status", "vendor")
    search_fields = ("family", "version", "vendor__name")
