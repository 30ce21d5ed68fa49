"""What every evidence importer shares: line errors, results, progress, and reading files.

An importer is a function `(run, stream, *, progress) -> ImportResult` registered for its
ImportKind in governance/importers/__init__.py. It validates every line first; a bad line is
named by number and field. Without `run.skip_bad` any bad line rejects the whole file
(ImportRejected); with it, the good lines are written and every skipped line is listed.
The import service (governance/services/imports.py) owns the transaction, the dry run, the
run's status and its audit entry.
"""

import codecs
import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import IO, Any

import orjson
from django.utils.dateparse import parse_date, parse_datetime

# skip_bad promises every skipped line is listed; a file with more bad lines than this is
# refused whole rather than half-described.
MAX_ERRORS = 100_000
# A line longer than this is refused before it is parsed (a hostile or corrupt file).
MAX_LINE_BYTES = 1024 * 1024

# Called now and then with the bytes of the file read so far (stream.tell() of the binary
# stream); the import service turns it into a percentage of the file's size.
Progress = Callable[[int], None]


def no_progress(done: int) -> None:
    """A progress callback that ignores the count."""


class LineError(ValueError):
    """One bad line: its number (1-based, the header is line 1 in a CSV), field and message."""

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(f"line {line}: {field}: {message}")
        self.line, self.field, self.message = line, field, message

    def as_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "message": self.message}


class ImportRejected(Exception):
    """The file has bad lines and skip_bad was not given: nothing was written."""

    def __init__(self, errors: list[LineError], rows_read: int = 0) -> None:
        super().__init__(f"{len(errors)} bad line(s)")
        self.errors = errors
        self.rows_read = rows_read


@dataclass
class ImportResult:
    """What an importer did: counts, skipped lines, and names it could not resolve."""

    rows_read: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[LineError] = field(default_factory=list)
    # e.g. {"unknown_authors": {"login": count}, "unknown_models": {"name": count}}
    report: dict[str, Any] = field(default_factory=dict)

    def unknown(self, kind: str, counts: Counter) -> None:
        """Report names seen but not resolved, with how many rows named each."""
        if counts:
            self.report[kind] = dict(counts.most_common())


class Errors:
    """Collects line errors; decides at the end whether the file is rejected."""

    def __init__(self, skip_bad: bool) -> None:
        self.skip_bad = skip_bad
        self.items: list[LineError] = []
        self.lines: set[int] = set()

    def add(self, line: int, field_name: str, message: str) -> None:
        self.lines.add(line)
        if len(self.items) >= MAX_ERRORS:
            raise ImportRejected(
                [*self.items[:999], LineError(line, "file", f"more than {MAX_ERRORS} errors")]
            )
        self.items.append(LineError(line, field_name, message))

    def __contains__(self, line: int) -> bool:
        return line in self.lines

    def check(self, rows_read: int) -> None:
        """Reject the file when it has bad lines and skipping was not asked for."""
        if self.items and not self.skip_bad:
            raise ImportRejected(self.items, rows_read)


def batched(items: Iterable, size: int) -> Iterator[tuple]:
    """Split an iterable into tuples of `size` (itertools.batched arrives in Python 3.12)."""
    iterator = iter(items)
    while chunk := tuple(islice(iterator, size)):
        yield chunk


def text_stream(stream: IO[bytes]) -> IO[str]:
    """Decode UTF-8 (with or without a BOM); any other encoding is a line error, not a 500."""
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")


def sniff(stream: IO[bytes]) -> bytes:
    """Return the first non-blank byte of a seekable stream without consuming it."""
    start = stream.tell()
    head = stream.read(4096)
    stream.seek(start)
    head = head.removeprefix(codecs.BOM_UTF8)
    return head.lstrip()[:1]


# Yielded in place of a JSON Lines line that could not be read (its error is recorded).
UNREADABLE = object()


