"""The monthly gateway roll-up (GatewayMonthly): GatewayDaily summed per calendar month.

Everything that writes GatewayDaily (the gateway import's roll-up, the demo and the bench's
seeding) calls `gateway_months_refresh` for the months it touched, so a month's rows always
equal the sum of its daily rows; the portfolio reads whole months from here
(governance/selectors/portfolio.py) and only the partial months at a range's edges from
GatewayDaily.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db import connection, transaction

_COLUMNS = "team_id, team_key, model, model_version_id, tier, currency"
_INSERT = """
INSERT INTO governance_gatewaymonthly (
    month, {columns}, requests, input_tokens, cached_tokens, output_tokens, spend, days
)
SELECT {month}, {columns}, SUM(requests), SUM(input_tokens), SUM(cached_tokens),
    SUM(output_tokens), SUM(spend), COUNT(*)
FROM governance_gatewaydaily
{where}
GROUP BY {month}, {columns}
"""


def _month_of_day() -> str:
    """The SQL for the first day of a GatewayDaily row's month, on this database."""
    if connection.vendor == "postgresql":
        return "CAST(date_trunc('month', day) AS date)"
    return "date(day, 'start of month')"


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def gateway_months_refresh(*, months: Iterable[date] | None = None) -> None:
    """Recompute GatewayMonthly from GatewayDaily for these months (any day of each names
    its month), or for every month when none are named: a DELETE and one INSERT ... SELECT
    ... GROUP BY per 500 months, in one transaction."""
    month = _month_of_day()
    with transaction.atomic(), connection.cursor() as cursor:
        if months is None:
            cursor.execute("DELETE FROM governance_gatewaymonthly")
            cursor.execute(_INSERT.format(columns=_COLUMNS, month=month, where=""))
            return
        wanted = sorted({day.replace(day=1) for day in months})
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"DELETE FROM governance_gatewaymonthly WHERE month IN ({marks})",  # noqa: S608
                chunk,
            )
            # The day range lets the database use GatewayDaily's (day, ...) index; the month
            # list leaves out the months between that are not being refreshed.
            where = f"WHERE day >= %s AND day < %s AND {month} IN ({marks})"
            cursor.execute(
                _INSERT.format(columns=_COLUMNS, month=month, where=where),
                [chunk[0], _next_month(chunk[-1]), *chunk],
            )
