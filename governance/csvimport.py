"""Reading measurement and baseline CSV files into rows for the ingest services."""

import codecs
import csv
import io
from collections.abc import Iterator
from typing import IO

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

MEASUREMENT_COLUMNS = (
    "pilot",
    "metric",
    "tier",
    "period_start",
    "period_end",
    "value",
    "sample_size",
)


class CsvFormatError(ValueError):
    """The file is not a CSV with the expected header."""


# Python's csv module refuses a longer field with a bare csv.Error; no column of ours needs more.
MAX_FIELD_BYTES = csv.field_size_limit()


def _encoding_problem(head: bytes, error: UnicodeDecodeError) -> str:
    """Name what the file seems to be, so the person knows how to save it instead."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        found = "UTF-16 text"
    elif b"\0" in head:
        found = "a binary file (or UTF-16 text without a byte-order mark)"
    else:
        found = "text in another encoding (latin-1 or Windows-1252, perhaps)"
    return (
        f"The file is not UTF-8: byte 0x{error.object[error.start]:02x} at position "
        f"{error.start} cannot be decoded; it looks like {found}. Save it as CSV UTF-8."
    )


def read_rows(
    stream: IO[bytes] | IO[str], columns=MEASUREMENT_COLUMNS, optional=("tier",)
) -> Iterator[dict]:
    """Yield one dict per data row; sample_size as int, the rest as text.

    A file that is not UTF-8 text, a field over MAX_FIELD_BYTES or a NUL byte raise
    CsvFormatError naming the problem (and the row), before the caller writes anything.
    """
    head = b""
    if isinstance(stream.read(0), bytes):
        if stream.seekable():
            head = stream.read(4096)
            stream.seek(0)
        stream = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
    try:
        yield from _parse(stream, columns, optional)
    except UnicodeDecodeError as error:
        raise CsvFormatError(_encoding_problem(head or error.object, error)) from error
    except csv.Error as error:
        raise CsvFormatError(
            f"The file is not a readable CSV (a field over {MAX_FIELD_BYTES // 1024} KB, or "
            f"broken quoting): {error}."
        ) from error


def _parse(stream: IO[str], columns, optional) -> Iterator[dict]:
    reader = csv.DictReader(stream)
    missing = [c for c in columns if c not in (reader.fieldnames or []) and c not in optional]
    if missing:
        raise CsvFormatError(f"The CSV header lacks: {', '.join(missing)}.")
    for row in reader:
        clean = {k: (v or "").strip() for k, v in row.items() if k in columns}
        # PostgreSQL cannot store a NUL character in text, and no real value holds one.
        nul = [k for k, v in clean.items() if "\0" in v]
        if nul:
            raise CsvFormatError(
                f"Row {reader.line_num}: {', '.join(nul)} contains a NUL byte; "
                "the file is not a plain-text CSV."
            )
        size = clean.get("sample_size", "")
        clean["sample_size"] = int(size) if size.isascii() and size.isdigit() else size
        yield clean


class CsvImportCommand(BaseCommand):
    """A management command that imports one CSV, all or nothing, with a --dry-run.

    Subclasses name their `columns` and implement `import_rows`, which validates every row
    before writing and returns a one-line summary.
    """

    columns: tuple[str, ...] = ()
    optional: tuple[str, ...] = ("tier",)

    def add_arguments(self, parser) -> None:
        parser.add_argument("csv_file")
        parser.add_argument("--as-user", required=True, help="Username recorded as importer.")
        parser.add_argument("--dry-run", action="store_true", help="Validate, write nothing.")

    def import_rows(self, rows: list[dict], user, dry_run: bool) -> str:
        raise NotImplementedError

    def read(self, path: str) -> list[dict]:
        with open(path, "rb") as handle:
            return list(read_rows(handle, self.columns, self.optional))

    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["as_user"]).first()
        if user is None:
            raise CommandError(f"No user {options['as_user']!r}.")
        try:
            rows = self.read(options["csv_file"])
            summary = self.import_rows(rows, user, options["dry_run"])
        except (OSError, CsvFormatError) as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            lines = "\n".join(f"  {m}" for m in error.messages[:50])
            more = len(error.messages) - 50
            raise CommandError(
                f"Nothing imported: {len(error.messages)} problem(s).\n{lines}"
                + (f"\n  ... and {more} more" if more > 0 else "")
            ) from error
        except PermissionDenied as error:
            raise CommandError(f"Nothing imported: {error}") from error
        self.stdout.write(summary)
