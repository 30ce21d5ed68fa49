"""Pilot API: pilots, teams, metrics, baselines, kill criteria, and lifecycle actions."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.api.checkpoints import EvaluateRequestSerializer, EvaluationSerializer
from governance.api.effects import (
    ControlsQuerySerializer,
    ControlsSerializer,
    ControlTeamsSerializer,
    EffectsQuerySerializer,
    EffectsSerializer,
)
from governance.api.params import query
from governance.choices import PilotOutcome
from governance.models import Baseline, KillCriterion, Metric, Pilot, Team
from governance.models.pilots import CHARTER_PLAN, CHARTER_SCOPE
from governance.selectors.effects import (
    SUGGESTION_RULE,
    control_team_suggestions,
    pilot_effects_report,
)
from governance.selectors.pilots import next_step_problems, pilot_list
from governance.services import pilots as ps
from governance.services.checkpoints import checkpoint_evaluate
from governance.services.pilots import BASELINE_COLUMNS
from governance.services.team_metrics import DEFAULT_BASELINE_WEEKS, pilot_baselines_compute
from vendors.models import Offering


class TeamSerializer(serializers.ModelSerializer):
    """An engineering team."""

    class Meta:
        model = Team
        fields = ["id", "name", "cost_centre", "headcount"]

    def create(self, validated_data: dict) -> Team:
        return ps.team_create(**validated_data, actor=self.context["request"].user)


class MetricSerializer(serializers.ModelSerializer):
    """A catalog metric: its unit, sensible range and an example, as the forms show them."""

    hint = serializers.CharField(
        read_only=True, help_text='The unit, range and example in words ("ratio from 0 to 1, ...").'
    )

    class Meta:
        model = Metric
        fields = [
            "id",
            "code",
            "name",
            "unit",
            "direction",
            "core",
            "tiered",
            "description",
            "example",
            "lowest",
            "highest",
            "hint",
        ]


class BaselineSerializer(serializers.ModelSerializer):
    """A measured baseline; POST upserts by (pilot, metric, tier)."""

    metric = serializers.SlugRelatedField(slug_field="code", queryset=Metric.objects.all())
    pilot = serializers.PrimaryKeyRelatedField(queryset=Pilot.objects.all())

    class Meta:
        model = Baseline
        fields = ["id", *BASELINE_COLUMNS, "source", "provenance", "recorded_by", "recorded_at"]
        read_only_fields = ["provenance", "recorded_by", "recorded_at"]
        validators = []  # the service validates, with the model's messages

    def create(self, validated_data: dict) -> Baseline:
        return ps.baseline_set(**validated_data, actor=self.context["request"].user)


class ComputeBaselinesSerializer(serializers.Serializer):
    """How many weeks before the start to take, and where the window ends."""

    weeks = serializers.IntegerField(min_value=1, max_value=104, default=DEFAULT_BASELINE_WEEKS)
    end = serializers.DateField(required=False, help_text="Defaults to the planned start.")


class KillCriterionSerializer(serializers.ModelSerializer):
    """A pre-committed kill criterion, with its plain-words rendering."""

    metric = serializers.SlugRelatedField(slug_field="code", queryset=Metric.objects.all())
    pilot = serializers.PrimaryKeyRelatedField(queryset=Pilot.objects.all())

    class Meta:
        model = KillCriterion
        fields = [
            "id",
            "pilot",
            "metric",
            "tier",
            "comparator",
            "threshold",
            "evaluate_from_day",
            "consecutive_periods",
            "min_sample_size",
            "require_clear_breach",
            "plain_words",
        ]
        read_only_fields = ["plain_words"]

    def create(self, validated_data: dict) -> KillCriterion:
        return ps.kill_criterion_add(**validated_data, actor=self.context["request"].user)


class PilotSerializer(serializers.ModelSerializer):
    """A pilot with its scope; baselines and kill criteria have their own endpoints."""

    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    offering = serializers.PrimaryKeyRelatedField(queryset=Offering.objects.all())
    teams = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), many=True, required=False
    )
    workflows = serializers.ListField(child=serializers.CharField(), allow_empty=False)
    checkpoint_days = serializers.ListField(child=serializers.IntegerField(), required=False)
    agentic = serializers.BooleanField(required=False, allow_null=True, default=None)
    next_step_blockers = serializers.SerializerMethodField()

    class Meta:
        model = Pilot
        fields = [
            "id",
            "title",
            "owner",
            *CHARTER_SCOPE[1:],
            "agentic",
            *CHARTER_PLAN,
            "status",
            "outcome",
            "kill_recommended",
            "started_on",
            "closed_on",
            "charter_digest",
            "next_step_blockers",
            "created_at",
        ]
        read_only_fields = [
            "status",
            "outcome",
            "kill_recommended",
            "started_on",
            "closed_on",
            "charter_digest",
            "created_at",
        ]

    def get_next_step_blockers(self, pilot: Pilot) -> list[str]:
        """What blocks the next lifecycle step, in plain words (only on a single pilot)."""
        if self.context.get("view") and getattr(self.context["view"], "action", "") == "list":
            return []
        return next_step_problems(pilot)

    def create(self, validated_data: dict) -> Pilot:
        return ps.pilot_create(**validated_data, actor=self.context["request"].user)

    def update(self, instance: Pilot, validated_data: dict) -> Pilot:
        if validated_data.get("agentic") is None:
            validated_data.pop("agentic", None)  # absent or null: keep the pilot's flag
        return ps.pilot_update(pilot=instance, **validated_data, actor=self.context["request"].user)


class StepSerializer(serializers.Serializer):
    """A reason for a lifecycle step."""

    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CloseSerializer(StepSerializer):
    """Closing a pilot: outcome and rationale."""

    outcome = serializers.ChoiceField(choices=PilotOutcome.choices)


class TeamViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Teams."""

    queryset = Team.objects.all()
    serializer_class = TeamSerializer


