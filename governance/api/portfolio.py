"""Portfolio API: the portfolio's spend figures and the adoption funnel for a range."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.api.errors import ErrorSerializer
from governance.api.params import DateRangeSerializer, query
from governance.selectors import funnel as funnel_selectors
from governance.selectors import portfolio as ps
from vendors.choices import Currency
from vendors.kit.services import parse_id

RANGE = [
    OpenApiParameter("from", str, description="First day, YYYY-MM-DD (inclusive)."),
    OpenApiParameter("to", str, description="Last day, YYYY-MM-DD (inclusive)."),
]


class PortfolioQuerySerializer(DateRangeSerializer):
    """Both ends of the range are required for the portfolio."""

    to = serializers.DateField()
    currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.USD)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        return fields


class StageSerializer(serializers.Serializer):
    """One gate of the funnel."""

    stage = serializers.CharField()
    entered = serializers.IntegerField()
    stopped = serializers.IntegerField()
    median_days = serializers.FloatField(allow_null=True)
    p90_days = serializers.FloatField(allow_null=True)
    stopped_why = serializers.DictField(child=serializers.IntegerField())


class DaysSerializer(serializers.Serializer):
    """Median and 90th percentile of days."""

    median = serializers.FloatField(allow_null=True)
    p90 = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()


class FunnelSerializer(serializers.Serializer):
    """The funnel's gates and the time from a pilot's start to its decision."""

    stages = StageSerializer(many=True)
    pilot_to_decision_days = DaysSerializer()


def _money(value) -> str:
    return format(value, "f")


def portfolio_body(data: dict) -> dict:
    """The portfolio as JSON: money and ratios as decimal strings, months as YYYY-MM."""

    def text(value):
        if value is None or isinstance(value, bool | int | str):
            return value
        if hasattr(value, "isoformat") and not hasattr(value, "quantize"):
            return value.isoformat()
        if hasattr(value, "quantize"):
            return _money(value)
        if isinstance(value, dict):
            return {k: text(v) for k, v in value.items() if k != "by_month"}
        if isinstance(value, list | tuple):
            return [text(v) for v in value]
        return str(value)

    return text(data)


class PortfolioView(APIView):
    """Spend by team, vendor, model version and tier per month; tiers; top spenders; ledger;
    seats; budget vs actual, for a range of days (finance)."""

    required_perms = {"GET": "governance.view_portfolio_pilot"}

    @extend_schema(
        parameters=[*RANGE, OpenApiParameter("currency", str, description="Default USD.")],
        responses={200: dict, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def get(self, request):
        data = query(PortfolioQuerySerializer, request.query_params)
        rng = ps.portfolio_range(
            date_from=data["from"],
            date_to=data["to"],
            currency=data["currency"],
        )
        return Response(portfolio_body(ps.portfolio(rng)))


class FunnelView(APIView):
    """How many assessments and pilots reached each gate, and how long each gate took."""

    required_perms = {"GET": "governance.view_funnel_pilot"}

    @extend_schema(
        parameters=[
            *RANGE,
            OpenApiParameter("vendor", int, description="Vendor id."),
            OpenApiParameter("team", int, description="Team id."),
        ],
        responses={200: FunnelSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def get(self, request):
        data = query(DateRangeSerializer, request.query_params)
        result = funnel_selectors.funnel(
            date_from=data.get("from"),
            date_to=data.get("to"),
            vendor=parse_id(request.query_params.get("vendor")),
            team=parse_id(request.query_params.get("team")),
        )
        return Response(FunnelSerializer(result).data)
