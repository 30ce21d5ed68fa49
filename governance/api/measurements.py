"""Measurements: bulk ingest from telemetry, and reads."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.choices import TokenScope
from governance.csvimport import MEASUREMENT_COLUMNS
from governance.models import (
    Measurement,
    ServiceToken,
)
from governance.services.measurements import measurements_ingest


class MeasurementRowSerializer(serializers.Serializer):
    """One row of a bulk post (validated by the ingest service, all rows at once)."""

    pilot = serializers.IntegerField()
    metric = serializers.CharField(help_text="metric code, e.g. reviewer-load")
    tier = serializers.CharField(required=False, allow_blank=True)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    value = serializers.DecimalField(max_digits=16, decimal_places=4)
    sample_size = serializers.IntegerField(min_value=1)


class BulkRequestSerializer(serializers.Serializer):
    """Up to 10,000 rows."""

    measurements = MeasurementRowSerializer(many=True)


class BulkResultSerializer(serializers.Serializer):
    """How many rows were created, updated or already as sent."""

    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class MeasurementSerializer(serializers.ModelSerializer):
    """A stored measurement."""

    metric = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Measurement
        fields = [
            "id",
            *MEASUREMENT_COLUMNS,
            "source",
            "recorded_at",
            "recorded_by",
        ]


class MeasurementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Measurements; POST .../bulk/ upserts up to 10,000 rows in one all-or-nothing request."""

    queryset = Measurement.objects.select_related("metric")
    serializer_class = MeasurementSerializer
    filterset_fields = ["pilot", "metric__code", "tier", "source"]
    ordering_fields = ["period_end"]
    token_scopes = {"POST": TokenScope.MEASUREMENTS_WRITE}
    required_perms = None

    @extend_schema(request=BulkRequestSerializer, responses={200: BulkResultSerializer})
    @action(detail=False, methods=["post"], required_perms={"POST": "governance.add_measurement"})
    def bulk(self, request):
        """Validate every row, then create or update them all; report every bad row."""
        rows = request.data.get("measurements") if isinstance(request.data, dict) else None
        token = request.auth if isinstance(request.auth, ServiceToken) else None
        result = measurements_ingest(
            rows=rows if isinstance(rows, list) else [], actor=request.user, token=token
        )
        return Response(BulkResultSerializer(result).data, status=status.HTTP_200_OK)
