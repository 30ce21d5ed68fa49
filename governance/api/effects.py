"""Pilot effects API: the difference-in-differences per metric, and the control teams."""

from rest_framework import serializers

from governance.models import Team
from governance.selectors.effects import CONFIDENCE


class EffectsQuerySerializer(serializers.Serializer):
    """The checkpoint day the effects are read at (the latest one reached when absent)."""

    checkpoint = serializers.IntegerField(min_value=1, max_value=730, required=False)


class MetricEffectSerializer(serializers.Serializer):
    """One metric's effect: after - before of the pilot teams, net of the control teams."""

    metric = serializers.CharField(source="metric.code")
    name = serializers.CharField(source="metric.name")
    unit = serializers.CharField(source="metric.unit")
    direction = serializers.CharField(source="metric.direction")
    tier = serializers.CharField()
    method = serializers.CharField(source="effect.method")
    baseline = serializers.FloatField(source="effect.baseline", allow_null=True)
    current = serializers.FloatField(source="effect.current", allow_null=True)
    effect = serializers.FloatField(source="effect.effect", allow_null=True)
    effect_pct = serializers.FloatField(source="effect.effect_pct", allow_null=True)
    ci_low = serializers.FloatField(source="effect.ci_low", allow_null=True)
    ci_high = serializers.FloatField(source="effect.ci_high", allow_null=True)
    n_pilot = serializers.IntegerField(source="effect.n_pilot")
    n_control = serializers.IntegerField(source="effect.n_control")
    weeks_before = serializers.IntegerField(source="effect.weeks_before")
    weeks_after = serializers.IntegerField(source="effect.weeks_after")
    after_from = serializers.DateField()
    after_to = serializers.DateField()
    control_teams = serializers.ListField(child=serializers.CharField())
    significant = serializers.BooleanField(source="effect.significant")
    verdict = serializers.CharField()
    warnings = serializers.ListField(child=serializers.CharField(), source="effect.warnings")


class EffectsSerializer(serializers.Serializer):
    """A pilot's effects at one checkpoint day."""

    method = serializers.CharField()
    confidence = serializers.FloatField(default=CONFIDENCE)
    checkpoint = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.CharField())
    metrics = MetricEffectSerializer(many=True)


class ControlTeamsSerializer(serializers.Serializer):
    """The teams a pilot is compared with (none of its own)."""

    teams = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), many=True)


class TeamRefSerializer(serializers.Serializer):
    """A team by id and name."""

    id = serializers.IntegerField()
    name = serializers.CharField()


class SuggestionSerializer(serializers.Serializer):
    """A team whose pre-pilot series moves like the pilot's (lower score = closer)."""

    team = serializers.IntegerField(source="team.pk")
    name = serializers.CharField(source="team.name")
    score = serializers.FloatField()
    weeks = serializers.IntegerField()


class ControlsSerializer(serializers.Serializer):
    """A pilot's control teams and the teams suggested as controls."""

    control_teams = TeamRefSerializer(many=True)
    suggestions = SuggestionSerializer(many=True)
    rule = serializers.CharField()


class ControlsQuerySerializer(serializers.Serializer):
    """Which metric the suggestions match on."""

    metric = serializers.SlugField(required=False, default="cycle-time")
