"""Reading the weekly team series derived from imported evidence."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from governance.choices import Tier
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
    by_id = team.isascii() and team.isdigit() and len(team) < 10
    found_team = (
        Team.objects.filter(Q(pk=int(team)) if by_id else Q(name__iexact=team)).first()
        if team
        else None
    )
    if found_team is None:
        errors["team"] = f"No team {team!r}." if team else "Name a team (id or name)."
    if not metric:
        errors["metric"] = "Name a metric code."
    else:
        found_metric = Metric.objects.filter(code=metric).first()
        if found_metric is None:
            errors["metric"] = f"No metric {metric!r}."
        elif found_metric.tiered and not tier:
            tier = Tier.ALL  # a tiered metric over every tier
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
