"""import_measurements: load a CSV of measurements, all or nothing, with a progress bar."""

import sys

from django.db import transaction

from governance.choices import Source
from governance.csvimport import MEASUREMENT_COLUMNS, CsvImportCommand, read_rows
from governance.services.measurements import MAX_ROWS, measurements_ingest


def _progress(done: int, total: int, width: int = 40) -> str:
    filled = width * done // total if total else width
    return f"\r[{'#' * filled:<{width}}] {done}/{total} rows read"


class Command(CsvImportCommand):
    """Validate every row first; write nothing unless all are valid (or with --dry-run, never)."""

    help = (
        "Import measurements from a CSV with columns pilot, metric, tier, period_start, "
        "period_end, value, sample_size. All rows are validated before anything is written."
    )
    columns = MEASUREMENT_COLUMNS

    def read(self, path: str) -> list[dict]:
        with open(path, "rb") as handle:
            total = max(sum(1 for _ in handle) - 1, 0)  # lines less the header
        rows = []
        with open(path, "rb") as handle:
            for row in read_rows(handle, self.columns):
                rows.append(row)
                if len(rows) % 500 == 0:
                    sys.stderr.write(_progress(len(rows), total))
        sys.stderr.write(_progress(len(rows), max(total, len(rows))) + "\n")
        return rows

    def import_rows(self, rows: list[dict], user, dry_run: bool) -> str:
        chunks = [rows[i : i + MAX_ROWS] for i in range(0, len(rows), MAX_ROWS)]
        written = 0
        for chunk in chunks:  # validate every chunk before writing any
            result = measurements_ingest(rows=chunk, actor=user, source=Source.IMPORT, dry_run=True)
            written += result.created + result.updated
        if not dry_run:
            with transaction.atomic():  # all chunks or none
                for chunk in chunks:
                    measurements_ingest(rows=chunk, actor=user, source=Source.IMPORT)
        verb = "Would write" if dry_run else "Wrote"
        return f"{verb} {written} of {len(rows)} rows (the rest were unchanged)."
