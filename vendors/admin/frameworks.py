"""Frameworks in the admin: read-only, because `manage.py load_framework` is their only writer."""

from django.contrib import admin

from vendors.models import Framework, Requirement, RequirementMapping


class ReadOnlyAdmin(admin.ModelAdmin):
    """Data loaded from files: browsable, never edited here (edit the file, load a new version)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Framework)
class FrameworkAdmin(ReadOnlyAdmin):
    """Loaded framework versions; the current one is what coverage shows."""

    list_display = ("name", "slug", "version", "source", "current", "loaded_at")
    list_filter = ("current", "source")
    search_fields = ("name", "slug")


@admin.register(Requirement)
class RequirementAdmin(ReadOnlyAdmin):
    """Requirements of every loaded framework version."""

    list_display = ("ref", "title", "framework", "assessable")
    list_filter = ("framework", "assessable")
    search_fields = ("ref", "title")
    list_select_related = ("framework",)


@admin.register(RequirementMapping)
class RequirementMappingAdmin(ReadOnlyAdmin):
    """Which checklist item claims which requirement, how and why."""

    list_display = ("item", "relationship", "requirement", "framework")
    list_filter = ("relationship", "requirement__framework", "item")
    list_select_related = ("item", "requirement__framework")

    @admin.display(description="framework")
    def framework(self, obj: RequirementMapping):
        return obj.requirement.framework
