"""Evidence imports by API: upload a file, poll its run; and the team series they feed."""

import datetime

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from governance.api.errors import ErrorSerializer
from governance.api.params import DateRangeSerializer, query
from governance.models import ImportRun, TeamMetricValue
from governance.models.evidence import ImportKind
from governance.selectors.team_metrics import team_metric_series
from governance.services.imports import (
    import_create,
    import_enqueue,
    import_progress,
    import_retry,
)
from vendors.choices import Currency


class ImportErrorSerializer(serializers.Serializer):
    """One bad line."""

    line = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()


class ImportRunSerializer(serializers.ModelSerializer):
    """An import's state and counts, as a poller sees them."""

    progress = serializers.SerializerMethodField()
    errors = ImportErrorSerializer(many=True, read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "kind",
            "status",
            "dry_run",
            "skip_bad",
            "file_name",
            "file_sha256",
            "progress",
            "rows_read",
            "created",
            "updated",
            "skipped",
            "errors",
            "report",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_progress(self, run: ImportRun) -> int:
        return import_progress(run)


class ImportCreateSerializer(serializers.Serializer):
    """What to import: the kind, the file, and how."""

    kind = serializers.ChoiceField(choices=ImportKind.choices)
    file = serializers.FileField(required=False)
    dry_run = serializers.BooleanField(default=False)
    skip_bad = serializers.BooleanField(default=False)
    repo = serializers.RegexField(
        r"^[\w.-]+/[\w.-]+$",
        required=False,
        max_length=200,
        help_text="Pull requests: owner/name for records that omit it. GitHub sync: sync only "
        "this repository (repeat the field for several).",
    )
    org = serializers.RegexField(r"^[\w.-]+$", required=False, max_length=100)
    teams = serializers.BooleanField(required=False, help_text="GitHub sync: team membership.")
    full = serializers.BooleanField(required=False, help_text="GitHub sync: ignore the cursor.")
    since = serializers.DateTimeField(required=False, help_text="GitHub sync: from this time.")
    format = serializers.ChoiceField(choices=["litellm", "csv"], required=False)
    mapping = serializers.JSONField(required=False, help_text="Generic CSV: target -> column.")
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    scope = serializers.CharField(required=False, max_length=200)
    day = serializers.DateField(required=False, help_text="Copilot seats: the day they count.")

    def validate(self, data: dict) -> dict:
        """The run's options, named as the importers read them."""
        options = {}
        for name in ("org", "format", "mapping", "currency", "scope"):
            if name in data:
                options[name] = data.pop(name)
        for name in ("teams", "full"):
            if data.pop(name, False):
                options[name] = True
        if "since" in data:
            options["since"] = data.pop("since").isoformat()
        if "day" in data:
            options["day"] = data.pop("day").isoformat()
        repos = self.initial_data.getlist("repo") if hasattr(self.initial_data, "getlist") else []
        for repo in repos:
            self.fields["repo"].run_validation(repo)
        if "repo" in data:
            if data["kind"] == ImportKind.GITHUB_SYNC:
                options["repos"] = [r for r in repos if r] or [data["repo"]]
            else:
                options["repo"] = data["repo"]
            data.pop("repo")
        data["options"] = options
        return data


class ImportRunViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Evidence imports: POST a file (multipart) to queue one; GET its progress and counts."""

    queryset = ImportRun.objects.select_related("requested_by").order_by("-created_at", "-id")
    serializer_class = ImportRunSerializer
    parser_classes = [MultiPartParser]  # the create uploads a file
    filterset_fields = ["kind", "status"]

    @extend_schema(request=ImportCreateSerializer, responses={202: ImportRunSerializer})
    def create(self, request, *args, **kwargs):
        given = ImportCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        run = import_create(
            kind=data["kind"],
            actor=request.user,
            upload=data.get("file"),
            options=data["options"],
            dry_run=data["dry_run"],
            skip_bad=data["skip_bad"],
        )
        import_enqueue(run)
        return Response(ImportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: ImportRunSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue again an import stuck in flight (not moved for TOLLGATE_STUCK_AFTER seconds:
        its worker was lost); a finished import is final."""
        run = import_retry(run=self.get_object(), actor=request.user)
        return Response(ImportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class TeamMetricValueSerializer(serializers.ModelSerializer):
    """One week of a team's series."""

    class Meta:
        model = TeamMetricValue
        fields = ["period_start", "period_end", "value", "mean", "sample_size", "source", "tier"]
        read_only_fields = fields


class TeamMetricQuerySerializer(DateRangeSerializer):
    """Which team, metric and tier."""

    team = serializers.CharField(required=False, default="")
    metric = serializers.CharField(required=False, default="")
    tier = serializers.CharField(required=False, default="")


class TeamMetricListView(ListAPIView):
    """A team's weekly series of one metric, derived from imported evidence."""

    serializer_class = TeamMetricValueSerializer
    queryset = TeamMetricValue.objects.none()
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("team", str, required=True, description="Team id or name."),
            OpenApiParameter("metric", str, required=True, description="Metric code."),
            OpenApiParameter("tier", str, description="Complexity tier; empty for all."),
            OpenApiParameter("from", datetime.date),
            OpenApiParameter("to", datetime.date),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        given = query(TeamMetricQuerySerializer, self.request.query_params)
        return team_metric_series(
            team=given["team"],
            metric=given["metric"],
            tier=given["tier"],
            date_from=given.get("from"),
            date_to=given.get("to"),
        )
