"""Measurement ingest: validate every row first, then upsert set-based, all or nothing.

Used by the bulk API, the CSV import command and the admin import alike.
"""

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from governance.choices import PilotStatus, Source, Tier
from governance.models import Measurement, Metric, Pilot, ServiceToken
from governance.selectors.tokens import token_refused_pilots
from vendors.kit.audit import audit_bulk_create
from vendors.kit.errors import DomainError
from vendors.kit.services import parse_id

MAX_ROWS = 10_000
FIELDS = ("pilot", "metric", "tier", "period_start", "period_end", "value", "sample_size")
BATCH = 2_000
# Computed once: TextChoices.values builds a new list on every access (10,000 rows a request).
TIERS = frozenset(Tier.values)
TIER_NAMES = ", ".join(t for t in Tier.values if t)


@dataclass
class IngestResult:
    """How many rows were created, updated and left as they were."""

    created: int
    updated: int
    unchanged: int


def _parse_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _row_errors(
    row: Any, pilots: dict, metrics: dict, today: date, *, typed: bool = True
) -> tuple[dict, dict]:
    """Validate one row without touching the database; return (clean row, errors by field).

    A `typed` row (posted or imported, not derived from evidence) must also lie in its
    metric's sensible range, as a baseline typed on the page must.
    """
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    if not isinstance(row, dict):
        return {}, {"non_field_errors": "Each row is an object."}
    missing = [f for f in FIELDS if f not in row and f != "tier"]
    for field in missing:
        errors[field] = "This field is required."
    pilot = pilots.get(str(row.get("pilot")))
    if "pilot" not in errors:
        if pilot is None:
            errors["pilot"] = f"Unknown pilot {row.get('pilot')!r}."
        elif pilot.status != PilotStatus.RUNNING:
            errors["pilot"] = f"{pilot} is {pilot.get_status_display().lower()}, not running."
    metric = metrics.get(str(row.get("metric")))
    if "metric" not in errors and metric is None:
        errors["metric"] = f"Unknown metric {row.get('metric')!r}."
    tier = row.get("tier") or ""
    if not isinstance(tier, str) or tier not in TIERS:  # JSON may send a list or an object
        errors["tier"] = f"Tier is one of {TIER_NAMES} or empty."
    elif metric is not None and metric.tiered != bool(tier):
        errors["tier"] = (
            f"{metric} is measured per tier." if metric.tiered else f"{metric} is not tiered."
        )
    for field in ("period_start", "period_end"):
        if field not in errors:
            try:
                clean[field] = _parse_date(row[field])
            except (TypeError, ValueError):
                errors[field] = "Give a date as YYYY-MM-DD."
    if "period_start" in clean and "period_end" in clean:
        if clean["period_end"] < clean["period_start"]:
            errors["period_end"] = "The period ends before it starts."
        elif pilot is not None and pilot.started_on and clean["period_end"] < pilot.started_on:
            errors["period_end"] = f"The period ends before the pilot started ({pilot.started_on})."
        elif clean["period_end"] > today:
            # A period not over yet is a forecast, and one far ahead stretches every chart.
            name = metric.code if metric is not None else row.get("metric")
            errors["period_end"] = (
                f"{name} for {clean['period_start']}..{clean['period_end']} ends after today "
                f"({today}): only periods that are over can be measured."
            )
    if "value" not in errors:
        try:
            value = Decimal(str(row["value"]))
            if not value.is_finite() or abs(value) >= Decimal("1e12"):
                raise InvalidOperation
            clean["value"] = value.quantize(Decimal("0.0001"))
        except (InvalidOperation, ValueError):
            errors["value"] = "Give a finite number below 10^12."
        else:
            problem = metric.value_problem(value) if typed and metric is not None else None
            if problem:
                errors["value"] = problem
    if "sample_size" not in errors:
        size = row["sample_size"]
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size < 2**31:
            errors["sample_size"] = "Give a whole number above zero."
        else:
            clean["sample_size"] = size
    if errors:
        return {}, errors
    clean.update(pilot=pilot, metric=metric, tier=tier)
    return clean, {}


def _check_writer(actor: Any, token: ServiceToken | None, pilots: set[Pilot]) -> None:
    """A token writes only to its granted pilots; a person needs the role and the pilot."""
    if token is not None:
        refused = token_refused_pilots(token, pilots)
        if refused:
            raise PermissionDenied(
                f"This token is not granted pilot(s) {', '.join(map(str, refused))}."
            )
        return
    for pilot in pilots:
        if actor is None or not actor.has_perm("governance.add_measurement", pilot):
            raise PermissionDenied(f"You may not record measurements for {pilot}.")


def _key(pilot_id, metric_id, tier, start, end) -> tuple:
    return (pilot_id, metric_id, tier, start, end)


