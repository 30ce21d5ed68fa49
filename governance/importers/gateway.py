"""AI-gateway spend logs: LiteLLM's spend-log rows (CSV or JSON Lines), or any gateway's CSV
read through a column mapping (docs/gateway-mapping.md).

Every request is kept once (GatewayRequest.request_id is unique), so a re-imported or
overlapping file adds only the requests it has not seen. The days that gained requests are
rolled up again in SQL (GatewayDaily), and their months' inference spend is written to the
ledger per team, vendor and routing tier.

SQL is built from this module's own column names (staging columns c0, c1, ...), never from
the file's text, which only ever travels as COPY data or as query parameters.

On PostgreSQL a LiteLLM CSV is COPYed as text into a temporary staging table and validated,
mapped and inserted in SQL; everything else (SQLite, JSON Lines, mapped CSVs, and a CSV that
COPY refuses) is parsed line by line in Python. Both give the same rows, errors and reports.
"""

import csv
import io
import re
from collections import Counter, defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO, Any

import orjson
from django.db import DataError, connection, transaction
from django.db.models import Sum
from django.db.models.functions import TruncMonth

from governance.choices import Source as SpendSource
from governance.choices import SpendCategory, SpendScope
from governance.importers.base import (
    Errors,
    ImportResult,
    LineError,
    Progress,
    as_datetime,
    batched,
    csv_rows,
    json_records,
    no_progress,
    sniff,
)
from governance.models import GatewayDaily, GatewayRequest, ImportRun, ModelAlias, Spend, Team
from governance.models.evidence import TeamMember
from governance.services.gateway_months import gateway_months_refresh
from vendors.choices import Currency
from vendors.kit.audit import acting_as
from vendors.models import ModelVersion

FORMATS = ("litellm", "csv")
LEDGER_REFERENCE = "gateway logs"
MAX_KEY = 200
MAX_SPEND = Decimal(10) ** 8  # GatewayRequest.spend holds 16 digits, 8 after the point
MAX_BIGINT = 2**63 - 1
EIGHT_PLACES = Decimal("0.00000001")
CENTS = Decimal("0.01")
TRUE_WORDS = {"true", "t", "1", "yes"}

# LiteLLM_SpendLogs columns this importer reads; others in the file are ignored.
LITELLM_COLUMNS = (
    "request_id",
    "startTime",
    "model",
    "model_group",
    "spend",
    "prompt_tokens",
    "completion_tokens",
    "cache_read_input_tokens",
    "api_key",
    "user",
    "end_user",
    "team_id",
    "metadata",
    "request_tags",
    "cache_hit",
    "status",
)
LITELLM_REQUIRED = ("request_id", "startTime", "model", "spend")
# Where LiteLLM versions have put cache-read tokens inside metadata, first found wins.
CACHED_PATHS = (
    ("usage_object", "prompt_tokens_details", "cached_tokens"),
    ("usage_object", "cache_read_input_tokens"),
    ("additional_usage_values", "cache_read_input_tokens"),
)
TEAM_ALIAS = "user_api_key_team_alias"

# Generic CSV: mapping target -> the column named in the mapping file.
MAPPING_TARGETS = (
    "request_id",
    "started_at",
    "model",
    "spend",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "team",
    "user",
    "api_key_hash",
    "tags",
    "cache_hit",
    "status",
    "currency",
)
MAPPING_REQUIRED = ("request_id", "started_at", "model", "spend")
# A mapped row is read as a LiteLLM row with these names, so one validator serves both.
MAPPED_AS = {
    "request_id": "request_id",
    "started_at": "startTime",
    "model": "model",
    "spend": "spend",
    "input_tokens": "prompt_tokens",
    "cached_tokens": "cache_read_input_tokens",
    "output_tokens": "completion_tokens",
    "team": "team_id",
    "user": "user",
    "api_key_hash": "api_key",
    "tags": "request_tags",
    "cache_hit": "cache_hit",
    "status": "status",
    "currency": "currency",
}


def _canonical(name: str) -> str:
    return name.strip().lower().replace("_", "")


CANONICAL = {_canonical(name): name for name in LITELLM_COLUMNS}


@dataclass
class Row:
    """One validated request, before its model and team are resolved."""

    line: int
    request_id: str
    started_at: datetime
    day: date
    model: str
    model_group: str
    team_id: str
    alias: str
    user: str
    api_key_hash: str
    tags: list
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    spend: Decimal
    currency: str
    cache_hit: bool
    status: str


@dataclass
class Added:
    """What the new requests of this import were: per day, and what could not be resolved."""

    created: int = 0
    days: set[date] = field(default_factory=set)
    unknown_models: Counter = field(default_factory=Counter)
    unknown_teams: Counter = field(default_factory=Counter)
    outside_ledger: int = 0
    outside_ledger_spend: Decimal = Decimal(0)

    def add(self, *, day, model, mv_missing, team_label, count, spend) -> None:
        """Count one group of new requests."""
        self.created += count
        self.days.add(day)
        if mv_missing:
            self.unknown_models[model] += count
        if team_label is not None:
            self.unknown_teams[team_label] += count
        if mv_missing or team_label is not None:
            self.outside_ledger += count
            self.outside_ledger_spend += Decimal(spend or 0)


def _team_label(team_key: str, user: str) -> str:
    return team_key or (f"user:{user}" if user else "(none)")


# --- resolving models and teams --------------------------------------------------------------

