"""Measurements in the admin: a changelist sized for millions of rows, CSV import."""

from django.contrib import admin

from governance.admin.mixins import CsvImportAdminMixin, EstimatedCountPaginator
from governance.choices import Source
from governance.csvimport import MEASUREMENT_COLUMNS
from governance.models import (
    Measurement,
)
from governance.services.measurements import measurements_ingest


@admin.register(Measurement)
class MeasurementAdmin(CsvImportAdminMixin, admin.ModelAdmin):
    """Measurements (written by telemetry, the API or CSV import; read-only here)."""

    import_columns = MEASUREMENT_COLUMNS
    list_display = (*MEASUREMENT_COLUMNS, "source", "recorded_at")
    list_filter = ("source", "metric", "tier")
    search_fields = ("pilot__title",)
    list_select_related = ("pilot", "metric")
    # Millions of rows: no second COUNT(*) of the whole table, and an estimated page count.
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def run_import(self, request, rows, dry_run) -> str:
        result = measurements_ingest(
            rows=rows, actor=request.user, source=Source.IMPORT, dry_run=dry_run
        )
        verb = "Would write" if dry_run else "Imported"
        return (
            f"{verb}: {result.created} new, {result.updated} updated, {result.unchanged} unchanged."
        )
