"""Reading the weekly team series derived from imported evidence."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from governance.models import Metric, Team, TeamMetricValue


def team_metric_series(
    *,
    team: str,
    metric: str,
    tier: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[TeamMetricValue]:
    """One team's weekly values of one metric (weeks overlapping [from, to]), oldest first."""
    errors = {}
    found_team = (
        Team.objects.filter(Q(pk=int(team)) if team.isdigit() else Q(name__iexact=team)).first()
        if team
        else None
    )
    if found_team is None:
        errors["team"] = f"No team {team!r}." if team else "Name a team (id or name)."
    if not metric:
        errors["metric"] = "Name a metric code."
    elif not Metric.objects.filter(code=metric).exists():
        errors["metric"] = f"No metric {metric!r}."
    if date_from and date_to and date_to < date_from:
        errors["to"] = "The range ends before it starts."
    if errors:
        raise ValidationError(errors)
    values = TeamMetricValue.objects.filter(team=found_team, metric__code=metric, tier=tier)
    if date_from:
        values = values.filter(period_end__gte=date_from)
    if date_to:
        values = values.filter(period_start__lte=date_to)
    return values.order_by("period_start")
