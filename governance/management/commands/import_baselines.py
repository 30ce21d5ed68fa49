"""import_baselines: load a CSV of pilot baselines, all or nothing."""

from governance.csvimport import CsvImportCommand
from governance.services.pilots import BASELINE_COLUMNS, baselines_import


class Command(CsvImportCommand):
    """Validate every row first; write nothing unless all are valid (or with --dry-run, never)."""

    help = (
        "Import baselines from a CSV with columns pilot, metric, tier, value, sample_size, "
        "period_start, period_end. Pilots must not be frozen yet."
    )
    columns = BASELINE_COLUMNS

    def import_rows(self, rows: list[dict], user, dry_run: bool) -> str:
        count = baselines_import(rows=rows, actor=user, dry_run=dry_run)
        return f"{'Would record' if dry_run else 'Recorded'} {count} baselines."
