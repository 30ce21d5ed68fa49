"""GitHub Copilot usage-metrics reports (NDJSON) and the seats API's billing JSON.

Fields as documented in https://docs.github.com/en/copilot/reference/copilot-usage-metrics
(examples: .../copilot-usage-metrics/example-schema) and, for seats, GET
/orgs/{org}/copilot/billing (https://docs.github.com/en/rest/copilot/copilot-user-management).

Each record's level is told by its fields:

- user level (`user_login`): one CopilotUserDay per (day, login), login lower-cased;
- organisation or enterprise level (`daily_active_users`, or a 28-day report whose
  `day_totals` lists them): one CopilotOrgDay per (day, scope); the scope is the run's
  `scope` option when given (so a seats file and a report can share it), else the record's
  `organization_id`, else its `enterprise_id`;
- seats (`seat_breakdown`): seats_paid = total and seats_active = active_this_cycle on the
  CopilotOrgDay of the `day` option (today without it) and scope option ("org" without it).

Engaged users (accepted code or started an interaction that day) are counted from the
user-level rows of that day once they are stored, whichever file brought them, so the order
of imports does not matter; this assumes the user-level reports cover the same people as the
organisation or enterprise records, i.e. one Copilot subscription per Tollgate. A day with no
user-level rows takes the report's `total_engaged_users` (the legacy metrics API) and, in the
current reports, which carry no such count, `daily_active_users` (an upper bound).

Teams are not set here: the import service attributes CopilotUserDay rows to teams after
every import; logins with no team membership on the day are listed in the run's report.
"""

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from typing import IO, Any

import orjson
from django.db.models import Count, Q
from django.utils import timezone

from governance.importers.base import (
    UNREADABLE,
    Errors,
    ImportResult,
    LineError,
    Progress,
    as_date,
    as_int,
    batched,
    json_records,
    no_progress,
)
from governance.models import CopilotOrgDay, CopilotUserDay, ImportRun

# PositiveIntegerField is a 32-bit integer on PostgreSQL.
MAX_COUNT = 2**31 - 1
# A pretty-printed document (the seats API's answer) is read whole; it is a few hundred bytes.
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
BATCH = 1000
DEFAULT_SEAT_SCOPE = "org"

# model field -> report field
USER_COUNTS = {
    "interactions": "user_initiated_interaction_count",
    "code_generations": "code_generation_activity_count",
    "code_acceptances": "code_acceptance_activity_count",
    "loc_suggested": "loc_suggested_to_add_sum",
    "loc_added": "loc_added_sum",
}
USER_FLAGS = {"used_chat": "used_chat", "used_agent": "used_agent"}
ORG_COUNTS = {
    "daily_active_users": "daily_active_users",
    "weekly_active_users": "weekly_active_users",
    "monthly_active_users": "monthly_active_users",
    "code_generations": "code_generation_activity_count",
    "code_acceptances": "code_acceptance_activity_count",
    "loc_added": "loc_added_sum",
}
SEAT_FIELDS = ("seats_paid", "seats_active")
ENGAGED = Q(code_acceptances__gt=0) | Q(interactions__gt=0)

Key = tuple[date, str]


def import_copilot_metrics(
    run: ImportRun, stream: IO[bytes], *, progress: Progress = no_progress
) -> ImportResult:
    """Upsert Copilot user days, organisation days and seats; a repeated file changes nothing."""
    options = run.options or {}
    scope_option = str(options.get("scope") or "").strip()
    errors = Errors(run.skip_bad)
    result = ImportResult()
    users: dict[Key, dict] = {}
    orgs: dict[Key, dict] = {}
    seats: dict[Key, dict] = {}
    fallbacks: dict[Key, int] = {}
    levels: Counter = Counter()

    for line, record in _records(stream, errors):
        result.rows_read += 1
        if result.rows_read % BATCH == 0:
            progress(stream.tell())
        if record is UNREADABLE:
            continue
        if not isinstance(record, dict):
            errors.add(line, "record", "not a JSON object")
        elif "seat_breakdown" in record:
            parsed = _seat_record(record, line, errors, options, scope_option)
            if parsed:
                seats[parsed[0]] = parsed[1]
                levels["seats"] += 1
        elif "user_login" in record:
            if "team_id" in record or "slug" in record:
                errors.add(line, "record", "a user-teams record: import team membership instead")
                continue
            parsed = _user_record(record, line, errors)
            if parsed:
                users[parsed[0]] = parsed[1]
                levels["user"] += 1
        elif "day_totals" in record or "daily_active_users" in record:
            days = record.get("day_totals", [record])
            if not isinstance(days, list):
                errors.add(line, "day_totals", "not a list")
                continue
            parsed_days = [
                _org_record(day, line, errors, parent=record, scope_option=scope_option)
                for day in days
            ]
            if line in errors:
                continue
            for key, values, fallback in filter(None, parsed_days):
                orgs[key], fallbacks[key] = values, fallback
                levels["organisation"] += 1
        else:
            errors.add(
                line,
                "record",
                "not a Copilot usage-metrics record "
                "(no user_login, daily_active_users, day_totals or seat_breakdown)",
            )
    progress(stream.tell())
    errors.check(result.rows_read)
    result.errors, result.skipped = errors.items, len(errors.lines)

    created, updated = _upsert_users(run, users)
    result.created += created
    result.updated += updated
    created, updated = _upsert_orgs(run, orgs, seats, fallbacks, user_days={k[0] for k in users})
    result.created += created
    result.updated += updated
    if levels:
        result.report["records"] = dict(levels)
    return result


