"""Copilot usage and seats, for finance: seats paid against people who used Copilot."""

import datetime

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

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


def _date(value: str | None, name: str, default: datetime.date) -> datetime.date:
    if not value:
        return default
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise ValidationError({name: "Give a date as YYYY-MM-DD."}) from error


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
        today = timezone.localdate()
        date_to = _date(request.query_params.get("to"), "to", today)
        date_from = _date(
            request.query_params.get("from"), "from", date_to - datetime.timedelta(days=27)
        )
        if date_to < date_from:
            raise ValidationError({"to": "The range ends before it starts."})
        if (date_to - date_from).days >= MAX_DAYS:
            raise ValidationError({"from": f"Ask for at most {MAX_DAYS} days."})
        team = None
        if name := request.query_params.get("team"):
            by_id = name.isascii() and name.isdigit() and len(name) < 10
            team = Team.objects.filter(
                **({"pk": int(name)} if by_id else {"name__iexact": name})
            ).first()
            if team is None:
                raise ValidationError({"team": f"No team {name!r}."})
        rows = copilot_usage(date_from=date_from, date_to=date_to, team=team)
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
        on = _date(request.query_params.get("on"), "on", timezone.localdate())
        return Response(CopilotSeatsSerializer(copilot_seats(on=on)).data)