_PROVIDER = re.compile(r"^.*/")
_VENDOR_DOTS = re.compile(r"^([a-z]+\.)+")
_SUFFIX = re.compile(r"(-v\d+(:\d+)?)$")
_DATE = re.compile(r"[-@]\d{8}$")


def _normal(name: str) -> str:
    """bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0 -> claude-sonnet-4-5."""
    name = _PROVIDER.sub("", name.strip().lower())
    name = _VENDOR_DOTS.sub("", name)
    name = _SUFFIX.sub("", name)
    return _DATE.sub("", name)


class Resolver:
    """Model names to model versions, gateway team keys and people to teams."""

    def __init__(self) -> None:
        self.aliases = {
            a.name: a.model_version for a in ModelAlias.objects.select_related("model_version")
        }
        keys: dict[str, set] = defaultdict(set)
        self.versions = {mv.pk: mv for mv in ModelVersion.objects.all()}
        for mv in self.versions.values():
            for key in (f"{mv.family}-{mv.version}", f"{mv.family}:{mv.version}"):
                keys[key.lower()].add(mv.pk)
                keys[key.lower().replace(".", "-")].add(mv.pk)
        # Two vendors listing the same family and version: the name alone cannot tell them
        # apart, so it stays unknown until someone adds a ModelAlias.
        self.normal = {key: ids.pop() for key, ids in keys.items() if len(ids) == 1}
        self.teams: dict[str, int] = {}
        teams = list(Team.objects.all())
        for team in teams:
            if team.gateway_key:
                self.teams.setdefault(team.gateway_key.lower(), team.pk)
        for team in teams:
            self.teams.setdefault(team.name.lower(), team.pk)
        self._models: dict[tuple[str, str], ModelVersion | None] = {}

    def model(self, name: str, group: str) -> ModelVersion | None:
        """An alias first (the logged name, then the model group), then the normalised name."""
        key = (name, group)
        if key not in self._models:
            found = self.aliases.get(name) or (self.aliases.get(group) if group else None)
            for candidate in (name, group):
                if found is None and candidate:
                    base = _normal(candidate)
                    pk = self.normal.get(base) or self.normal.get(base.replace(".", "-"))
                    found = self.versions.get(pk) if pk else None
            self._models[key] = found
        return self._models[key]

    def team(self, team_id: str, alias: str) -> int | None:
        """The gateway's team id, then its alias, against Team.gateway_key, then Team.name."""
        for key in (team_id, alias):
            if key and key.lower() in self.teams:
                return self.teams[key.lower()]
        return None

    def members(self, pairs: set[tuple[str, date]]) -> dict[tuple[str, date], int]:
        """The team each person belonged to on each day (as governance.services.evidence)."""
        users = {user for user, _ in pairs}
        if not users or not TeamMember.objects.exists():
            return {}
        spans = defaultdict(list)
        for login, team_id, start, end in (
            TeamMember.objects.filter(login__in=users)
            .order_by("-valid_from", "-id")
            .values_list("login", "team_id", "valid_from", "valid_to")
        ):
            spans[login].append((team_id, start, end))
        found = {}
        for user, day in pairs:
            for team_id, start, end in spans.get(user, ()):
                if start <= day and (end is None or end >= day):
                    found[(user, day)] = team_id
                    break
        return found


# --- the importer ----------------------------------------------------------------------------


def import_gateway_logs(
    run: ImportRun, stream: IO[bytes], *, progress: Progress = no_progress
) -> ImportResult:
    """Add the requests not seen before, roll their days up again and write their months'
    inference spend to the ledger (replacing hand-entered rows for the same key)."""
    options = run.options or {}
    fmt = options.get("format") or "litellm"
    if fmt not in FORMATS:
        raise LineError(1, "format", f"choose one of: {', '.join(FORMATS)}")
    currency = (options.get("currency") or Currency.USD).upper()
    if currency not in Currency.values:
        raise LineError(1, "currency", f"choose one of: {', '.join(Currency.values)}")
    mapping = _mapping(options.get("mapping")) if fmt == "csv" else None
    resolver = Resolver()
    result = ImportResult()
    re_resolved, re_days = _re_resolve(resolver)
    added = None
    jsonl = sniff(stream) in (b"{", b"[")
    if connection.vendor == "postgresql" and fmt == "litellm" and not jsonl:
        added = _postgres_csv(run, stream, resolver, currency, result, progress)
    if added is None:
        stream.seek(0)
        added = _python(run, stream, resolver, currency, result, progress, fmt, mapping, jsonl)
    result.created = added.created
    result.unknown("unknown_models", added.unknown_models)
    result.unknown("unknown_teams", added.unknown_teams)
    result.report["already_imported"] = result.rows_read - result.skipped - added.created
    if added.outside_ledger:
        result.report["not_in_ledger"] = {
            "requests": added.outside_ledger,
            "spend": str(added.outside_ledger_spend.quantize(CENTS, ROUND_HALF_UP)),
            "why": "no team or no known model version",
        }
    result.report["re_resolved"] = re_resolved
    days = added.days | re_days
    roll_up(days=days)
    result.report["days_rolled_up"] = len(days)
    _ledger(run, days, result)
    return result


