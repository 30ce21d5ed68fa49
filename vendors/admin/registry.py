"""Vendors, offerings and the model catalog in the admin."""

from django.contrib import admin
from django.db.models import Exists, OuterRef

from vendors.admin.assessments import R
from vendors.admin.frameworks import ReadOnlyAdmin
from vendors.choices import AssessmentStatus
from vendors.kit.admin import HistoryInline, run_action
from vendors.models import (
    ModelRollback,
    ModelSwitch,
    ModelSwitchTransition,
    ModelVersion,
    Offering,
    Response,
    Vendor,
    VendorTransition,
)
from vendors.selectors.registry import median_days_to_adopt_by_vendor, model_update_times
from vendors.services.model_switches import model_switch_settle


class VendorHistoryInline(HistoryInline):
    model = VendorTransition


class ModelSwitchHistoryInline(HistoryInline):
    model = ModelSwitchTransition


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
        times = model_update_times(vendor_ids=[vendor.pk]).get(vendor.pk)
        if times is None or not times.versions:
            return "No approved or switched-to model versions yet."

        def days(value) -> str:
            return "—" if value is None else f"{value} d"

        rows = ", ".join(
            f"{name}: approved {days(a)}, majority traffic {days(m)}"
            for name, a, m in times.versions
        )
        return (
            f"Release to approval: median {days(times.to_approval)} ({times.approved} versions); "
            f"release to majority traffic: median {days(times.to_majority)} "
            f"({times.switched} versions). {rows}"
        )


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


@admin.register(ModelSwitch)
class ModelSwitchAdmin(ReadOnlyAdmin):
    """Model switches and their re-reviews; security settles one once it is judged and signed."""

    list_display = (
        "__str__",
        "detected_from",
        "days_to_adopt",
        "status",
        "settled_at",
    )
    list_filter = ("status", "detected_from", "offering__vendor")
    list_select_related = ("offering__vendor", "from_version", "to_version")
    readonly_fields = ("reopened_items",)
    inlines = [ModelSwitchHistoryInline]
    actions = ["settle"]

    def has_change_permission(self, request, obj=None) -> bool:
        # Changing means settling, and only through the action below.
        return obj is None and request.user.has_perm("vendors.change_modelswitch")

    @admin.display(description="verdicts sent back to review")
    def reopened_items(self, switch: ModelSwitch) -> str:
        rows = switch.reopened.select_related("assessment", "item")
        return "; ".join(f"{r.item.code} in {r.assessment} ({r.status})" for r in rows) or "none"

    @admin.action(
        description="Settle the re-review (verdicts judged and signed)", permissions=["change"]
    )
    def settle(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda switch: model_switch_settle(
                switch=switch,
                actor=request.user,
                reason=f"Settled in the admin by {request.user} after the re-review.",
            ),
            "Settled",
        )


@admin.register(ModelRollback)
class ModelRollbackAdmin(ReadOnlyAdmin):
    """Rollback decisions (made through POST /api/v1/model-versions/{id}/rollback/)."""

    list_display = ("model_version", "target", "decided_by", "decided_at", "reason")
    list_select_related = ("model_version", "target", "decided_by")
