"""Reading measurement and baseline CSV files into rows for the ingest services."""

import csv
import io
from collections.abc import Iterator
from typing import IO

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


def read_rows(stream: IO[bytes] | IO[str], columns=MEASUREMENT_COLUMNS) -> Iterator[dict]:
    """Yield one dict per data row; sample_size as int, the rest as text."""
    if isinstance(stream.read(0), bytes):
        stream = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(stream)
    missing = [c for c in columns if c not in (reader.fieldnames or []) and c != "tier"]
    if missing:
        raise CsvFormatError(f"The CSV header lacks: {', '.join(missing)}.")
    for row in reader:
        clean = {k: (v or "").strip() for k, v in row.items() if k in columns}
        size = clean.get("sample_size", "")
        clean["sample_size"] = int(size) if size.isdigit() else size
        yield clean