def _re_resolve(resolver: Resolver) -> tuple[int, set[date]]:
    """Resolve again the stored requests that had no model version or no team, against the
    catalog, aliases and teams as they are now; return how many requests changed and their
    days (to roll up again, with their ledger months).

    The daily roll-ups say where to look: a roll-up without a version holds only requests
    without one, and an unknown team's roll-up keeps the key the gateway logged. So the
    unresolved names and keys come from GatewayDaily, and each resolvable one is one UPDATE
    restricted to its days (the requests' day index), never a scan of every request. (One
    name resolved on a day through one model group but not through another rolls up with a
    version; its unresolved requests that day are not found here.) A stored request keeps
    its logged model name but not its model group, so only the name (an alias, then the
    normalised name) is matched; a team key is matched against Team.gateway_key, then
    Team.name. Requests with no team key are attributed through their person's membership
    (governance.services.evidence).
    """
    models: dict[str, set[date]] = defaultdict(set)
    for name, day in (
        GatewayDaily.objects.filter(model_version__isnull=True)
        .values_list("model", "day")
        .order_by()
    ):
        models[name].add(day)
    keys: dict[str, set[date]] = defaultdict(set)
    for key, day in (
        GatewayDaily.objects.filter(team__isnull=True)
        .exclude(team_key="")
        .values_list("team_key", "day")
        .order_by()
    ):
        keys[key].add(day)
    versions = {name: found for name in models if (found := resolver.model(name, ""))}
    teams = {key: found for key in keys if (found := resolver.team(key, ""))}
    if not versions and not teams:
        return 0, set()
    model_days = set().union(*(models[name] for name in versions))
    team_days = set().union(*(keys[key] for key in teams))
    both = 0
    # A request resolved twice (model and team) counts once.
    for chunk in batched(sorted(model_days & team_days), 500):
        both += GatewayRequest.objects.filter(
            model_version__isnull=True,
            team__isnull=True,
            model__in=list(versions),
            team_key__in=list(teams),
            day__in=chunk,
        ).count()
    changed = 0
    for name, version in versions.items():
        for chunk in batched(sorted(models[name]), 500):
            changed += GatewayRequest.objects.filter(
                model_version__isnull=True, model=name, day__in=chunk
            ).update(model_version_id=version.pk, tier=version.tier)
    for key, team_id in teams.items():
        for chunk in batched(sorted(keys[key]), 500):
            changed += GatewayRequest.objects.filter(
                team__isnull=True, team_key=key, day__in=chunk
            ).update(team_id=team_id)
    return changed - both, model_days | team_days


def _mapping(mapping: Any) -> dict[str, dict]:
    """Check a generic CSV's mapping: target -> column, or {"column": ..., "scale": ...}."""
    if not isinstance(mapping, dict) or not mapping:
        raise LineError(1, "mapping", "a CSV import needs a mapping of target -> column")
    unknown = sorted(set(mapping) - set(MAPPING_TARGETS))
    if unknown:
        raise LineError(1, "mapping", f"unknown target(s) {', '.join(unknown)}")
    missing = [name for name in MAPPING_REQUIRED if name not in mapping]
    if missing:
        raise LineError(1, "mapping", f"lacks {', '.join(missing)}")
    checked = {}
    for target, source in mapping.items():
        spec = source if isinstance(source, dict) else {"column": source}
        if not isinstance(spec.get("column"), str) or not spec["column"]:
            raise LineError(1, "mapping", f"{target}: name a column")
        try:
            scale = Decimal(str(spec.get("scale", 1)))
        except InvalidOperation as error:
            raise LineError(1, "mapping", f"{target}: scale is not a number") from error
        checked[target] = {"column": spec["column"], "scale": scale}
    return checked


# --- the Python path -------------------------------------------------------------------------


def _records(stream, fmt: str, mapping, jsonl: bool):
    """Yield (line, LiteLLM-named record) whatever the file's format."""
    if fmt == "csv":
        for line, row in csv_rows(stream, tuple(spec["column"] for spec in mapping.values())):
            record = {MAPPED_AS[t]: row.get(spec["column"], "") for t, spec in mapping.items()}
            scale = mapping["spend"]["scale"]
            if scale != 1 and record["spend"]:
                # A value that is not a number is left as written, so the validator names it.
                with suppress(InvalidOperation):
                    record["spend"] = str(Decimal(record["spend"]) * scale)
            yield line, record
        return
    if jsonl:
        for line, record in json_records(stream):
            if not isinstance(record, dict):
                raise LineError(line, "line", "not a JSON object")
            yield line, {CANONICAL.get(_canonical(k), k): v for k, v in record.items()}
        return
    header_checked = False
    for line, row in csv_rows(stream, ()):
        record = {CANONICAL.get(_canonical(k), k): v for k, v in row.items()}
        if not header_checked:
            _check_header(record.keys())
            header_checked = True
        yield line, record


def _check_header(names) -> None:
    missing = [name for name in LITELLM_REQUIRED if name not in names]
    if missing:
        raise LineError(1, "header", f"lacks {', '.join(missing)}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    return orjson.dumps(value).decode()


def _whole(value: Any) -> int:
    """A token count: empty is 0. Raises ValueError with the message shown to the user."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ValueError("not a whole number")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        number = int(str(value).strip())
    except ValueError as error:
        raise ValueError("not a whole number") from error
    if number < 0:
        raise ValueError("negative")
    if number > MAX_BIGINT:
        raise ValueError("not a whole number")
    return number


def _money(value: Any) -> Decimal:
    if value is None or _text(value) == "":
        raise ValueError("required")
    try:
        number = Decimal(_text(value))
    except InvalidOperation as error:
        raise ValueError("not a number") from error
    if not number.is_finite():
        raise ValueError("not a number")
    if number < 0:
        raise ValueError("negative")
    if number >= MAX_SPEND:
        raise ValueError("too large")
    return number.quantize(EIGHT_PLACES, ROUND_HALF_UP)


def _json(value: Any) -> Any:
    """A JSON column: CSV holds it as text, JSON Lines as itself."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError as error:
        raise ValueError("not JSON") from error


def _cached_in(metadata: dict) -> int | None:
    for path in CACHED_PATHS:
        node: Any = metadata
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, int | float) and not isinstance(node, bool):
            rounded = Decimal(str(node)).quantize(Decimal(1), ROUND_HALF_UP)
            return int(min(max(rounded, 0), Decimal(9 * 10**18)))
    return None


