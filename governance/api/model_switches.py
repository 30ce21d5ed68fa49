"""Model-switch API: each switch with its re-review status and every pilot's metrics before and
after it (read-only; switches are found by imports, declarations and the daily sweep)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from governance.selectors.model_switches import switch_list, switches_effects


class SwitchMetricSerializer(serializers.Serializer):
    """One metric (and tier) of one pilot before and after a switch."""

    metric = serializers.CharField(source="metric.code")
    tier = serializers.CharField()
    unit = serializers.CharField(source="metric.unit")
    before = serializers.FloatField(source="effect.baseline", allow_null=True)
    after = serializers.FloatField(source="effect.current", allow_null=True)
    effect = serializers.FloatField(source="effect.effect", allow_null=True)
    ci_low = serializers.FloatField(source="effect.ci_low", allow_null=True)
    ci_high = serializers.FloatField(source="effect.ci_high", allow_null=True)
    method = serializers.CharField(source="effect.method")
    weeks_before = serializers.IntegerField(source="effect.weeks_before")
    weeks_after = serializers.IntegerField(source="effect.weeks_after")
    verdict = serializers.CharField()
    warnings = serializers.ListField(child=serializers.CharField(), source="effect.warnings")


class PilotSwitchSerializer(serializers.Serializer):
    """A pilot on the switched offering, with its metrics across the switch."""

    pilot = serializers.IntegerField(source="pilot.pk")
    title = serializers.CharField(source="pilot.title")
    control_teams = serializers.ListField(child=serializers.CharField(), source="controls")
    metrics = SwitchMetricSerializer(many=True)


class ModelSwitchSerializer(serializers.Serializer):
    """A switch, its re-review and the before/after of every pilot on its offering."""

    id = serializers.IntegerField()
    offering = serializers.IntegerField(source="offering_id")
    offering_name = serializers.CharField(source="offering.name")
    vendor = serializers.CharField(source="offering.vendor.slug")
    from_version = serializers.CharField()
    to_version = serializers.CharField()
    detected_on = serializers.DateField()
    detected_from = serializers.CharField()
    detail = serializers.CharField()
    days_to_adopt = serializers.IntegerField(allow_null=True)
    rereview_status = serializers.CharField(source="status")
    rereview_items = serializers.SerializerMethodField()
    pilots = serializers.SerializerMethodField()

    def get_rereview_items(self, switch) -> list[str]:
        return sorted({r.item.code for r in switch.reopened.all()})

    @extend_schema_field(PilotSwitchSerializer(many=True))
    def get_pilots(self, switch) -> list[dict]:
        plans = self.context["effects"].get(switch.pk, [])
        return PilotSwitchSerializer(plans, many=True).data


class ModelSwitchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Model switches: GET lists them (newest first), GET {id}/ reads one."""

    queryset = switch_list()
    serializer_class = ModelSwitchSerializer
    filterset_fields = ["offering", "status", "detected_from"]
    ordering_fields = ["detected_on"]

    def list(self, request, *args, **kwargs):
        switches = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(switches)
        rows = page if page is not None else list(switches)
        # One set of reads for the whole page, whatever its number of switches and pilots.
        context = {**self.get_serializer_context(), "effects": switches_effects(rows)}
        data = ModelSwitchSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        switch = self.get_object()
        context = {**self.get_serializer_context(), "effects": switches_effects([switch])}
        return Response(ModelSwitchSerializer(switch, context=context).data)
