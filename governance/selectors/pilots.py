"""Reads of pilots: the list and each metric's chart."""

from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import QuerySet

from governance.models import Metric, Pilot


def pilot_list(*, user: User | None = None, mine: bool = False, status: str = "") -> QuerySet:
    """Pilots for the list page and API, with what the list shows joined in."""
    pilots = Pilot.objects.select_related("owner", "offering__vendor").prefetch_related("teams")
    if mine and user is not None:
        pilots = pilots.filter(owner=user)
    if status:
        pilots = pilots.filter(status=status)
    return pilots.order_by("-created_at")


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