def json_records(stream: IO[bytes], errors: "Errors | None" = None) -> Iterator[tuple[int, Any]]:
    """Yield (line, record) from JSON Lines, one JSON array, or the concatenated JSON arrays
    that `gh api --paginate` writes (one per page). For an array file the line is the
    record's position (1-based), since a pretty-printed record spans many lines.

    A JSON Lines line that is not JSON (or not UTF-8) is recorded in `errors` and yielded as
    UNREADABLE, so every bad line is named and skip_bad can go on past it; without `errors`
    it raises LineError. An array file that does not parse always raises.
    """
    if sniff(stream) == b"[":
        data = stream.read()
        try:
            pages = _json_arrays(data)
        except ValueError as error:
            raise LineError(1, "file", f"not a JSON array or JSON Lines: {error}") from error
        position = 0
        for page in pages:
            for record in page:
                position += 1
                yield position, record
        return
    for number, raw in enumerate(stream, start=1):
        raw = raw.strip()
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if not raw:
            continue
        problem = None
        if len(raw) > MAX_LINE_BYTES:
            problem = f"longer than {MAX_LINE_BYTES} bytes"
        else:
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                text = str(error)
                problem = "not UTF-8 text" if "UTF-8" in text else f"not valid JSON ({text})"
        if problem is None:
            yield number, record
        elif errors is None:
            raise LineError(number, "line", problem)
        else:
            errors.add(number, "line", problem)
            yield number, UNREADABLE


def _json_arrays(data: bytes) -> list[list]:
    """Parse one or more JSON arrays written back to back (`gh api --paginate` pages)."""
    text = data.decode("utf-8-sig")
    decoder = __import__("json").JSONDecoder()
    pages, index = [], 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return pages
        page, index = decoder.raw_decode(text, index)
        if not isinstance(page, list):
            raise ValueError("a page is not a JSON array")
        pages.append(page)


def csv_rows(stream: IO[bytes], required: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    """Yield (line, row) from a UTF-8 CSV whose header names at least `required`."""
    text = text_stream(stream)
    try:
        reader = csv.DictReader(text)
        header = reader.fieldnames or []
    except UnicodeDecodeError as error:
        raise LineError(1, "file", "not UTF-8 text") from error
    missing = [name for name in required if name not in header]
    if missing:
        raise LineError(1, "header", f"lacks {', '.join(missing)}")
    try:
        for row in reader:
            # reader.line_num counts physical lines, so quoted newlines keep numbers honest.
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}
    except UnicodeDecodeError as error:
        raise LineError(reader.line_num + 1, "line", "not UTF-8 text") from error
    except csv.Error as error:
        raise LineError(reader.line_num, "line", str(error)) from error


def as_datetime(value: Any) -> datetime:
    """Parse an ISO-8601 time; a naive one is taken as UTC. Raises ValueError."""
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value or "").strip().replace(" ", "T", 1)
        parsed = parse_datetime(text) if text else None
        if parsed is None:
            day = parse_date(text) if text else None
            if day is None:
                raise ValueError(f"not a date and time: {value!r}")
            parsed = datetime(day.year, day.month, day.day)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_date(value: Any) -> date:
    """Parse an ISO-8601 date (or the date of a time). Raises ValueError."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = str(value or "").strip()
    parsed = parse_date(text[:10]) if text else None
    if parsed is None:
        raise ValueError(f"not a date: {value!r}")
    return parsed


def as_int(value: Any, default: int | None = 0) -> int:
    """Parse a non-negative whole number; empty gives the default. Raises ValueError."""
    if value in (None, ""):
        if default is None:
            raise ValueError("required")
        return default
    if isinstance(value, bool):
        raise ValueError(f"not a whole number: {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    number = int(str(value).strip())
    if number < 0:
        raise ValueError(f"negative: {number}")
    return number


def as_decimal(value: Any, default: Decimal | None = Decimal(0)) -> Decimal:
    """Parse a non-negative decimal (money is never a float). Raises ValueError."""
    if value in (None, ""):
        if default is None:
            raise ValueError("required")
        return default
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise ValueError(f"not a number: {value!r}") from error
    if not number.is_finite() or number < 0:
        raise ValueError(f"not a non-negative number: {value!r}")
    return number
