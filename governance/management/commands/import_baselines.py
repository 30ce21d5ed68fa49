"""import_baselines: load a CSV of pilot baselines, all or nothing."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from governance.csvimport import CsvFormatError, read_rows
from governance.services.pilots import BASELINE_COLUMNS, baselines_import


class Command(BaseCommand):
    """Validate every row first; write nothing unless all are valid (or with --dry-run, never)."""

    help = (
        "Import baselines from a CSV with columns pilot, metric, tier, value, sample_size, "
        "period_start, period_end. Pilots must not be frozen yet."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("csv_file")
        parser.add_argument("--as-user", required=True, help="The pilot owner importing.")
        parser.add_argument("--dry-run", action="store_true", help="Validate, write nothing.")

    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["as_user"]).first()
        if user is None:
            raise CommandError(f"No user {options['as_user']!r}.")
        try:
            with open(options["csv_file"], "rb") as handle:
                rows = list(read_rows(handle, BASELINE_COLUMNS))
            count = baselines_import(rows=rows, actor=user, dry_run=options["dry_run"])
        except (OSError, CsvFormatError) as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            lines = "\n".join(f"  {m}" for m in error.messages[:50])
            raise CommandError(
                f"Nothing imported: {len(error.messages)} problem(s).\n{lines}"
            ) from error
        except PermissionDenied as error:
            raise CommandError(f"Nothing imported: {error}") from error
        verb = "Would record" if options["dry_run"] else "Recorded"
        self.stdout.write(f"{verb} {count} baselines.")