def _row(line: int, record: dict, errors: Errors, currency: str) -> Row | None:
    """Validate one LiteLLM-named record; every bad field is recorded against its line."""

    def key(name: str) -> str:
        value = _text(record.get(name))
        if not value:
            errors.add(line, name, "required")
        elif len(value) > MAX_KEY:
            errors.add(line, name, f"longer than {MAX_KEY} characters")
        return value

    request_id = key("request_id")
    started_at = None
    start = _text(record.get("startTime"))
    if not start:
        errors.add(line, "startTime", "required")
    else:
        try:
            if not start[0].isdigit():
                raise ValueError
            started_at = as_datetime(start)
        except ValueError:
            errors.add(line, "startTime", "not a date and time")
    model = key("model")
    spend = None
    try:
        spend = _money(record.get("spend"))
    except ValueError as error:
        errors.add(line, "spend", str(error))
    counts = {}
    for name in ("prompt_tokens", "completion_tokens", "cache_read_input_tokens"):
        try:
            counts[name] = _whole(record.get(name))
        except ValueError as error:
            errors.add(line, name, str(error))
    metadata, tags = {}, []
    try:
        parsed = _json(record.get("metadata"))
        metadata = parsed if isinstance(parsed, dict) else {}
    except ValueError as error:
        errors.add(line, "metadata", str(error))
    try:
        parsed = _json(record.get("request_tags"))
        tags = parsed if isinstance(parsed, list) else []
    except ValueError as error:
        errors.add(line, "request_tags", str(error))
    row_currency = _text(record.get("currency")).upper() or currency
    if row_currency not in Currency.values:
        errors.add(line, "currency", f"choose one of: {', '.join(Currency.values)}")
    if line in errors:
        return None
    cached = None
    if _text(record.get("cache_read_input_tokens")):
        cached = counts["cache_read_input_tokens"]
    if cached is None:
        cached = _cached_in(metadata)
    alias = _text(metadata.get(TEAM_ALIAS))
    team_id = _text(record.get("team_id"))
    return Row(
        line=line,
        request_id=request_id,
        started_at=started_at,
        day=started_at.astimezone(UTC).date(),
        model=model,
        model_group=_text(record.get("model_group")),
        team_id=team_id,
        alias=alias,
        user=(_text(record.get("user")) or _text(record.get("end_user")))[:MAX_KEY],
        api_key_hash=_text(record.get("api_key"))[:128],
        tags=tags,
        input_tokens=counts["prompt_tokens"],
        cached_tokens=cached or 0,
        output_tokens=counts["completion_tokens"],
        spend=spend,
        currency=row_currency,
        cache_hit=_text(record.get("cache_hit")).lower() in TRUE_WORDS,
        status=_text(record.get("status"))[:32],
    )


def _python(run, stream, resolver, currency, result, progress, fmt, mapping, jsonl) -> Added:
    """Parse every line in Python, then add the requests not already stored."""
    errors = Errors(run.skip_bad)
    rows: dict[str, Row] = {}
    for line, record in _records(stream, fmt, mapping, jsonl):
        result.rows_read += 1
        row = _row(line, record, errors, currency)
        # The first line with an id wins, as the first insert does on PostgreSQL.
        if row is not None and row.request_id not in rows:
            rows[row.request_id] = row
        if result.rows_read % 1000 == 0:
            progress(stream.tell())
    errors.check(result.rows_read)
    result.errors, result.skipped = errors.items, len(errors.lines)

    ids = list(rows)
    stored = set()
    for start in range(0, len(ids), 900):
        stored.update(
            GatewayRequest.objects.filter(request_id__in=ids[start : start + 900]).values_list(
                "request_id", flat=True
            )
        )
    new = [row for row in rows.values() if row.request_id not in stored]
    pending = {(r.user, r.day) for r in new if r.user and resolver.team(r.team_id, r.alias) is None}
    members = resolver.members(pending)
    added, objects = Added(), []
    groups: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for row in new:
        version = resolver.model(row.model, row.model_group)
        team = resolver.team(row.team_id, row.alias) or members.get((row.user, row.day))
        team_key = (row.alias or row.team_id)[:MAX_KEY]
        objects.append(
            GatewayRequest(
                request_id=row.request_id,
                started_at=row.started_at,
                day=row.day,
                model=row.model,
                model_version=version,
                tier=version.tier if version else "",
                team_id=team,
                team_key=team_key,
                user=row.user,
                api_key_hash=row.api_key_hash,
                tags=row.tags,
                input_tokens=row.input_tokens,
                cached_tokens=row.cached_tokens,
                output_tokens=row.output_tokens,
                spend=row.spend,
                currency=row.currency,
                cache_hit=row.cache_hit,
                status=row.status,
                import_run=run,
            )
        )
        label = None if team else _team_label(team_key, row.user)
        group = groups[(row.day, row.model, version is None, label)]
        group[0] += 1
        group[1] += row.spend
    GatewayRequest.objects.bulk_create(objects, batch_size=2000, ignore_conflicts=True)
    for (day, model, missing, label), (count, spend) in groups.items():
        added.add(
            day=day, model=model, mv_missing=missing, team_label=label, count=count, spend=spend
        )
    return added


