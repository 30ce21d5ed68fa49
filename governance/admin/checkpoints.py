"""Checkpoint evaluations in the admin (read-only: the sweep writes them)."""

from django.contrib import admin

from governance.admin.mixins import PacketRequestAdminMixin
from governance.choices import PacketKind
from governance.models import (
    CheckpointEvaluation,
    CriterionResult,
)
from vendors.kit.admin import ReadOnlyInline


class CriterionResultInline(ReadOnlyInline):
    model = CriterionResult
    fields = ("criterion", "value", "baseline", "delta_pct", "verdict", "explanation")
    readonly_fields = fields
    show_change_link = False


@admin.register(CheckpointEvaluation)
class CheckpointEvaluationAdmin(PacketRequestAdminMixin, admin.ModelAdmin):
    """Checkpoint evaluations: computed, never edited."""

    packet_kind = PacketKind.CHECKPOINT
    actions = ["request_packet"]
    list_display = ("pilot", "checkpoint_day", "window_end", "kill_recommended", "evaluated_at")
    list_filter = ("kill_recommended",)
    readonly_fields = (
        "pilot",
        "checkpoint_day",
        "window_start",
        "window_end",
        "kill_recommended",
        "evaluated_at",
        "evaluated_by",
    )
    inlines = [CriterionResultInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