def _records(stream: IO[bytes], errors: Errors) -> Iterator[tuple[int, Any]]:
    """Yield (line, record) from JSON Lines, JSON arrays or one pretty-printed object; a line
    that is not JSON is recorded in `errors` and yielded as UNREADABLE."""
    if _pretty_object(stream):
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
        if len(data) > MAX_DOCUMENT_BYTES:
            raise LineError(1, "file", f"a JSON document longer than {MAX_DOCUMENT_BYTES} bytes")
        try:
            yield 1, orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
        except orjson.JSONDecodeError as error:
            raise LineError(1, "file", f"not valid JSON ({error})") from error
        return
    yield from json_records(stream, errors)


def _pretty_object(stream: IO[bytes]) -> bool:
    """Whether the file is one JSON object spread over lines (`gh api` on a terminal)."""
    start = stream.tell()
    head = stream.read(4096)
    stream.seek(start)
    first = head.removeprefix(b"\xef\xbb\xbf").lstrip().split(b"\n", 1)[0].strip()
    return first == b"{"


def _count(record: dict, name: str, line: int, errors: Errors) -> int | None:
    try:
        value = as_int(record.get(name))
    except (TypeError, ValueError) as error:
        errors.add(line, name, str(error))
        return None
    if value > MAX_COUNT:
        errors.add(line, name, f"too large: {value}")
        return None
    return value


def _counts(record: dict, fields: dict[str, str], line: int, errors: Errors) -> dict:
    return {field: _count(record, name, line, errors) for field, name in fields.items()}


def _day(record: dict, line: int, errors: Errors) -> date | None:
    try:
        return as_date(record.get("day"))
    except ValueError as error:
        errors.add(line, "day", str(error))
        return None


def _user_record(record: dict, line: int, errors: Errors) -> tuple[Key, dict] | None:
    login = str(record.get("user_login") or "").strip().lstrip("@").casefold()
    if not login:
        errors.add(line, "user_login", "required")
    elif len(login) > 100:
        errors.add(line, "user_login", "longer than 100 characters")
    day = _day(record, line, errors)
    values: dict[str, Any] = _counts(record, USER_COUNTS, line, errors)
    for field, name in USER_FLAGS.items():
        flag = record.get(name)
        if flag is not None and not isinstance(flag, bool):
            errors.add(line, name, f"not true or false: {flag!r}")
        values[field] = bool(flag)
    if line in errors:
        return None
    return (day, login), values


def _org_record(
    record: Any, line: int, errors: Errors, *, parent: dict, scope_option: str
) -> tuple[Key, dict, int] | None:
    if not isinstance(record, dict):
        errors.add(line, "day_totals", "an entry is not a JSON object")
        return None
    scope = scope_option or _scope(record) or _scope(parent)
    if not scope:
        errors.add(line, "organization_id", "no organization_id or enterprise_id: give a scope")
    elif len(scope) > 200:
        errors.add(line, "organization_id", "longer than 200 characters")
    day = _day(record, line, errors)
    values = _counts(record, ORG_COUNTS, line, errors)
    # The legacy metrics API counted engaged users; the current reports do not.
    fallback = values["daily_active_users"]
    if "total_engaged_users" in record:
        fallback = _count(record, "total_engaged_users", line, errors)
    if line in errors:
        return None
    return (day, scope), values, fallback