@transaction.atomic
def measurements_ingest(
    *,
    rows: list[Any],
    actor: Any,
    source: str = Source.API,
    token: ServiceToken | None = None,
    dry_run: bool = False,
    derived: bool = False,
    today: date | None = None,
) -> IngestResult:
    """Validate every row, then create or update them all in a few set-based queries.

    A row whose key (pilot, metric, tier, period) exists updates that row: posting the same
    data twice changes nothing. Any invalid row refuses the whole request, naming each bad
    row by index and field. `derived` rows come from the evidence pipeline, which writes for
    every running pilot whoever ran the import (the ImportRun records who). Every path,
    derived rows included, refuses a period that ends after today, naming its metric and
    period. A derived row never replaces one posted or typed by hand, even one that arrived
    while the import was computing: the check is made again on the row it would overwrite.
    """
    if not isinstance(rows, list) or not rows:
        raise DomainError({"measurements": "Send a non-empty list of measurements."})
    if len(rows) > MAX_ROWS:
        raise DomainError({"measurements": f"At most {MAX_ROWS} rows per request."})
    pilot_ids = {str(r.get("pilot")) for r in rows if isinstance(r, dict)}
    pilots = {
        str(p.pk): p for p in Pilot.objects.filter(pk__in={parse_id(i) for i in pilot_ids} - {None})
    }
    metrics = {m.code: m for m in Metric.objects.all()}
    today = today or timezone.localdate()

    cleaned, errors = [], {}
    for index, row in enumerate(rows):
        clean, row_errors = _row_errors(row, pilots, metrics, today, typed=not derived)
        if row_errors:
            errors[str(index)] = row_errors
        else:
            cleaned.append(clean)
    if errors:
        # Keys like "measurements[12].value": every bad row by index and field, nothing written.
        raise DomainError(
            {
                f"measurements[{index}].{field}": f"Row {index}: {message}"
                for index, row_errors in errors.items()
                for field, message in row_errors.items()
            },
            code="invalid_rows",
        )
    if not derived:
        _check_writer(actor, token, {c["pilot"] for c in cleaned})

    by_key, first_index, repeats = {}, {}, {}
    for index, clean in enumerate(cleaned):  # every row is valid here: index is the row's
        key = _key(
            clean["pilot"].pk,
            clean["metric"].pk,
            clean["tier"],
            clean["period_start"],
            clean["period_end"],
        )
        if key in by_key:
            # Two values for one period in one request: which is right is the sender's call,
            # and silently keeping either would record a number nobody chose.
            repeats[f"measurements[{index}]"] = (
                f"Rows {first_index[key]} and {index} both give {clean['metric'].code}"
                f"{' ' + clean['tier'] if clean['tier'] else ''} of {clean['pilot']} for "
                f"{clean['period_start']}..{clean['period_end']}; send each period once."
            )
            continue
        by_key[key], first_index[key] = clean, index
    if repeats:
        raise DomainError(repeats, code="duplicate_rows")
    recorder = actor if getattr(actor, "pk", None) else None
    if connection.vendor == "postgresql":
        return _upsert_postgresql(list(by_key.values()), source, recorder, dry_run, derived)
    existing = {
        _key(m.pilot_id, m.metric_id, m.tier, m.period_start, m.period_end): m
        # metric joined in: the audit entries name each row (str(m)) without a query per row.
        for m in Measurement.objects.filter(
            pilot_id__in={k[0] for k in by_key},
            period_end__in={k[4] for k in by_key},
        ).select_related("metric")
    }
    creates, updates, changes = [], [], []
    for key, clean in by_key.items():
        current = existing.get(key)
        if current is None:
            creates.append(Measurement(**clean, source=source, recorded_by=recorder))
        elif derived and current.source != Source.DERIVED:
            continue
        elif (current.value, current.sample_size) != (clean["value"], clean["sample_size"]):
            changes.append(
                (
                    current,
                    {
                        "value": [str(current.value), str(clean["value"])],
                        "sample_size": [str(current.sample_size), str(clean["sample_size"])],
                    },
                )
            )
            current.value, current.sample_size = clean["value"], clean["sample_size"]
            current.source, current.recorded_by = source, recorder
            current.recorded_at = timezone.now()
            updates.append(current)
    result = IngestResult(len(creates), len(updates), len(by_key) - len(creates) - len(updates))
    if dry_run:
        return result
    Measurement.objects.bulk_create(creates, batch_size=BATCH)
    # An upsert on the natural key: one INSERT ... ON CONFLICT per batch, far cheaper than
    # bulk_update's CASE WHEN on large batches.
    Measurement.objects.bulk_create(
        updates,
        update_conflicts=True,
        unique_fields=["pilot", "metric", "tier", "period_start", "period_end"],
        update_fields=["value", "sample_size", "source", "recorded_by", "recorded_at"],
        batch_size=BATCH,
    )
    audit_bulk_create(
        [(m, LogEntry.Action.UPDATE, diff) for m, diff in changes], actor=recorder, batch_size=BATCH
    )
    made: dict[int, Created] = {}
    for m in creates:
        made.setdefault(m.pilot_id, Created()).add(m.pk, m.period_start, m.period_end, m.metric_id)
    _audit_created(made, recorder, source)
    return result


