"""What the evidence import commands share: the user, the run, a progress bar, the summary.

A command names its ImportKind in `kind`, adds its own arguments in `add_import_arguments`
and turns them into the run's options in `import_options`; everything else happens here,
through the import service, exactly as an upload through the API would.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from governance.models.evidence import ImportRun, ImportStatus
from governance.services.imports import import_create, import_execute

# How many error lines and report entries the summary prints; the run keeps them all.
SHOWN = 50


class EvidenceImportCommand(BaseCommand):
    """Import one file (or one API sync) through import_create and import_execute."""

    kind: str = ""
    # False for kinds that read no file (an API sync): then there is no PATH argument.
    takes_path = True
    progress_unit = "B"

    def add_arguments(self, parser) -> None:
        """The arguments every evidence import takes, then the command's own."""
        if self.takes_path:
            parser.add_argument("path", help="The file to import.")
        parser.add_argument("--as-user", required=True, help="Username recorded as importer.")
        parser.add_argument("--dry-run", action="store_true", help="Validate, write nothing.")
        parser.add_argument(
            "--skip-bad", action="store_true", help="Import the good lines, list the bad ones."
        )
        self.add_import_arguments(parser)

    def add_import_arguments(self, parser) -> None:
        """Hook: the command's own arguments."""

    def import_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """Hook: the run's options (repository, organisation, format) from the arguments."""
        return {}

    def handle(self, *args, **options) -> None:
        """Record the run, execute it with a progress bar, print what it did."""
        user = get_user_model().objects.filter(username=options["as_user"]).first()
        if user is None:
            raise CommandError(f"No user {options['as_user']!r}.")
        try:
            run = import_create(
                kind=self.kind,
                actor=user,
                path=options["path"] if self.takes_path else None,
                options=self.import_options(options),
                dry_run=options["dry_run"],
                skip_bad=options["skip_bad"],
            )
        except OSError as error:
            raise CommandError(f"Cannot read {options.get('path')}: {error.strerror}") from error
        except (PermissionDenied, ValidationError) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError(f"Nothing imported: {' '.join(messages)}") from error
        run = self.execute_run(run, quiet=options["verbosity"] == 0)
        self.summarise(run)
        if run.status == ImportStatus.FAILED:
            raise CommandError(f"Import failed: {len(run.errors)} error(s); nothing written.")

    def execute_run(self, run: ImportRun, *, quiet: bool) -> ImportRun:
        """Execute the run, drawing a progress bar on stderr."""
        # tqdm redraws with carriage returns; Django's OutputWrapper would add newlines.
        stream = getattr(self.stderr, "_out", self.stderr)
        with tqdm(
            file=stream, disable=quiet, unit=self.progress_unit, unit_scale=True, leave=False
        ) as bar:

            def progress(done: int, total: int) -> None:
                """Move the bar to `done` of `total` (bytes, or records for a sync)."""
                if total and bar.total != total:
                    bar.total = total
                bar.update(max(done - bar.n, 0))

            return import_execute(run_id=run.pk, progress=progress)

    def summarise(self, run: ImportRun) -> None:
        """Print the counts, every error (up to SHOWN) by line, and the unknown names."""
        write = self.stdout.write
        title = f"{run.get_kind_display()} {run.file_name}".rstrip()
        status = run.get_status_display().lower()
        if run.dry_run and run.status == ImportStatus.SUCCEEDED:
            status += " (dry run: nothing written)"
        write(f"{title}: {status}")
        write(
            f"  rows read {run.rows_read}, created {run.created}, updated {run.updated}, "
            f"skipped {run.skipped}"
        )
        if run.errors:
            label = "skipped lines" if run.status == ImportStatus.SUCCEEDED else "errors"
            write(f"  {label} ({len(run.errors)}):")
            for error in run.errors[:SHOWN]:
                write(f"    line {error['line']}: {error['field']}: {error['message']}")
            if len(run.errors) > SHOWN:
                write(f"    ... and {len(run.errors) - SHOWN} more (see the import run)")
        for kind, counts in sorted(run.report.items()):
            items = list(counts.items()) if isinstance(counts, dict) else []
            shown = ", ".join(f"{name} ({count})" for name, count in items[:SHOWN])
            more = f", ... and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
            write(f"  {kind.replace('_', ' ')}: {shown}{more}")