# --- the PostgreSQL path ---------------------------------------------------------------------

_VALIDATORS = """
CREATE OR REPLACE FUNCTION pg_temp.gw_ok(value text, kind text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF kind = 'timestamptz' THEN PERFORM value::timestamptz;
    ELSIF kind = 'numeric' THEN PERFORM value::numeric;
    ELSIF kind = 'bigint' THEN PERFORM value::bigint;
    ELSE PERFORM value::jsonb;
    END IF;
    RETURN true;
EXCEPTION WHEN others THEN
    RETURN false;
END $$;
"""


class _Refused(Exception):
    """The optimistic insert met a value it could not convert: validate line by line."""


def _postgres_csv(run, stream, resolver, currency, result, progress) -> Added | None:
    """COPY the CSV into a staging table and do the rest in SQL; None when COPY refuses it
    (ragged rows, a bad encoding), so the Python path can name the lines."""
    header = _header(stream)
    if header is None:
        return None
    names = [CANONICAL.get(_canonical(name), name) for name in header]
    _check_header(names)
    column = {}
    for index, name in enumerate(names):
        column.setdefault(name, f"s.c{index}")
    col = {name: column.get(name, "NULL::text") for name in LITELLM_COLUMNS}
    stream.seek(0)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS gw_stage, gw_models, gw_teams, gw_users")
            columns = ", ".join(f"c{i} text" for i in range(len(names)))
            cursor.execute(
                "CREATE TEMP TABLE gw_stage (line integer GENERATED ALWAYS AS IDENTITY "
                f"(START 2), {columns}) ON COMMIT DROP"
            )
            targets = ", ".join(f"c{i}" for i in range(len(names)))
            with cursor.copy(
                f"COPY gw_stage ({targets}) FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy:
                while chunk := stream.read(1 << 20):
                    copy.write(chunk)
                    progress(stream.tell())
            cursor.execute("SELECT count(*) FROM gw_stage")
            result.rows_read = cursor.fetchone()[0]
    except (DataError, _psycopg_errors()):
        return None
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                return _insert(cursor, run, resolver, currency, col)
        except _Refused:
            pass
        cursor.execute(_VALIDATORS)
        errors = Errors(run.skip_bad)
        cursor.execute(_validation_sql(col))
        for line, name, message in cursor.fetchall():
            errors.add(line, name, message)
        if not errors.items:
            raise LineError(1, "file", "PostgreSQL refused a value the validation let through")
        errors.check(result.rows_read)
        result.errors, result.skipped = errors.items, len(errors.lines)
        cursor.execute("DELETE FROM gw_stage WHERE line = ANY(%s)", [sorted(errors.lines)])
        with transaction.atomic():
            return _insert(cursor, run, resolver, currency, col)


def _psycopg_errors():
    # COPY runs on psycopg's own cursor, whose errors Django does not wrap; a bad value is a
    # DataError either way (any other error is a fault here, and is raised).
    import psycopg

    return psycopg.DataError


def _header(stream) -> list[str] | None:
    first = stream.readline(1 << 20)
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    parsed = next(csv.reader(io.StringIO(text)), None)
    return [name.strip() for name in parsed] if parsed else None


def _validation_sql(col: dict) -> str:
    """Every bad field of every line, with the messages the Python path gives."""
    c = col
    checks = [
        (
            "request_id",
            f"CASE WHEN coalesce(btrim({c['request_id']}), '') = '' THEN 'required' "
            f"WHEN length(btrim({c['request_id']})) > {MAX_KEY} "
            f"THEN 'longer than {MAX_KEY} characters' END",
        ),
        (
            "startTime",
            f"CASE WHEN coalesce(btrim({c['startTime']}), '') = '' THEN 'required' "
            f"WHEN ascii(btrim({c['startTime']})) NOT BETWEEN 48 AND 57 "
            f"OR NOT pg_temp.gw_ok({c['startTime']}, 'timestamptz') "
            "THEN 'not a date and time' END",
        ),
        (
            "model",
            f"CASE WHEN coalesce(btrim({c['model']}), '') = '' THEN 'required' "
            f"WHEN length(btrim({c['model']})) > {MAX_KEY} "
            f"THEN 'longer than {MAX_KEY} characters' END",
        ),
        (
            "spend",
            f"CASE WHEN coalesce(btrim({c['spend']}), '') = '' THEN 'required' "
            f"WHEN NOT pg_temp.gw_ok({c['spend']}, 'numeric') THEN 'not a number' "
            f"WHEN {c['spend']}::numeric IN ('NaN', 'Infinity', '-Infinity') THEN 'not a number' "
            f"WHEN {c['spend']}::numeric < 0 THEN 'negative' "
            f"WHEN {c['spend']}::numeric >= {MAX_SPEND} THEN 'too large' END",
        ),
        *(
            (
                name,
                f"CASE WHEN coalesce(btrim({c[name]}), '') = '' THEN NULL "
                f"WHEN NOT pg_temp.gw_ok({c[name]}, 'bigint') THEN 'not a whole number' "
                f"WHEN {c[name]}::bigint < 0 THEN 'negative' END",
            )
            for name in ("prompt_tokens", "completion_tokens", "cache_read_input_tokens")
        ),
        *(
            (
                name,
                f"CASE WHEN coalesce(btrim({c[name]}), '') <> '' "
                f"AND NOT pg_temp.gw_ok({c[name]}, 'jsonb') THEN 'not JSON' END",
            )
            for name in ("metadata", "request_tags")
        ),
    ]
    selects = " UNION ALL ".join(
        f"SELECT s.line, {order} AS position, '{name}' AS field, {expression} AS message "  # noqa: S608
        "FROM gw_stage s"
        for order, (name, expression) in enumerate(checks)
    )
    return (
        f"SELECT line, field, message FROM ({selects}) found WHERE message IS NOT NULL "  # noqa: S608
        "ORDER BY line, position"
    )


def _number_at(path: tuple[str, ...]) -> str:
    node = "p.meta" + "".join(f"->'{key}'" for key in path)
    return (
        f"CASE WHEN jsonb_typeof({node}) = 'number' "
        f"THEN least(greatest(({node})::numeric, 0), 9e18)::bigint END"
    )


def _insert(cursor, run, resolver, currency, col) -> Added:
    """Map models, teams and people through small temp tables; insert the new requests."""
    c = col
    cursor.execute(
        f"SELECT btrim({c['model']}), coalesce(btrim({c['model_group']}), ''), count(*) "  # noqa: S608
        "FROM gw_stage s GROUP BY 1, 2"
    )
    models = []
    for name, group, _count in cursor.fetchall():
        version = resolver.model(name or "", group)
        models.append(
            (name, group, version.pk if version else None, version.tier if version else "")
        )
    cursor.execute(
        "CREATE TEMP TABLE gw_models (name text, grp text, version_id integer, tier text) "
        "ON COMMIT DROP"
    )
    cursor.executemany("INSERT INTO gw_models VALUES (%s, %s, %s, %s)", models)
    cursor.execute(
        "CREATE TEMP TABLE gw_teams (key text PRIMARY KEY, team_id integer) ON COMMIT DROP"
    )
    cursor.executemany("INSERT INTO gw_teams VALUES (%s, %s)", list(resolver.teams.items()))
    cursor.execute(
        "CREATE TEMP TABLE gw_users (name text, day date, team_id integer) ON COMMIT DROP"
    )
    user = f"coalesce(nullif(btrim({c['user']}), ''), btrim({c['end_user']}), '')"
    day = f"(({c['startTime']})::timestamptz AT TIME ZONE 'UTC')::date"
    try:
        if TeamMember.objects.exists():
            # People only matter for rows whose team id does not name a team; an alias may
            # still, so a few pairs are looked up for nothing.
            cursor.execute(
                f"SELECT DISTINCT left({user}, {MAX_KEY}), {day} FROM gw_stage s "  # noqa: S608
                f"WHERE {user} <> '' AND NOT EXISTS (SELECT 1 FROM gw_teams t "
                f"WHERE t.key = lower(btrim({c['team_id']})))"
            )
            pairs = resolver.members(set(cursor.fetchall()))
            cursor.executemany(
                "INSERT INTO gw_users VALUES (%s, %s, %s)",
                [(name, when, team) for (name, when), team in pairs.items()],
            )
        # Temp tables have no statistics: the planner guesses a few hundred staged rows and
        # sorts a million on disk for merge joins. The lookup tables are small, so hash them
        # (analysing the staged rows themselves costs more than it saves).
        cursor.execute("ANALYZE gw_models, gw_teams, gw_users")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute(_insert_sql(c, user, day), [currency, run.pk])
        rows = cursor.fetchall()
    except (DataError, _psycopg_errors()) as error:
        raise _Refused from error
    added = Added()
    for when, model, missing, label, count, spend in rows:
        added.add(
            day=when, model=model, mv_missing=missing, team_label=label, count=count, spend=spend
        )
    return added


def _insert_sql(c: dict, user: str, day: str) -> str:
    start = f"btrim({c['startTime']})"
    spend = f"({c['spend']})::numeric"
    # Cheap checks the casts alone would not catch; a failing one divides by zero, which
    # sends the file to the line-by-line validation.
    bad = " OR ".join(
        (
            f"coalesce(btrim({c['request_id']}), '') = ''",
            f"length(btrim({c['request_id']})) > {MAX_KEY}",
            f"coalesce(btrim({c['model']}), '') = ''",
            f"length(btrim({c['model']})) > {MAX_KEY}",
            f"coalesce(ascii({start}), 0) NOT BETWEEN 48 AND 57",
            f"{spend} IS NULL OR {spend} < 0 OR {spend} >= {MAX_SPEND}",
            f"coalesce(nullif(btrim({c['prompt_tokens']}), '')::bigint, 0) < 0",
            f"coalesce(nullif(btrim({c['completion_tokens']}), '')::bigint, 0) < 0",
            f"coalesce(nullif(btrim({c['cache_read_input_tokens']}), '')::bigint, 0) < 0",
        )
    )
    cached = ", ".join(_number_at(path) for path in CACHED_PATHS)
    # One pass over the staged rows: each row's metadata and tags are parsed once, in a
    # LATERAL subquery that OFFSET 0 keeps from being inlined at every reference (two
    # MATERIALIZED CTEs cost twice as much: they write every row out twice). Rows go in heap
    # order, which is the file's (a fresh temp table read by one sequential scan), so the
    # first of two lines with one request id wins without a sort.
    return f"""
    WITH added AS (
        INSERT INTO governance_gatewayrequest (
            request_id, started_at, day, model, model_version_id, tier, team_id, team_key,
            "user", api_key_hash, tags, input_tokens, cached_tokens, output_tokens, spend,
            currency, cache_hit, status, import_run_id
        )
        SELECT btrim({c["request_id"]}), p.started_at, p.day, btrim({c["model"]}),
            m.version_id, coalesce(m.tier, ''),
            coalesce(t1.team_id, t2.team_id, u.team_id),
            left(coalesce(nullif(j.alias, ''), coalesce(btrim({c["team_id"]}), '')), {MAX_KEY}),
            left({user}, {MAX_KEY}),
            left(coalesce(btrim({c["api_key"]}), ''), 128),
            CASE WHEN jsonb_typeof(p.tags_json) = 'array' THEN p.tags_json
                ELSE '[]'::jsonb END,
            coalesce(nullif(btrim({c["prompt_tokens"]}), '')::bigint, 0),
            coalesce(nullif(btrim({c["cache_read_input_tokens"]}), '')::bigint, {cached}, 0),
            coalesce(nullif(btrim({c["completion_tokens"]}), '')::bigint, 0),
            round(p.spend, 8), %s,
            lower(coalesce(btrim({c["cache_hit"]}), '')) IN ('true', 't', '1', 'yes'),
            left(coalesce(btrim({c["status"]}), ''), 32), %s
        FROM gw_stage s
        CROSS JOIN LATERAL (
            SELECT nullif(btrim({c["metadata"]}), '')::jsonb AS meta,
                nullif(btrim({c["request_tags"]}), '')::jsonb AS tags_json,
                ({start})::timestamptz AS started_at, {day} AS day, {spend} AS spend
            OFFSET 0
        ) p
        CROSS JOIN LATERAL (
            SELECT coalesce(CASE WHEN jsonb_typeof(p.meta->'{TEAM_ALIAS}') = 'string'
                THEN btrim(p.meta->>'{TEAM_ALIAS}')
                ELSE p.meta->>'{TEAM_ALIAS}' END, '') AS alias
        ) j
        LEFT JOIN gw_models m ON m.name = btrim({c["model"]})
            AND m.grp = coalesce(btrim({c["model_group"]}), '')
        LEFT JOIN gw_teams t1 ON t1.key = lower(coalesce(btrim({c["team_id"]}), ''))
        LEFT JOIN gw_teams t2 ON t2.key = lower(j.alias)
        LEFT JOIN gw_users u ON u.name = left({user}, {MAX_KEY}) AND u.day = p.day
        WHERE 1 / (CASE WHEN {bad} THEN 0 ELSE 1 END) = 1
        ON CONFLICT (request_id) DO NOTHING
        RETURNING day, model, model_version_id, team_id, team_key, "user", spend
    )
    SELECT day, model, model_version_id IS NULL,
        CASE WHEN team_id IS NULL THEN coalesce(nullif(team_key, ''),
            'user:' || nullif("user", ''), '(none)') END,
        count(*), sum(spend)
    FROM added GROUP BY 1, 2, 3, 4
    """  # noqa: S608


# --- roll-up and ledger ----------------------------------------------------------------------

# One roll-up per day, team, model and currency: a known team's requests, whether logged
# under its id, its alias or a person's name, make one row keyed by the team's id; an unknown
# team keeps the key the gateway logged. The key text is for display: a known team's gateway
# key, else its name. Two groups that would show the same key (team A named "X", team B with
# gateway key "X", or an unknown team logged as "X") stay apart, and a known team's key is
# then suffixed with its id, which also keeps GatewayDaily's (day, team_key, model,
# currency) unique. A request whose team is gone (no database reference) counts as unknown.
_ROLLUP = """
INSERT INTO governance_gatewaydaily (
    day, team_id, team_key, model, model_version_id, tier, currency, requests,
    input_tokens, cached_tokens, output_tokens, spend
)
SELECT g.day, g.team_id,
    CASE WHEN g.team_id IS NOT NULL
        AND COUNT(*) OVER (PARTITION BY g.day, g.team_key, g.model, g.currency) > 1
    THEN substr(g.team_key, 1, 170) || ' (team ' || CAST(g.team_id AS text) || ')'
    ELSE g.team_key END,
    g.model, g.model_version_id, g.tier, g.currency, g.requests, g.input_tokens,
    g.cached_tokens, g.output_tokens, g.spend
FROM (
    SELECT r.day, t.id AS team_id, {key} AS team_key, r.model,
        MAX(r.model_version_id) AS model_version_id, MAX(r.tier) AS tier, r.currency,
        COUNT(*) AS requests, SUM(r.input_tokens) AS input_tokens,
        SUM(r.cached_tokens) AS cached_tokens, SUM(r.output_tokens) AS output_tokens,
        SUM(r.spend) AS spend
    FROM governance_gatewayrequest r
    LEFT JOIN governance_team t ON t.id = r.team_id
    WHERE r.day IN ({days})
    GROUP BY r.day, t.id, {key}, r.model, r.currency
) g
"""
_ROLLUP_KEY = (
    "CASE WHEN t.id IS NULL THEN r.team_key ELSE COALESCE(NULLIF(t.gateway_key, ''), t.name) END"
)


def roll_up(*, days: set[date]) -> None:
    """Recompute GatewayDaily for these days from the stored requests, and GatewayMonthly for
    their months (in the same transaction, so the two never disagree)."""
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in batched(sorted(days), 500):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM governance_gatewaydaily WHERE day IN ({marks})", chunk)  # noqa: S608
            cursor.execute(_ROLLUP.format(key=_ROLLUP_KEY, days=marks), chunk)
        gateway_months_refresh(months=days)


def gateway_reattribute(run: ImportRun, result: ImportResult) -> None:
    """After a membership import: roll up again the days of requests logged without a team
    (attributed through their person, whose team may have changed) and their ledger months."""
    days = set(
        GatewayRequest.objects.filter(team_key="")
        .exclude(user="")
        .values_list("day", flat=True)
        .distinct()
        .order_by()
    )
    if days:
        roll_up(days=days)
        _ledger(run, days, result)


def _ledger(run: ImportRun, days: set[date], result: ImportResult) -> None:
    """Make each changed month's gateway rows in the ledger match its inference spend per
    team, vendor and tier: write the keys whose amount changed, and delete the rows this
    importer wrote for keys that no longer have spend (moved to another team, or now 0.00).

    Every write and delete goes through the model, so the audit trail records it (as the run's
    requester); a key whose amount is unchanged is not written. A hand-entered row for a key
    with spend is replaced and counted; one for a key without spend is left alone.

    This is finance.spend_record's upsert (same key, correct the row), done here rather than
    through it: spend_record checks the requester's add_spend permission (a platform user may
    import gateway logs without it) and validates and locks one row per call, while this
    writes a month's rows from one read. A shared key helper in governance/services/finance.py
    (a public `spend_key`) would let both name the key the same way.
    """
    months = sorted({day.replace(day=1) for day in days})
    written = {"created": 0, "updated": 0, "deleted": 0}
    replaced = 0
    mixed = []
    if months:
        end = (months[-1] + timedelta(days=31)).replace(day=1)
        totals: dict[tuple, dict[str, Decimal]] = defaultdict(dict)
        for item in (
            GatewayDaily.objects.filter(
                day__gte=months[0],
                day__lt=end,
                team__isnull=False,
                model_version__isnull=False,
            )
            .exclude(tier="")
            .annotate(month=TruncMonth("day"))
            .values("month", "team_id", "model_version__vendor_id", "tier", "currency")
            .annotate(total=Sum("spend"))
            .order_by()
        ):
            month = item["month"]
            month = month.date() if isinstance(month, datetime) else month
            if month not in months:
                continue
            key = (
                month,
                item["team_id"],
                item["model_version__vendor_id"],
                SpendCategory(f"inference_{item['tier']}").value,
            )
            totals[key][item["currency"]] = item["total"]
        wanted: dict[tuple, tuple[Decimal, str]] = {}
        kept = set()
        for key, amounts in totals.items():
            if len(amounts) > 1:
                # The ledger keeps one row per key; Tollgate does not convert currencies. The
                # key's row, if any, is left as it is.
                month, team_id, vendor_id, category = key
                mixed.append(f"{month:%Y-%m} team {team_id} vendor {vendor_id} {category[10:]}")
                kept.add(key)
                continue
            ((row_currency, total),) = amounts.items()
            amount = Decimal(total).quantize(CENTS, ROUND_HALF_UP)
            if amount > 0:
                wanted[key] = (amount, row_currency)
        existing = {
            (row.month, row.team_id, row.vendor_id, row.category): row
            for row in Spend.objects.filter(
                month__in=months,
                scope=SpendScope.TEAM,
                category__in=[f"inference_{tier}" for tier in ("fast", "standard", "heavy")],
            )
        }
        mixed.sort()
        with acting_as(run.requested_by):
            for key, (amount, row_currency) in sorted(wanted.items()):
                month, team_id, vendor_id, category = key
                row = existing.get(key)
                if row is None:
                    Spend.objects.create(
                        month=month,
                        scope=SpendScope.TEAM,
                        team_id=team_id,
                        vendor_id=vendor_id,
                        category=category,
                        amount=amount,
                        currency=row_currency,
                        source=SpendSource.IMPORT,
                        reference=LEDGER_REFERENCE,
                        recorded_by=run.requested_by,
                    )
                    written["created"] += 1
                    continue
                if _ours(row) and (row.amount, row.currency) == (amount, row_currency):
                    continue
                if row.source == SpendSource.MANUAL:
                    replaced += 1
                row.amount, row.currency = amount, row_currency
                row.source, row.reference = SpendSource.IMPORT, LEDGER_REFERENCE
                row.recorded_by, row.pilot, row.offering = run.requested_by, None, None
                row.save()
                written["updated"] += 1
            for key, row in sorted(existing.items()):
                if key not in wanted and key not in kept and _ours(row):
                    row.delete()
                    written["deleted"] += 1
    result.report["ledger"] = written
    result.report["replaced_manual_spend"] = replaced
    if mixed:
        result.report["ledger_mixed_currencies"] = mixed


def _ours(row: Spend) -> bool:
    """A ledger row this importer wrote (and may therefore remove)."""
    return row.source == SpendSource.IMPORT and row.reference == LEDGER_REFERENCE