@dataclass
class Created:
    """The rows one request created for one pilot: how many, their ids, periods and metrics."""

    count: int = 0
    first_id: int | None = None
    last_id: int | None = None
    first_day: date | None = None
    last_day: date | None = None
    metric_ids: set = dataclass_field(default_factory=set)

    def add(self, pk: int, start: date, end: date, metric_id: int) -> None:
        self.count += 1
        self.first_id = pk if self.first_id is None else min(self.first_id, pk)
        self.last_id = pk if self.last_id is None else max(self.last_id, pk)
        self.first_day = start if self.first_day is None else min(self.first_day, start)
        self.last_day = end if self.last_day is None else max(self.last_day, end)
        self.metric_ids.add(metric_id)


def _audit_created(made: dict[int, Created], actor: Any, source: str) -> None:
    """One audit entry per pilot for the rows a request created, not one per row.

    A created row carries its own who, when and how (recorded_by, recorded_at, source) and
    has no earlier value to keep; the entry says which request made which rows. Changed rows
    keep one entry each, with the value they replaced. Writing 10,000 audit rows per request
    cost more than the measurements themselves (bench/README.md, P1).
    """
    if not made:
        return
    pilots = Pilot.objects.in_bulk(made)
    codes = dict(Metric.objects.values_list("pk", "code"))
    content_type = ContentType.objects.get_for_model(Pilot)
    LogEntry.objects.bulk_create(
        LogEntry(
            content_type=content_type,
            object_pk=str(pilot_id),
            object_id=pilot_id,
            object_repr=str(pilots[pilot_id])[:200],
            action=LogEntry.Action.UPDATE,
            actor=actor if getattr(actor, "pk", None) else None,
            changes={"measurements": ["", f"{c.count} created ({source})"]},
            additional_data={
                "measurements_created": {
                    "count": c.count,
                    "ids": [c.first_id, c.last_id],
                    "periods": [c.first_day.isoformat(), c.last_day.isoformat()],
                    "metrics": sorted(codes[m] for m in c.metric_ids),
                    "source": source,
                }
            },
        )
        for pilot_id, c in sorted(made.items())
    )


# The PostgreSQL path: the validated rows are COPYed into a temporary table, then one statement
# upserts them and writes their audit entries server-side. Row-at-a-time parameter quoting was
# most of the API's cost (see bench/scale.py, P1); COPY streams the rows in one round trip.
_INGEST_TABLE = """
DROP TABLE IF EXISTS pg_temp.measurement_ingest;
CREATE TEMP TABLE measurement_ingest (
    pilot_id bigint, metric_id bigint, tier varchar(16), period_start date, period_end date,
    value numeric(16, 4), sample_size integer
) ON COMMIT DROP
"""

_INGEST_COUNT = """
SELECT count(*) FILTER (WHERE m.id IS NULL),
       count(*) FILTER (WHERE m.id IS NOT NULL
                        AND (m.value, m.sample_size) <> (t.value, t.sample_size)
                        AND (NOT %(derived)s OR m.source = %(by_evidence)s)),
       count(*)
FROM pg_temp.measurement_ingest t
LEFT JOIN governance_measurement m
  ON (m.pilot_id, m.metric_id, m.tier, m.period_start, m.period_end)
   = (t.pilot_id, t.metric_id, t.tier, t.period_start, t.period_end)
"""

