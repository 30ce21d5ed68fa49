"""Checkpoint evaluations: read them, or evaluate a pilot's due checkpoints now."""

from rest_framework import serializers, viewsets

from governance.models import (
    CheckpointEvaluation,
    CriterionResult,
)


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
            "too_small",
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
