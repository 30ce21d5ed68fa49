"""Reading a vendor's published sub-processor list (CSV or JSON; no ORM).

CSV: a header with name, purpose, countries, data_categories (lists separated by ';').
JSON: a list of objects with the same keys (lists as JSON arrays or ';'-separated strings), or
{"subprocessors": [...]}.
"""

import csv
import io
import json
import re
from dataclasses import dataclass

COUNTRY = re.compile(r"^[A-Z]{2}$")
COLUMNS = ("name", "purpose", "countries", "data_categories")


class SubProcessorFileError(ValueError):
    """A sub-processor list that cannot be read, with the problem in plain words."""


@dataclass(frozen=True)
class SubProcessorRow:
    """One sub-processor as the vendor publishes it."""

    name: str
    purpose: str
    countries: tuple[str, ...]
    data_categories: tuple[str, ...]


def _list(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise SubProcessorFileError(f"{where} must be a list of strings or a ';'-separated string.")


def _row(raw: object, number: int) -> SubProcessorRow:
    if not isinstance(raw, dict):
        raise SubProcessorFileError(f"Row {number} is not an object.")
    name = str(raw.get("name") or "").strip()
    purpose = str(raw.get("purpose") or "").strip()
    if not name or not purpose:
        raise SubProcessorFileError(f"Row {number}: a sub-processor needs a name and a purpose.")
    countries = [c.upper() for c in _list(raw.get("countries", ""), f"Row {number}: countries")]
    if not countries:
        raise SubProcessorFileError(f"Row {number} ({name}): name at least one country.")
    bad = [c for c in countries if not COUNTRY.match(c)]
    if bad:
        raise SubProcessorFileError(
            f"Row {number} ({name}): {', '.join(bad)} is not an ISO 3166-1 alpha-2 country code."
        )
    categories = _list(raw.get("data_categories", ""), f"Row {number}: data_categories")
    return SubProcessorRow(name, purpose, tuple(sorted(set(countries))), tuple(categories))


def parse_subprocessors(text: str, *, fmt: str) -> list[SubProcessorRow]:
    """The rows of a CSV or JSON sub-processor list, checked; names are unique."""
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise SubProcessorFileError(f"Not valid JSON: {error}") from error
        if isinstance(data, dict):
            data = data.get("subprocessors")
        if not isinstance(data, list):
            raise SubProcessorFileError("Give a list of sub-processors.")
        raw_rows = data
    elif fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise SubProcessorFileError(f"The CSV lacks the columns: {', '.join(missing)}.")
        raw_rows = list(reader)
    else:
        raise SubProcessorFileError("The list is CSV or JSON.")
    rows = [_row(raw, number) for number, raw in enumerate(raw_rows, start=1)]
    names = [r.name.casefold() for r in rows]
    twice = sorted({r.name for r in rows if names.count(r.name.casefold()) > 1})
    if twice:
        raise SubProcessorFileError(f"Listed twice: {', '.join(twice)}.")
    return rows
