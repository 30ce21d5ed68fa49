"""The procurement checklist template in the admin."""

from django.contrib import admin

from vendors.kit.admin import run_action
from vendors.models import (
    ChecklistItem,
)
from vendors.services.checklist import checklist_item_retire


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    """The checklist template; items are retired, never deleted."""

    list_display = (
        "code",
        "title",
        "owner_role",
        "mandatory",
        "evidence_required",
        "rereview_days",
        "applies_to",
        "model_dependent",
        "active",
    )
    list_filter = ("owner_role", "applies_to", "mandatory", "active", "category")
    search_fields = ("code", "title")
    actions = ["retire"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Retire (stops applying to new assessments)", permissions=["change"])
    def retire(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda item: checklist_item_retire(item=item),
            "Retired",
        )
