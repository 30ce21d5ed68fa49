"""Attributing imported events to teams: each event belongs to its author's team on its date."""

from django.db.models import DateField, Expression, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Coalesce

from governance.models import CopilotUserDay, GatewayRequest, PullRequest, TeamMember


def member_team(login: Expression | OuterRef, day: Expression | OuterRef) -> Subquery:
    """The team a login belonged to on a day, as a subquery (the latest membership started
    on or before that day wins when memberships overlap)."""
    return Subquery(
        TeamMember.objects.filter(login=login, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from", "-id")
        .values("team")[:1]
    )


def attribute_events() -> dict:
    """Set every pull request's and Copilot day's team from membership, in a few UPDATEs.

    Runs after every import, membership included, so a late membership file re-attributes
    history. A pull request counts for its author's team on the day it merged (opened, if
    never merged). Gateway requests named by their gateway team keep it; those named only by
    a person are attributed the same way.
    """
    pr_day = Cast(Coalesce(OuterRef("merged_at"), OuterRef("created_at")), DateField())
    prs = PullRequest.objects.update(team=member_team(OuterRef("author"), pr_day))
    copilot = CopilotUserDay.objects.update(team=member_team(OuterRef("login"), OuterRef("day")))
    gateway = (
        GatewayRequest.objects.filter(team_key="")
        .exclude(user="")
        .update(team=member_team(OuterRef("user"), OuterRef("day")))
    )
    return {"pull_requests": prs, "copilot_days": copilot, "gateway_requests": gateway}
