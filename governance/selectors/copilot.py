"""Copilot reads: daily usage for a team or everyone, and seats paid against seats used.

Usage comes from the user-level report where it was imported (it is the only one a team can
be read from); for everyone, a day with no user-level rows falls back to the organisation or
enterprise totals, summed over their scopes. A day's active users are the people in that
day's user-level report; engaged users those who accepted code or started an interaction.
"""

import operator
from datetime import date, timedelta
from decimal import Decimal
from functools import reduce

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from governance.models import CopilotOrgDay, CopilotUserDay, Team

# Copilot's "monthly" active users are a trailing 28-day window.
ACTIVE_WINDOW_DAYS = 28
ENGAGED = Q(code_acceptances__gt=0) | Q(interactions__gt=0)
# A row that came only from a seats file carries no usage.
HAS_USAGE = (
    Q(daily_active_users__gt=0) | Q(weekly_active_users__gt=0) | Q(monthly_active_users__gt=0)
)
HUNDREDTH = Decimal("0.01")


def _percent(part: int | None, whole: int | None) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / whole).quantize(HUNDREDTH)


def copilot_usage(*, date_from: date, date_to: date, team: Team | None = None) -> list[dict]:
    """Per day: active and engaged users, generations, acceptances and their rate, lines added."""
    users = CopilotUserDay.objects.filter(day__gte=date_from, day__lte=date_to)
    if team is not None:
        users = users.filter(team=team)
    days: dict[date, dict] = {}
    for row in (
        users.values("day")
        .order_by("day")
        .annotate(
            active_users=Count("id"),
            engaged_users=Count("id", filter=ENGAGED),
            code_generations=Sum("code_generations"),
            code_acceptances=Sum("code_acceptances"),
            loc_added=Sum("loc_added"),
        )
    ):
        days[row["day"]] = {**row, "source": "users"}
    if team is None:
        totals = (
            CopilotOrgDay.objects.filter(HAS_USAGE, day__gte=date_from, day__lte=date_to)
            .exclude(day__in=users.values("day"))
            .values("day")
            .order_by("day")
            .annotate(
                active_users=Sum("daily_active_users"),
                engaged_users=Sum("engaged_users"),
                code_generations=Sum("code_generations"),
                code_acceptances=Sum("code_acceptances"),
                loc_added=Sum("loc_added"),
            )
        )
        for row in totals:
            days[row["day"]] = {**row, "source": "organisation"}
    return [
        {**row, "acceptance_rate": _percent(row["code_acceptances"], row["code_generations"])}
        for _, row in sorted(days.items())
    ]


def _latest_per_scope(rows) -> Q | None:
    """A filter for each scope's latest day among `rows`; None when there is none. Scopes are
    an organisation and a few enterprises: a group and a short OR read faster than a
    correlated subquery is built."""
    latest = rows.values("scope").annotate(day=Max("day")).order_by()
    pairs = [Q(scope=row["scope"], day=row["day"]) for row in latest]
    return reduce(operator.or_, pairs) if pairs else None


def copilot_seats(*, on: date | None = None) -> dict:
    """Seats paid and active (latest seats file per scope) against who used Copilot in 28 days."""
    # Active users are the distinct logins of the user-level reports over the 28 days to `on`;
    # without those, the organisation reports' monthly active users on their latest day.
    on = on or timezone.localdate()
    since = on - timedelta(days=ACTIVE_WINDOW_DAYS - 1)
    with_seats = CopilotOrgDay.objects.filter(seats_paid__isnull=False, day__lte=on)
    latest = _latest_per_scope(with_seats)
    scopes = (
        []
        if latest is None
        else list(
            with_seats.filter(latest)
            .order_by("scope")
            .values("scope", "day", "seats_paid", "seats_active")
        )
    )
    logins = CopilotUserDay.objects.filter(day__gte=since, day__lte=on).aggregate(
        users=Count("login", distinct=True)
    )["users"]
    active = logins or None
    if not logins:
        reported = CopilotOrgDay.objects.filter(HAS_USAGE, day__gte=since, day__lte=on)
        last_report = _latest_per_scope(reported)
        if last_report is not None:
            active = reported.filter(last_report).aggregate(users=Sum("monthly_active_users"))[
                "users"
            ]
    paid = sum(row["seats_paid"] for row in scopes) if scopes else None
    seats_active = sum(row["seats_active"] or 0 for row in scopes) if scopes else None
    return {
        "on": on,
        "as_of": max((row["day"] for row in scopes), default=None),
        "seats_paid": paid,
        "seats_active": seats_active,
        "seats_inactive": None if paid is None else paid - (seats_active or 0),
        "active_users": active,
        "active_users_source": "users" if logins else ("organisation" if active else None),
        "seat_utilisation": _percent(seats_active, paid),
        "usage_per_seat": _percent(active, paid),
        "scopes": scopes,
    }
