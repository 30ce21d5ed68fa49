"""Copilot usage and seats, for finance: seats paid against people who used Copilot."""

import datetime

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.api.params import DateRangeSerializer, query
from governance.models import CopilotOrgDay, Team
from governance.selectors.copilot import copilot_seats, copilot_usage

READ = "governance.view_copilotorgday"
MAX_DAYS = 366


class CopilotDaySerializer(serializers.Serializer):
    """One day of Copilot use."""

    day = serializers.DateField()
    active_users = serializers.IntegerField()
    engaged_users = serializers.IntegerField()
    code_generations = serializers.IntegerField()
    code_acceptances = serializers.IntegerField()
    acceptance_rate = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    loc_added = serializers.IntegerField()
    source = serializers.CharField()


class CopilotSeatsSerializer(serializers.Serializer):
    """Seats paid and active, and who used Copilot in the 28 days to `on`."""

    on = serializers.DateField()
    as_of = serializers.DateField(allow_null=True)
    seats_paid = serializers.IntegerField(allow_null=True)
    seats_active = serializers.IntegerField(allow_null=True)
    seats_inactive = serializers.IntegerField(allow_null=True)
    active_users = serializers.IntegerField(allow_null=True)
    active_users_source = serializers.CharField(allow_null=True)
    seat_utilisation = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    usage_per_seat = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)


class CopilotUsageQuerySerializer(DateRangeSerializer):
    """The days (default: the 28 days to today) and, optionally, one team."""

    team = serializers.CharField(required=False, help_text="Team id or name.")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs.setdefault("to", timezone.localdate())
        attrs.setdefault("from", attrs["to"] - datetime.timedelta(days=27))
        if attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": "The end date is before the start date."})
        if (attrs["to"] - attrs["from"]).days >= MAX_DAYS:
            raise serializers.ValidationError({"from": f"Ask for at most {MAX_DAYS} days."})
        if name := attrs.get("team"):
            by_id = name.isascii() and name.isdigit() and len(name) < 10
            attrs["team"] = Team.objects.filter(
                **({"pk": int(name)} if by_id else {"name__iexact": name})
            ).first()
            if attrs["team"] is None:
                raise serializers.ValidationError({"team": f"No team {name!r}."})
        return attrs


class CopilotSeatsQuerySerializer(serializers.Serializer):
    """The day the seats are counted on (default: today)."""

    on = serializers.DateField(required=False)


class CopilotUsageView(APIView):
    """Copilot use per day (for one team, or everyone), from the usage-metrics reports."""

    required_perms = {"GET": READ}
    queryset = CopilotOrgDay.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("from", datetime.date, description="Default: 28 days ago."),
            OpenApiParameter("to", datetime.date, description="Default: today."),
            OpenApiParameter("team", str, description="Team id or name."),
        ],
        responses=CopilotDaySerializer(many=True),
    )
    def get(self, request):
        given = query(CopilotUsageQuerySerializer, request.query_params)
        rows = copilot_usage(date_from=given["from"], date_to=given["to"], team=given.get("team"))
        return Response(CopilotDaySerializer(rows, many=True).data)


class CopilotSeatsView(APIView):
    """Seats paid vs active (the latest seats file) and people active in the last 28 days."""

    required_perms = {"GET": READ}
    queryset = CopilotOrgDay.objects.none()

    @extend_schema(
        parameters=[OpenApiParameter("on", datetime.date, description="Default: today.")],
        responses=CopilotSeatsSerializer,
    )
    def get(self, request):
        on = query(CopilotSeatsQuerySerializer, request.query_params).get("on")
        return Response(CopilotSeatsSerializer(copilot_seats(on=on)).data)
