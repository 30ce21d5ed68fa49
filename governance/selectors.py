"""Reads for the governance app."""

from decimal import Decimal

from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet

from governance.choices import PilotStatus, Role, SubjectKind
from governance.models import Baseline, KillCriterion, Metric, Pilot


def user_roles(*, user: User) -> list[str]:
    """The role names the user holds, in the canonical order."""
    names = set(user.groups.values_list("name", flat=True))
    return [role.value for role in Role if role.value in names]


def user_profile(*, user: User) -> dict:
    """Identity, roles and effective permissions of a user."""
    return {
        "username": user.get_username(),
        "full_name": user.get_full_name(),
        "roles": user_roles(user=user),
        "is_superuser": user.is_superuser,
        "permissions": sorted(user.get_all_permissions()),
    }


def audit_entries() -> QuerySet[LogEntry]:
    """The audit trail, newest first, with what its list needs joined in."""
    return LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")


CHARTER_BASELINE_ORDER = ("metric__code", "tier")
CHARTER_CRITERIA_ORDER = ("metric__code", "tier", "comparator", "threshold", "evaluate_from_day")


def pilot_charter_canonical(pilot: Pilot) -> dict:
    """The content a pilot charter sign-off covers: scope, window, baselines, kill criteria."""
    return {
        "kind": "pilot",
        "id": pilot.pk,
        "title": pilot.title,
        "owner": pilot.owner.get_username(),
        "offering": {"vendor": pilot.offering.vendor.slug, "name": pilot.offering.name},
        "agentic": pilot.agentic,
        "teams": sorted(t.name for t in pilot.teams.all()),
        "workflows": sorted(pilot.workflows),
        "use_case": pilot.use_case,
        "planned": [pilot.planned_start.isoformat(), pilot.planned_end.isoformat()],
        "window_months": pilot.window_months,
        "checkpoint_days": pilot.checkpoint_days,
        "grace_days": pilot.grace_days,
        "baselines": [
            {
                "metric": b.metric.code,
                "tier": b.tier,
                "value": str(b.value),
                "sample_size": b.sample_size,
                "period": [b.period_start.isoformat(), b.period_end.isoformat()],
                "source": b.source,
            }
            for b in _ordered(pilot, "baselines", CHARTER_BASELINE_ORDER)
        ],
        "kill_criteria": [
            k.plain_words for k in _ordered(pilot, "kill_criteria", CHARTER_CRITERIA_ORDER)
        ],
    }


def review_canonical(review) -> dict:
    """The content a quarterly review sign-off covers: the decision and its frozen snapshot."""
    from vendors.canonical import digest

    return {
        "kind": "quarterly_review",
        "id": review.pk,
        "quarter": review.quarter,
        "scope": review.scope,
        "pilot": review.pilot_id,
        "offering": review.offering_id,
        "decision": review.decision,
        "seat_delta": review.seat_delta,
        "budget_delta": f"{review.budget_delta:.2f}",
        "currency": review.currency,
        "rationale": review.rationale,
        "decided_by": review.decided_by.get_username(),
        "snapshot_sha256": digest(review.snapshot),
        "supersedes": review.supersedes_id,
        "supersede_reason": review.supersede_reason,
    }


def _ordered(pilot: Pilot, name: str, ordering: tuple[str, ...]) -> list:
    """A related set in the database's order: prefetched (in that order) by a list page, else
    one query. Sorted by the database, never in Python: a digest signed earlier must not change
    because Python and the database collate codes differently."""
    if name in getattr(pilot, "_prefetched_objects_cache", {}):
        return list(getattr(pilot, name).all())
    return list(getattr(pilot, name).select_related("metric").order_by(*ordering))


