"""Gateway spend API: the daily roll-ups summarised by team, tier, vendor, model or month."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.api.errors import ErrorSerializer
from governance.api.params import DateRangeSerializer
from governance.selectors import spend


class SpendSummaryQuerySerializer(DateRangeSerializer):
    """How to group, and the days to include (both ends inclusive)."""

    group_by = serializers.ChoiceField(
        choices=list(spend.GROUPS),
        error_messages={
            "invalid_choice": f"Group by one of: {', '.join(spend.GROUPS)}.",
            "required": f"Give group_by: one of {', '.join(spend.GROUPS)}.",
        },
    )


class SpendSummaryRowSerializer(serializers.Serializer):
    """One group's spend; money and ratios as decimal strings."""

    key = serializers.CharField(help_text="Team, tier, vendor, family:version or YYYY-MM.")
    id = serializers.IntegerField(allow_null=True, help_text="The team, vendor or version id.")
    currency = serializers.CharField()
    spend = serializers.DecimalField(max_digits=18, decimal_places=2)
    requests = serializers.IntegerField()
    cost_per_request = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    share_of_spend = serializers.DecimalField(
        max_digits=7, decimal_places=4, allow_null=True, help_text="Of its currency's spend."
    )
    share_of_requests = serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        allow_null=True,
        help_text="Of its currency's requests.",
    )
    cached_token_share = serializers.DecimalField(
        max_digits=7, decimal_places=4, allow_null=True, help_text="Cached of input tokens."
    )


class SpendSummarySerializer(serializers.Serializer):
    """The summary and what it covers."""

    group_by = serializers.CharField()
    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)
    rows = SpendSummaryRowSerializer(many=True)


class SpendSummaryView(APIView):
    """Gateway spend per team, routing tier, vendor, model version or month."""

    required_perms = {"GET": spend.PERMISSION}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "group_by", str, enum=list(spend.GROUPS), required=True, description="Group by."
            ),
            OpenApiParameter("from", str, description="First day, YYYY-MM-DD (inclusive)."),
            OpenApiParameter("to", str, description="Last day, YYYY-MM-DD (inclusive)."),
        ],
        responses={200: SpendSummarySerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def get(self, request):
        params = SpendSummaryQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        rows = spend.spend_summary(
            group_by=data["group_by"],
            date_from=data.get("from"),
            date_to=data.get("to"),
            user=request.user,
        )
        body = {
            "group_by": data["group_by"],
            "date_from": data.get("from"),
            "date_to": data.get("to"),
            "rows": rows,
        }
        return Response(SpendSummarySerializer(body).data)
