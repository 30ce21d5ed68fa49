"""Shortlist drafts and entries in the admin.

ShortlistVersionAdmin is registered once, with its sign-off and publish actions,
in governance/admin/signoffs.py.
"""

from django.contrib import admin
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from vendors.choices import ShortlistStatus
from vendors.kit.admin import HistoryInline, ReadOnlyInline, ServiceAdmin, ServiceForm
from vendors.models import (
    ShortlistEntry,
    ShortlistTransition,
    ShortlistVersion,
)
from vendors.selectors import shortlist
from vendors.services.shortlist import (
    shortlist_draft_create,
    shortlist_entry_add,
    shortlist_entry_remove,
    shortlist_entry_update,
)


class ShortlistEntryInline(ReadOnlyInline):
    model = ShortlistEntry
    fields = ("vendor", "offering", "role", "allow_completion", "allow_agentic", "state", "notes")
    readonly_fields = fields

    @admin.display(description="state")
    def state(self, entry: ShortlistEntry) -> str:
        problems = shortlist.entry_problems(entry, today=timezone.localdate())
        if problems:
            return format_html(
                '<strong style="color:#b91c1c">Suspended</strong>: {}', " ".join(problems)
            )
        return mark_safe('<span style="color:#15803d">In force</span>')


class ShortlistHistoryInline(HistoryInline):
    model = ShortlistTransition


class ShortlistDraftForm(ServiceForm):
    class Meta:
        model = ShortlistVersion
        fields = ("notes",)

    def run_service(self):
        return shortlist_draft_create(
            notes=self.cleaned_data.get("notes", ""), actor=self.request.user
        )


class ShortlistVersionAdmin(ServiceAdmin):
    """Shortlist versions: a new one starts as a copy of the published version."""

    form = ShortlistDraftForm
    change_form_template = "admin/vendors/shortlistversion/change_form.html"
    list_display = ("number", "status", "entry_count", "published_at", "created_by")
    list_filter = ("status",)
    readonly_fields = (
        "number",
        "status",
        "created_by",
        "created_at",
        "published_at",
        "published_digest",
    )
    inlines = [ShortlistEntryInline, ShortlistHistoryInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entries_total=Count("entries"))

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def save_model(self, request, obj, form, change) -> None:
        if change:
            obj.save(update_fields=["notes"])

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="providers")
    def entry_count(self, version) -> int:
        return version.entries_total

    def publish_context(self, request, version: ShortlistVersion) -> dict:
        """What the top of the page shows; governance adds sign-offs."""
        problems = (
            shortlist.shortlist_violations(version)
            if version.status == ShortlistStatus.DRAFT
            else []
        )
        return {"gaps": problems, "problem_count": len(problems)}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if version is not None:
            extra_context.update(self.publish_context(request, version))
        return super().change_view(request, object_id, form_url, extra_context)


class ShortlistEntryForm(ServiceForm):
    class Meta:
        model = ShortlistEntry
        fields = (
            "version",
            "vendor",
            "offering",
            "role",
            "allow_completion",
            "allow_agentic",
            "notes",
        )

    def run_service(self):
        data = {k: self.cleaned_data.get(k) for k in self.Meta.fields}
        if self.instance.pk:
            data.pop("version")
            return shortlist_entry_update(
                entry=ShortlistEntry.objects.get(pk=self.instance.pk),
                actor=self.request.user,
                **data,
            )
        return shortlist_entry_add(actor=self.request.user, **data)


@admin.register(ShortlistEntry)
class ShortlistEntryAdmin(ServiceAdmin):
    """Entries of shortlist versions; only drafts change."""

    form = ShortlistEntryForm
    list_display = ("__str__", "version", "role", "allow_completion", "allow_agentic")
    list_filter = ("version__status", "role")
    search_fields = ("vendor__name", "offering__name")

    def delete_model(self, request, obj) -> None:
        shortlist_entry_remove(entry=obj, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for entry in queryset:
            shortlist_entry_remove(entry=entry, actor=request.user)
