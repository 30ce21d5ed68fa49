"""Sub-processors in the admin: read here, imported by command, changes settled by an action."""

from django.contrib import admin, messages

from vendors.admin.frameworks import ReadOnlyAdmin
from vendors.kit.errors import DomainError
from vendors.models import SubProcessor, SubProcessorChange
from vendors.services.subprocessors import subprocessor_change_settle


@admin.register(SubProcessor)
class SubProcessorAdmin(ReadOnlyAdmin):
    """Each vendor's sub-processors, removed ones included (written by import_subprocessors)."""

    list_display = ("name", "vendor", "purpose", "countries", "first_seen_on", "removed_on")
    list_filter = ("vendor",)
    search_fields = ("name", "purpose")
    list_select_related = ("vendor",)


@admin.register(SubProcessorChange)
class SubProcessorChangeAdmin(ReadOnlyAdmin):
    """Changes to sub-processors; settle one once data residency has been judged again."""

    list_display = ("detail", "vendor", "kind", "detected_at", "settled_at", "settled_by")
    list_filter = ("kind", "vendor", ("settled_at", admin.EmptyFieldListFilter))
    list_select_related = ("vendor", "settled_by")
    actions = ["settle"]

    def has_change_permission(self, request, obj=None) -> bool:
        # Changing means settling, and only through the action below.
        return obj is None and request.user.has_perm("vendors.change_subprocessorchange")

    @admin.action(description="Settle (data residency reviewed again)", permissions=["change"])
    def settle(self, request, queryset):
        settled = 0
        for change in queryset:
            try:
                subprocessor_change_settle(
                    change=change,
                    actor=request.user,
                    note=f"Settled in the admin by {request.user} after the residency review.",
                )
                settled += 1
            except DomainError as error:
                self.message_user(request, f"{change}: {error}", messages.WARNING)
        self.message_user(request, f"Settled {settled} change(s).")
