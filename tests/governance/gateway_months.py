"""The monthly gateway roll-up against the daily roll-ups it sums, for tests."""

from collections import defaultdict
from decimal import Decimal

from governance.models import GatewayDaily, GatewayMonthly

KEY = ("team_id", "team_key", "model", "model_version_id", "tier", "currency")
SUMS = ("requests", "input_tokens", "cached_tokens", "output_tokens", "spend")


def daily_by_month() -> dict[tuple, tuple]:
    """GatewayDaily summed in Python per month and key: what GatewayMonthly must hold."""
    out: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0, Decimal(0), 0])
    for row in GatewayDaily.objects.all():
        totals = out[(row.day.replace(day=1), *(getattr(row, k) for k in KEY))]
        for i, name in enumerate(SUMS):
            totals[i] += getattr(row, name)
        totals[5] += 1
    return {key: tuple(totals) for key, totals in out.items()}


def monthly() -> dict[tuple, tuple]:
    """GatewayMonthly as {(month, key...): (sums..., days)}."""
    return {
        (row.month, *(getattr(row, k) for k in KEY)): (*(getattr(row, s) for s in SUMS), row.days)
        for row in GatewayMonthly.objects.all()
    }