def charter_prefetches() -> list[Prefetch]:
    """What pilot_charter_canonical reads, for a list of pilots: two queries for all."""
    return [
        Prefetch(
            "baselines",
            Baseline.objects.select_related("metric").order_by(*CHARTER_BASELINE_ORDER),
        ),
        Prefetch(
            "kill_criteria",
            KillCriterion.objects.select_related("metric").order_by(*CHARTER_CRITERIA_ORDER),
        ),
    ]


def pilot_list(*, user: User | None = None, mine: bool = False, status: str = "") -> QuerySet:
    """Pilots for the list page and API, with what the list shows joined in."""
    pilots = Pilot.objects.select_related("owner", "offering__vendor").prefetch_related("teams")
    if mine and user is not None:
        pilots = pilots.filter(owner=user)
    if status:
        pilots = pilots.filter(status=status)
    return pilots.order_by("-created_at")


def pilots_awaiting_signoff(*, user: User) -> list[Pilot]:
    """Submitted pilots still waiting for an approve sign-off in one of the user's roles."""
    from governance.services.signoffs import pending_roles, signoffs_latest

    mine = set(user_roles(user=user))
    # Everything each charter digest reads, prefetched: a fixed number of queries for any
    # number of submitted pilots.
    pilots = list(pilot_list(status=PilotStatus.SUBMITTED).prefetch_related(*charter_prefetches()))
    latest = signoffs_latest(kind=SubjectKind.PILOT, subject_ids=[p.pk for p in pilots])
    waiting = []
    for pilot in pilots:
        pilot.pending_roles = [
            r
            for r in pending_roles(kind=SubjectKind.PILOT, subject=pilot, latest=latest)
            if r in mine
        ]
        if pilot.pending_roles:
            waiting.append(pilot)
    return waiting


def pilot_charts(*, pilot: Pilot) -> list[str]:
    """One SVG per measured or pre-committed metric (and tier): series, baseline, thresholds."""
    from datetime import timedelta

    from governance import evaluation
    from governance.charts import Line, metric_chart_svg

    start = pilot.started_on or pilot.planned_start
    end = start + timedelta(days=max(pilot.checkpoint_days))
    series: dict[tuple, list] = {}
    metrics = {}
    # Plain tuples: a year of daily telemetry is thousands of rows, model instances cost 10x.
    for metric_id, tier, end, value in pilot.measurements.order_by("period_end").values_list(
        "metric_id", "tier", "period_end", "value"
    ):
        series.setdefault((metric_id, tier), []).append((end, value))
    if series:
        metrics.update(Metric.objects.in_bulk({key[0] for key in series}))
    baselines = {}
    for b in pilot.baselines.select_related("metric"):
        baselines[(b.metric_id, b.tier)] = b.value
        metrics[b.metric_id] = b.metric
    criteria: dict[tuple, list] = {}
    for k in pilot.kill_criteria.select_related("metric"):
        criteria.setdefault((k.metric_id, k.tier), []).append(k)
        metrics[k.metric_id] = k.metric
    charts = []
    for key in sorted(set(series) | set(criteria), key=lambda k: (metrics[k[0]].position, k[1])):
        metric = metrics[key[0]]
        lines = []
        if key in baselines:
            lines.append(Line("baseline", baselines[key], "#15803d"))
        for k in criteria.get(key, []):
            rule = evaluation.Rule(
                k.comparator,
                k.threshold,
                metric.direction,
                k.evaluate_from_day,
                k.consecutive_periods,
            )
            bound = evaluation.limit(rule, baselines.get(key))
            if bound is not None:
                lines.append(
                    Line(
                        f"kill from day {k.evaluate_from_day}",
                        bound.quantize(Decimal("0.01")),
                        "#b91c1c",
                    )
                )
        title = metric.name + (f" ({key[1]})" if key[1] else "")
        charts.append(
            metric_chart_svg(
                title=title,
                unit=metric.unit,
                points=series.get(key, []),
                start=start,
                end=end,
                grace_days=pilot.grace_days,
                lines=lines,
            )
        )
    return charts
