"""Gateway spend read from the daily roll-ups: by team, routing tier, vendor, model or month.

Every figure comes from one aggregate query over GatewayDaily; shares (of spend and of
requests) are within a currency (Tollgate does not convert), so each row names its currency.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.db.models.functions import TruncMonth

from governance.models import GatewayDaily

PERMISSION = "governance.view_gatewaydaily"
UNKNOWN = "(unknown)"
CENTS = Decimal("0.01")
MICROS = Decimal("0.000001")
SHARE = Decimal("0.0001")
# group_by -> (the columns grouped on, the label column, the id column or None)
GROUPS: dict[str, tuple[tuple[str, ...], str, str | None]] = {
    "team": (("team_id", "team__name"), "team__name", "team_id"),
    "tier": (("tier",), "tier", None),
    "vendor": (
        ("model_version__vendor_id", "model_version__vendor__name"),
        "model_version__vendor__name",
        "model_version__vendor_id",
    ),
    "model_version": (
        ("model_version_id", "model_version__family", "model_version__version"),
        "model_version__family",
        "model_version_id",
    ),
    "month": (("month",), "month", None),
}


def _label(group_by: str, item: dict) -> str:
    if group_by == "month":
        return f"{item['month']:%Y-%m}"
    if group_by == "model_version":
        if item["model_version_id"] is None:
            return UNKNOWN
        return f"{item['model_version__family']}:{item['model_version__version']}"
    return item[GROUPS[group_by][1]] or UNKNOWN


def spend_summary(
    *, group_by: str, date_from: date | None, date_to: date | None, user: Any
) -> list[dict]:
    """Spend, requests, cost per request, shares of spend and of requests, and cached-token
    share per group."""
    if not (user and user.has_perm(PERMISSION)):
        raise PermissionDenied("Reading gateway spend needs finance, platform, AI PM or audit.")
    if group_by not in GROUPS:
        raise ValidationError({"group_by": f"Choose one of: {', '.join(GROUPS)}."})
    if date_from and date_to and date_from > date_to:
        raise ValidationError({"to": "The end date is before the start date."})
    rows = GatewayDaily.objects.all()
    if date_from:
        rows = rows.filter(day__gte=date_from)
    if date_to:
        rows = rows.filter(day__lte=date_to)
    if group_by == "month":
        rows = rows.annotate(month=TruncMonth("day"))
    columns, _column, id_column = GROUPS[group_by]
    found = list(
        rows.values(*columns, "currency")
        .annotate(
            spent=Sum("spend"),
            request_count=Sum("requests"),
            cached=Sum("cached_tokens"),
            input=Sum("input_tokens"),
        )
        .order_by()
    )
    totals: dict[str, Decimal] = {}
    request_totals: dict[str, int] = {}
    for item in found:
        totals[item["currency"]] = totals.get(item["currency"], Decimal(0)) + item["spent"]
        request_totals[item["currency"]] = (
            request_totals.get(item["currency"], 0) + item["request_count"]
        )
    result = []
    for item in found:
        spent, requests, total = item["spent"], item["request_count"], totals[item["currency"]]
        all_requests = request_totals[item["currency"]]
        result.append(
            {
                "key": _label(group_by, item),
                "id": item[id_column] if id_column else None,
                "currency": item["currency"],
                "spend": spent.quantize(CENTS, ROUND_HALF_UP),
                "requests": requests,
                "cost_per_request": (spent / requests).quantize(MICROS, ROUND_HALF_UP)
                if requests
                else None,
                "share_of_spend": (spent / total).quantize(SHARE, ROUND_HALF_UP) if total else None,
                "share_of_requests": (Decimal(requests) / all_requests).quantize(
                    SHARE, ROUND_HALF_UP
                )
                if all_requests
                else None,
                "cached_token_share": (Decimal(item["cached"]) / item["input"]).quantize(
                    SHARE, ROUND_HALF_UP
                )
                if item["input"]
                else None,
            }
        )
    result.sort(key=lambda row: (row["currency"], row["key"] == UNKNOWN, row["key"]))
    return result