# Data-modifying CTEs share one snapshot: "old" sees the rows as they were before the upsert,
# which is what the audit diff needs. Unchanged rows are not written (nor audited), so posting
# the same data twice changes nothing. A changed row gets its own audit entry; created rows
# are summed per pilot ("made", xmax = 0 marks a row the upsert inserted) for _audit_created.
# Derived rows skip a row of another source in the snapshot ("old"), and the conflict clause
# checks again on the row as committed: a post that landed after the snapshot is kept too.
_INGEST_UPSERT = """
WITH old AS (
    SELECT t.*, m.id AS old_id, m.value AS old_value, m.sample_size AS old_size,
           (m.id IS NOT NULL AND (m.value, m.sample_size) <> (t.value, t.sample_size)
            AND (NOT %(derived)s OR m.source = %(by_evidence)s)) AS changed
    FROM pg_temp.measurement_ingest t
    LEFT JOIN governance_measurement m
      ON (m.pilot_id, m.metric_id, m.tier, m.period_start, m.period_end)
       = (t.pilot_id, t.metric_id, t.tier, t.period_start, t.period_end)
),
up AS (
    INSERT INTO governance_measurement AS cur (
        pilot_id, metric_id, tier, period_start, period_end, value, sample_size,
        source, recorded_at, recorded_by_id
    )
    SELECT pilot_id, metric_id, tier, period_start, period_end, value, sample_size,
           %(source)s, %(now)s, %(actor)s
    FROM old
    WHERE old_id IS NULL OR changed
    ON CONFLICT (pilot_id, metric_id, tier, period_start, period_end) DO UPDATE SET
        value = EXCLUDED.value, sample_size = EXCLUDED.sample_size, source = EXCLUDED.source,
        recorded_at = EXCLUDED.recorded_at, recorded_by_id = EXCLUDED.recorded_by_id
    WHERE NOT %(derived)s OR cur.source = %(by_evidence)s
    RETURNING cur.id, cur.pilot_id, cur.metric_id, cur.tier, cur.period_start,
              cur.period_end, cur.value, cur.sample_size, cur.xmax = 0 AS inserted
),
audit AS (
    INSERT INTO auditlog_logentry (
        content_type_id, object_pk, object_id, object_repr, action, actor_id, changes,
        changes_text, timestamp
    )
    SELECT %(content_type)s, up.id::text, up.id,
           left(metric.name || ' ' || up.tier || ' ' || up.period_start::text || '..'
                || up.period_end::text || ': ' || up.value::text, 200),
           %(update)s,
           %(actor)s,
           jsonb_build_object(
               'value', jsonb_build_array(coalesce(old.old_value::text, 'None'), up.value::text),
               'sample_size',
               jsonb_build_array(coalesce(old.old_size::text, 'None'), up.sample_size::text)
           ),
           '', %(now)s
    FROM up
    JOIN old ON (old.pilot_id, old.metric_id, old.tier, old.period_start, old.period_end)
              = (up.pilot_id, up.metric_id, up.tier, up.period_start, up.period_end)
    JOIN governance_metric metric ON metric.id = up.metric_id
    WHERE NOT up.inserted
    ORDER BY up.id
),
made AS (
    SELECT pilot_id, count(*) FILTER (WHERE inserted) AS n,
           count(*) FILTER (WHERE NOT inserted) AS changed,
           min(id) FILTER (WHERE inserted) AS first_id,
           max(id) FILTER (WHERE inserted) AS last_id,
           min(period_start) FILTER (WHERE inserted) AS first_day,
           max(period_end) FILTER (WHERE inserted) AS last_day,
           array_agg(DISTINCT metric_id) FILTER (WHERE inserted) AS metric_ids
    FROM up GROUP BY pilot_id
)
SELECT o.pilot_id, coalesce(made.n, 0), coalesce(made.changed, 0), o.total, made.n,
       made.first_id, made.last_id, made.first_day, made.last_day, made.metric_ids
FROM (SELECT pilot_id, count(*) AS total FROM old GROUP BY pilot_id) o
LEFT JOIN made ON made.pilot_id = o.pilot_id
"""


def _upsert_postgresql(
    cleaned: list[dict], source: str, recorder: Any, dry_run: bool, derived: bool
) -> IngestResult:
    """Upsert validated rows and audit them in one statement (PostgreSQL only)."""
    with connection.cursor() as cursor:
        cursor.execute(_INGEST_TABLE)
        with cursor.copy(
            "COPY pg_temp.measurement_ingest (pilot_id, metric_id, tier, period_start, "
            "period_end, value, sample_size) FROM STDIN"
        ) as copy:
            for c in cleaned:
                copy.write_row(
                    (
                        c["pilot"].pk,
                        c["metric"].pk,
                        c["tier"],
                        c["period_start"],
                        c["period_end"],
                        c["value"],
                        c["sample_size"],
                    )
                )
        if dry_run:
            cursor.execute(_INGEST_COUNT, {"derived": derived, "by_evidence": Source.DERIVED})
            created, updated, total = cursor.fetchone()
            return IngestResult(created, updated, total - created - updated)
        cursor.execute(
            _INGEST_UPSERT,
            {
                "source": source,
                "now": timezone.now(),
                "actor": getattr(recorder, "pk", None),
                "content_type": ContentType.objects.get_for_model(Measurement).pk,
                "update": LogEntry.Action.UPDATE,
                "derived": derived,
                "by_evidence": Source.DERIVED,
            },
        )
        rows = cursor.fetchall()
    made = {
        pilot_id: Created(n, first_id, last_id, first_day, last_day, set(metric_ids))
        for pilot_id, _c, _u, _t, n, first_id, last_id, first_day, last_day, metric_ids in rows
        if n
    }
    _audit_created(made, recorder, source)
    created, updated, total = (sum(row[i] for row in rows) for i in (1, 2, 3))
    return IngestResult(created, updated, total - created - updated)
