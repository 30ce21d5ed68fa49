"""import_subprocessors: bring a vendor's sub-processors in line with its published list."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from vendors.models import Vendor
from vendors.services.subprocessors import subprocessors_import
from vendors.subprocessor_files import SubProcessorFileError, parse_subprocessors


class Command(BaseCommand):
    """Import a CSV or JSON sub-processor list; new entries and countries reopen residency."""

    help = (
        "Import a vendor's published sub-processor list (CSV with name, purpose, countries, "
        "data_categories; or JSON). A new sub-processor or country sends the data-residency "
        "verdict back to review and notifies legal and security."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("vendor", help="The vendor's slug.")
        parser.add_argument("path")
        parser.add_argument("--as-user", required=True, help="Username recorded as importer.")
        parser.add_argument("--source", help="Where the list was published (default: the path).")

    def handle(self, *args, vendor: str, path: str, as_user: str, source: str | None, **options):
        found = Vendor.objects.filter(slug=vendor).first()
        if found is None:
            raise CommandError(f"No vendor '{vendor}'.")
        user = get_user_model().objects.filter(username=as_user).first()
        if user is None:
            raise CommandError(f"No user '{as_user}'.")
        file = Path(path)
        fmt = file.suffix.lower().lstrip(".")
        try:
            rows = parse_subprocessors(file.read_text(encoding="utf-8"), fmt=fmt)
            changes = subprocessors_import(
                vendor=found, rows=rows, source=source or file.name, actor=user
            )
        except (OSError, SubProcessorFileError) as error:
            raise CommandError(f"{path}: {error}") from error
        except (ValidationError, PermissionDenied) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{len(rows)} sub-processors listed for {found.name}.")
        for change in changes:
            state = "settled" if change.settled_at else "awaiting review"
            self.stdout.write(f"- {change.detail} ({state})")
