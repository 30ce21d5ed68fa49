"""Measurement ingest, checkpoint evaluations and notifications over the API."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.choices import TokenScope
from governance.csvimport import MEASUREMENT_COLUMNS
from governance.models import (
    CheckpointEvaluation,
    CriterionResult,
    Measurement,
    Notification,
    ServiceToken,
)
from governance.services.measurements import measurements_ingest
from governance.services.notifications import notification_mark_read


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


class CriterionResultSerializer(serializers.ModelSerializer):
    """One criterion's verdict at a checkpoint."""

    criterion = serializers.CharField(source="criterion.plain_words")

    class Meta:
        model = CriterionResult
        fields = [
            "criterion",
            "value",
            "baseline",
            "delta_pct",
            "verdict",
            "periods",
            "explanation",
        ]


class EvaluationSerializer(serializers.ModelSerializer):
    """A checkpoint evaluation with its results."""

    results = CriterionResultSerializer(many=True, read_only=True)

    class Meta:
        model = CheckpointEvaluation
        fields = [
            "id",
            "pilot",
            "checkpoint_day",
            "window_start",
            "window_end",
            "kill_recommended",
            "evaluated_at",
            "evaluated_by",
            "results",
        ]


class EvaluationViewSet(viewsets.ReadOnlyModelViewSet):
    """Checkpoint evaluations (computed daily, or on demand from the pilot)."""

    queryset = CheckpointEvaluation.objects.prefetch_related("results__criterion__metric")
    serializer_class = EvaluationSerializer
    filterset_fields = ["pilot", "checkpoint_day", "kill_recommended"]


class EvaluateRequestSerializer(serializers.Serializer):
    """Which checkpoint to evaluate now."""

    checkpoint_day = serializers.IntegerField(min_value=1, max_value=730)


class NotificationSerializer(serializers.ModelSerializer):
    """A notification for the caller."""

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own notifications, newest first; ?unread=1 for unread only."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()
    required_perms = {}  # every signed-in user reads their own

    def get_queryset(self):
        mine = Notification.objects.filter(user=self.request.user)
        if self.request.query_params.get("unread") == "1":
            mine = mine.filter(read_at__isnull=True)
        return mine

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read."""
        notification = generics.get_object_or_404(self.get_queryset(), pk=pk)
        notification_mark_read(notification=notification, user=request.user)
        return Response(NotificationSerializer(notification).data)
