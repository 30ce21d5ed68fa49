"""import_measurements: load a CSV of measurements, all or nothing, with a progress bar."""

import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from governance.choices import Source
from governance.csvimport import CsvFormatError, read_rows
from governance.services.measurements import MAX_ROWS, measurements_ingest


def _progress(done: int, total: int, width: int = 40) -> str:
    filled = int(width * done / total) if total else width
    return f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} rows read"


class Command(BaseCommand):
    """Validate every row first; write nothing unless all are valid (or with --dry-run, never)."""

    help = (
        "Import measurements from a CSV with columns pilot, metric, tier, period_start, "
        "period_end, value, sample_size. All rows are validated before anything is written."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("csv_file")
        parser.add_argument("--as-user", required=True, help="Username recorded as importer.")
        parser.add_argument("--dry-run", action="store_true", help="Validate, write nothing.")

    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["as_user"]).first()
        if user is None:
            raise CommandError(f"No user {options['as_user']!r}.")
        try:
            with open(options["csv_file"], "rb") as handle:
                rows = []
                for row in read_rows(handle):
                    rows.append(row)
                    if len(rows) % 500 == 0:
                        sys.stderr.write(_progress(len(rows), max(len(rows), 1)))
            sys.stderr.write(_progress(len(rows), len(rows)) + "\n")
        except (OSError, CsvFormatError) as error:
            raise CommandError(str(error)) from error
        written = 0
        try:
            for start in range(0, len(rows), MAX_ROWS):
                chunk = rows[start : start + MAX_ROWS]
                result = measurements_ingest(
                    rows=chunk, actor=user, source=Source.IMPORT, dry_run=True
                )
                written += result.created + result.updated
            if not options["dry_run"]:
                from django.db import transaction

                with transaction.atomic():  # all chunks or none
                    for start in range(0, len(rows), MAX_ROWS):
                        measurements_ingest(
                            rows=rows[start : start + MAX_ROWS], actor=user, source=Source.IMPORT
                        )
        except ValidationError as error:
            lines = "\n".join(f"  {m}" for m in error.messages[:50])
            more = len(error.messages) - 50
            raise CommandError(
                f"Nothing imported: {len(error.messages)} problem(s).\n{lines}"
                + (f"\n  ... and {more} more" if more > 0 else "")
            ) from error
        except PermissionDenied as error:
            raise CommandError(f"Nothing imported: {error}") from error
        verb = "Would write" if options["dry_run"] else "Wrote"
        self.stdout.write(f"{verb} {written} of {len(rows)} rows (the rest were unchanged).")
