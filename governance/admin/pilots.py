"""Pilots, teams, metrics and baselines in the admin."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from governance.admin.mixins import CsvImportAdminMixin, PacketRequestAdminMixin, SignOffAdminMixin
from governance.choices import PacketKind, SubjectKind
from governance.models import (
    Baseline,
    KillCriterion,
    Metric,
    Pilot,
    PilotTransition,
    Team,
)
from governance.services.pilots import BASELINE_COLUMNS, baselines_import, pilot_approve
from vendors.kit.admin import HistoryInline, ReadOnlyInline, run_action


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "cost_centre", "headcount")
    search_fields = ("name", "cost_centre")


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    """The metric catalog: seeded, read-only to roles."""

    list_display = ("code", "name", "unit", "direction", "core", "tiered")


class BaselineInline(ReadOnlyInline):
    model = Baseline
    fields = ("metric", "tier", "value", "sample_size", "period_start", "period_end", "source")
    readonly_fields = fields


class KillCriterionInline(ReadOnlyInline):
    model = KillCriterion
    fields = ("plain_words",)
    readonly_fields = fields


class PilotHistoryInline(HistoryInline):
    model = PilotTransition


@admin.register(Pilot)
class PilotAdmin(PacketRequestAdminMixin, SignOffAdminMixin, admin.ModelAdmin):
    """Pilots (edited on the pilot pages, where every gate is explained)."""

    subject_kind = SubjectKind.PILOT
    packet_kind = PacketKind.PILOT_CHARTER
    list_display = (
        "title",
        "owner",
        "offering",
        "status",
        "outcome",
        "kill_recommended",
        "planned_start",
    )
    list_filter = ("status", "agentic", "kill_recommended")
    search_fields = ("title", "use_case", "owner__username")
    readonly_fields = [f.name for f in Pilot._meta.fields] + ["teams_list", "page"]
    exclude = ("teams",)
    inlines = [BaselineInline, KillCriterionInline, PilotHistoryInline]
    actions = ["sign_approve", "approve", "request_packet"]

    def has_add_permission(self, request) -> bool:
        return False  # registered on the pilot pages

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="teams")
    def teams_list(self, pilot) -> str:
        return ", ".join(t.name for t in pilot.teams.all())

    @admin.display(description="pilot page")
    def page(self, pilot) -> str:
        return format_html('<a href="{}">open</a>', reverse("pilot-page", args=[pilot.pk]))

    @admin.action(
        description="Approve (shortlist gate and sign-offs checked)", permissions=["approve"]
    )
    def approve(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda p: pilot_approve(pilot=p, actor=request.user),
            "Approved",
        )

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("governance.approve_pilot")


@admin.register(Baseline)
class BaselineAdmin(CsvImportAdminMixin, admin.ModelAdmin):
    """Baselines (recorded on the pilot page, the API or by CSV import)."""

    import_columns = BASELINE_COLUMNS
    list_display = (*BASELINE_COLUMNS, "source")
    list_filter = ("source", "metric")
    list_select_related = ("pilot", "metric")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def run_import(self, request, rows, dry_run) -> str:
        count = baselines_import(rows=rows, actor=request.user, dry_run=dry_run)
        return f"{'Would record' if dry_run else 'Recorded'} {count} baselines."