class MetricViewSet(viewsets.ReadOnlyModelViewSet):
    """The metric catalog (read-only)."""

    queryset = Metric.objects.all()
    serializer_class = MetricSerializer
    filterset_fields = ["core", "tiered", "direction"]


class BaselineViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Baselines; POST records or corrects one (frozen after approval)."""

    queryset = Baseline.objects.select_related("metric")
    serializer_class = BaselineSerializer
    filterset_fields = ["pilot", "metric__code", "tier"]

    def perform_destroy(self, instance) -> None:
        ps.baseline_delete(baseline=instance, actor=self.request.user)


class KillCriterionViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Kill criteria (frozen after approval)."""

    queryset = KillCriterion.objects.select_related("metric")
    serializer_class = KillCriterionSerializer
    filterset_fields = ["pilot", "metric__code"]

    def perform_destroy(self, instance) -> None:
        ps.kill_criterion_delete(criterion=instance, actor=self.request.user)


class PilotViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Pilots and their lifecycle: submit, approve, start, withdraw, review, close."""

    queryset = pilot_list()
    serializer_class = PilotSerializer
    filterset_fields = ["status", "owner__username", "offering", "agentic"]
    ordering_fields = ["created_at", "planned_start"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_perms = None  # set per action below

    def get_queryset(self):
        pilots = super().get_queryset()
        if self.action == "list":
            # A listed pilot shows its owner's username and its offering's id only: no
            # offering or vendor rows to read and build for a page of 50 pilots.
            pilots = pilots.select_related(None).select_related("owner")
        return pilots

    def _step(self, request, service, serializer_class=StepSerializer, **extra):
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        pilot = service(pilot=self.get_object(), actor=request.user, **body.validated_data, **extra)
        return Response(
            PilotSerializer(pilot, context=self.get_serializer_context()).data,
            status=status.HTTP_200_OK,
        )

    @extend_schema(request=StepSerializer, responses=PilotSerializer)
    @action(detail=True, methods=["post"], required_perms={"POST": "governance.change_pilot"})
    def submit(self, request, pk=None):
        """Submit a draft for sign-off (its owner)."""
        return self._step(request, ps.pilot_submit)

    @extend_schema(request=StepSerializer, responses=PilotSerializer)
    @action(detail=True, methods=["post"], required_perms={"POST": "governance.approve_pilot"})
    def approve(self, request, pk=None):
        """Approve a submitted pilot (shortlist gate and sign-offs checked)."""
        return self._step(request, ps.pilot_approve)

    @extend_schema(request=StepSerializer, responses=PilotSerializer)
    @action(detail=True, methods=["post"], required_perms={"POST": "governance.change_pilot"})
    def start(self, request, pk=None):
        """Start an approved pilot on or after its planned start (its owner)."""
        return self._step(request, ps.pilot_start)

    @extend_schema(request=StepSerializer, responses=PilotSerializer)
    @action(detail=True, methods=["post"], required_perms={"POST": "governance.change_pilot"})
    def withdraw(self, request, pk=None):
        """Withdraw a draft or submitted pilot (its owner)."""
        return self._step(request, ps.pilot_withdraw)

    @extend_schema(request=StepSerializer, responses=PilotSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="begin-review",
        required_perms={"POST": "governance.change_pilot"},
    )
    def begin_review(self, request, pk=None):
        """Move a running pilot to review."""
        return self._step(request, ps.pilot_begin_review)

    @extend_schema(request=CloseSerializer, responses=PilotSerializer)
    @action(detail=True, methods=["post"], required_perms={"POST": "governance.approve_pilot"})
    def close(self, request, pk=None):
        """Close a reviewed pilot with its outcome."""
        return self._step(request, ps.pilot_close, CloseSerializer)

    @extend_schema(request=EvaluateRequestSerializer, responses=EvaluationSerializer)
    @action(
        detail=True,
        methods=["post"],
        required_perms={"POST": "governance.add_checkpointevaluation"},
    )
    def evaluate(self, request, pk=None):
        """Evaluate a checkpoint now (idempotent: an evaluated one is returned as it was)."""
        body = EvaluateRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = checkpoint_evaluate(
            pilot=self.get_object(),
            actor=request.user,
            checkpoint_day=body.validated_data["checkpoint_day"],
        )
        return Response(EvaluationSerializer(record).data)

    @extend_schema(request=ComputeBaselinesSerializer, responses=BaselineSerializer(many=True))
    @action(
        detail=True,
        methods=["post"],
        url_path="compute-baselines",
        required_perms={"POST": "governance.add_baseline"},
    )
    def compute_baselines(self, request, pk=None):
        """Record baselines from the pilot's teams' series over the weeks before its start."""
        body = ComputeBaselinesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        baselines = pilot_baselines_compute(
            pilot=self.get_object(), actor=request.user, **body.validated_data
        )
        return Response(BaselineSerializer(baselines, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "checkpoint",
                int,
                description="Checkpoint day (default: the latest one reached).",
            )
        ],
        responses=EffectsSerializer,
    )
    @action(detail=True, methods=["get"], required_perms={"GET": "governance.view_pilot"})
    def effects(self, request, pk=None):
        """Each metric's effect at a checkpoint: difference-in-differences against the
        control teams (before/after with a warning without them), with its interval."""
        params = query(EffectsQuerySerializer, request.query_params)
        report = pilot_effects_report(pilot=self.get_object(), checkpoint=params.get("checkpoint"))
        return Response(EffectsSerializer(report).data)

    @extend_schema(
        methods=["GET"],
        parameters=[ControlsQuerySerializer],
        responses=ControlsSerializer,
    )
    @extend_schema(methods=["POST"], request=ControlTeamsSerializer, responses=ControlsSerializer)
    @action(
        detail=True,
        methods=["get", "post"],
        required_perms={
            "GET": "governance.view_pilot",
            "POST": "governance.set_controls_pilot",
        },
    )
    def controls(self, request, pk=None):
        """The pilot's control teams and suggested ones; POST names them (owner or platform)."""
        pilot = self.get_object()
        params = query(ControlsQuerySerializer, request.query_params)
        if request.method == "POST":
            body = ControlTeamsSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            pilot = ps.pilot_controls_set(
                pilot=pilot, teams=body.validated_data["teams"], actor=request.user
            )
        data = {
            "control_teams": [
                {"id": team.pk, "name": team.name} for team in pilot.control_teams.order_by("name")
            ],
            "suggestions": control_team_suggestions(pilot=pilot, metric=params["metric"]),
            "rule": SUGGESTION_RULE,
        }
        return Response(ControlsSerializer(data).data)