def _scope(record: dict) -> str:
    for name in ("organization_id", "enterprise_id"):
        if record.get(name) not in (None, ""):
            return str(record[name]).strip()
    return ""


def _seat_record(
    record: dict, line: int, errors: Errors, options: dict, scope_option: str
) -> tuple[Key, dict] | None:
    breakdown = record["seat_breakdown"]
    if not isinstance(breakdown, dict):
        errors.add(line, "seat_breakdown", "not a JSON object")
        return None
    try:
        day = as_date(options["day"]) if options.get("day") else timezone.localdate()
    except ValueError as error:
        errors.add(line, "day", str(error))
        return None
    values = {
        "seats_paid": _required_count(breakdown, "total", line, errors),
        "seats_active": _required_count(breakdown, "active_this_cycle", line, errors),
    }
    if line in errors:
        return None
    return (day, scope_option or DEFAULT_SEAT_SCOPE), values


def _required_count(record: dict, name: str, line: int, errors: Errors) -> int | None:
    if record.get(name) is None:
        errors.add(line, f"seat_breakdown.{name}", "required")
        return None
    return _count(record, name, line, errors)


def _changed(row: Any, values: dict) -> bool:
    changed = False
    for field, value in values.items():
        if getattr(row, field) != value:
            setattr(row, field, value)
            changed = True
    return changed


def _upsert_users(run: ImportRun, users: dict[Key, dict]) -> tuple[int, int]:
    fields = [*USER_COUNTS, *USER_FLAGS]
    created, changed = [], []
    # Existing rows are read a week of days at a time: one query per batch, never per row.
    for days in batched(sorted({day for day, _ in users}), 7):
        existing = {
            (row.day, row.login): row
            for row in CopilotUserDay.objects.filter(day__in=days).only("day", "login", *fields)
        }
        for key in (key for key in users if key[0] in days):
            row = existing.get(key)
            if row is None:
                created.append(
                    CopilotUserDay(day=key[0], login=key[1], import_run=run, **users[key])
                )
            elif _changed(row, users[key]):
                row.import_run = run
                changed.append(row)
    CopilotUserDay.objects.bulk_create(created, batch_size=BATCH)
    CopilotUserDay.objects.bulk_update(changed, [*fields, "import_run"], batch_size=BATCH)
    return len(created), len(changed)


def _upsert_orgs(
    run: ImportRun,
    orgs: dict[Key, dict],
    seats: dict[Key, dict],
    fallbacks: dict[Key, int],
    *,
    user_days: set[date],
) -> tuple[int, int]:
    engaged = _engaged_by_day({day for day, _ in orgs} | user_days)
    values: dict[Key, dict] = {}
    for key, counts in orgs.items():
        values[key] = {**counts, "engaged_users": engaged.get(key[0], fallbacks[key])}
    for key, seat in seats.items():
        values.setdefault(key, {}).update(seat)
    days = {day for day, _ in values} | user_days
    if not days:
        return 0, 0
    existing = {(row.day, row.scope): row for row in CopilotOrgDay.objects.filter(day__in=days)}
    # Days whose user-level rows just arrived recount engaged users on their existing
    # organisation rows, so importing the reports in either order gives the same numbers.
    for key, row in existing.items():
        if key not in values and key[0] in engaged and _has_usage(row):
            values[key] = {"engaged_users": engaged[key[0]]}
    created, changed = [], []
    for key, fields in values.items():
        row = existing.get(key)
        if row is None:
            created.append(CopilotOrgDay(day=key[0], scope=key[1], import_run=run, **fields))
        elif _changed(row, fields):
            row.import_run = run
            changed.append(row)
    CopilotOrgDay.objects.bulk_create(created, batch_size=BATCH)
    update_fields = sorted({field for fields in values.values() for field in fields})
    if changed:
        CopilotOrgDay.objects.bulk_update(changed, [*update_fields, "import_run"], batch_size=BATCH)
    return len(created), len(changed)


def _has_usage(row: CopilotOrgDay) -> bool:
    """A row that came only from a seats file has no usage to count engaged users against."""
    return bool(row.daily_active_users or row.weekly_active_users or row.monthly_active_users)


def _engaged_by_day(days: Iterable[date]) -> dict[date, int]:
    """Engaged users per day from the stored user-level rows (only days that have them)."""
    days = list(days)
    if not days:
        return {}
    return dict(
        CopilotUserDay.objects.filter(day__in=days)
        .values("day")
        .order_by()
        .annotate(engaged=Count("id", filter=ENGAGED))
        .values_list("day", "engaged")
    )
