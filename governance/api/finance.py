"""Finance API: the stateless ROI and tier-cost calculators, measured ROI, spend, reviews."""

from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import roi
from governance.choices import Decision, ReviewDecision, ReviewScope, SubjectKind
from governance.models import Pilot, QuarterlyReview, Spend, Team
from governance.models.finance import QUARTER_PATTERN
from governance.selectors import budget, finance
from governance.selectors.signoffs import signer_roles
from governance.services import finance as fs
from vendors.choices import Currency, RoutingTier
from vendors.kit.errors import DomainError
from vendors.models import ModelVersion, Offering, Vendor

BIG = {"max_digits": 18, "decimal_places": 6}


def _number(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(**BIG, required=False, default=Decimal(0), **kwargs)


class RoiRequestSerializer(serializers.Serializer):
    """Inputs of the ROI model (DESIGN.md names); all 0 by default except annual AI spend."""

    engineers = _number(min_value=Decimal(0))
    prs_per_engineer_month = _number(min_value=Decimal(0))
    cycle_time_saving_hours = _number(help_text="Negative when cycle time got worse.")
    loaded_hourly_rate = _number(min_value=Decimal(0))
    reviewer_minutes_change_per_pr = _number(help_text="Negative when reviewers save minutes.")
    senior_hourly_rate = _number(min_value=Decimal(0))
    other_audited_benefits = _number(min_value=Decimal(0))
    annual_ai_spend = serializers.DecimalField(**BIG, min_value=Decimal("0.000001"))
    one_time_costs = _number(min_value=Decimal(0))
    currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.USD)


class RoiResultSerializer(serializers.Serializer):
    """Every intermediate and output, decimals as strings."""

    annual_pr_volume = serializers.CharField()
    hours_saved = serializers.CharField()
    time_savings = serializers.CharField()
    reviewer_savings = serializers.CharField()
    total_benefit = serializers.CharField()
    benefit_multiple = serializers.CharField(help_text="total_benefit / annual_ai_spend")
    net_roi = serializers.CharField(help_text="(total_benefit - annual_ai_spend) / spend")
    monthly_net_savings = serializers.CharField()
    payback_months = serializers.CharField(allow_null=True)
    payback_note = serializers.CharField(required=False, help_text="Why there is no payback.")
    currency = serializers.CharField()


def _roi_refused(error: roi.RoiInputError) -> DomainError:
    return DomainError({name: [message] for name, message in error.errors.items()})


class RoiCalculateView(APIView):
    """The ROI model on the inputs given (stateless: nothing is stored)."""

    required_perms = {"POST": "governance.view_spend"}

    @extend_schema(request=RoiRequestSerializer, responses=RoiResultSerializer)
    def post(self, request):
        body = RoiRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = roi.calculate(roi.RoiInputs(**body.validated_data))
        except roi.RoiInputError as error:
            raise _roi_refused(error) from error
        return Response(result.as_dict())


class TierPriceSerializer(serializers.Serializer):
    """A tier's prices per 1M tokens."""

    input_per_mtok = serializers.DecimalField(**BIG, min_value=Decimal(0))
    cached_input_per_mtok = serializers.DecimalField(**BIG, min_value=Decimal(0))
    output_per_mtok = serializers.DecimalField(**BIG, min_value=Decimal(0))


class TierMixSerializer(serializers.Serializer):
    """A tier's share of requests and its average tokens per request."""

    share = serializers.DecimalField(max_digits=7, decimal_places=6, min_value=Decimal(0))
    input_tokens = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal(0))
    cached_input_tokens = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), default=Decimal(0)
    )
    output_tokens = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal(0))


class TierCostRequestSerializer(serializers.Serializer):
    """Prices per tier (given, or read from catalog model versions) and the request mix."""

    mix = serializers.DictField(child=TierMixSerializer())
    prices = serializers.DictField(child=TierPriceSerializer(), required=False, default=dict)
    model_versions = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        default=dict,
        help_text="Tier -> model version id; its catalog prices override `prices`.",
    )
    currency = serializers.ChoiceField(
        choices=Currency.choices,
        default=Currency.USD,
        help_text="The currency of the prices; catalog versions must be priced in it.",
    )

    def validate(self, attrs):
        tiers = set(RoutingTier.values)
        for name in ("mix", "prices", "model_versions"):
            unknown = set(attrs[name]) - tiers
            if unknown:
                raise serializers.ValidationError(
                    {name: f"Unknown tier(s) {sorted(unknown)}; use {sorted(tiers)}."}
                )
        return attrs


class TierCostResultSerializer(serializers.Serializer):
    """Blended cost per request, spend shares and the saving against all-heavy."""

    blended_cost_per_request = serializers.CharField()
    all_heavy_cost_per_request = serializers.CharField()
    spend_share = serializers.DictField(child=serializers.CharField())
    saving_vs_all_heavy = serializers.CharField()
    summary = serializers.CharField()
    currency = serializers.CharField()


class TierCostView(APIView):
    """The routing-tier cost model: what a request mix costs against sending all to heavy."""

    required_perms = {"POST": "governance.view_spend"}

    @extend_schema(request=TierCostRequestSerializer, responses=TierCostResultSerializer)
    def post(self, request):
        body = TierCostRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        prices = {tier: roi.TierPrice(**p) for tier, p in data["prices"].items()}
        versions = ModelVersion.objects.in_bulk(list(data["model_versions"].values()))
        for tier, pk in data["model_versions"].items():
            version = versions.get(pk)
            if version is None:
                raise DomainError({"model_versions": [f"No model version {pk}."]})
            if version.currency != data["currency"]:
                raise DomainError(
                    {
                        "model_versions": [
                            f"{version} is priced in {version.currency}, not "
                            f"{data['currency']}: Tollgate does not convert currencies."
                        ]
                    }
                )
            prices[tier] = roi.TierPrice(
                version.price_input_per_mtok,
                version.price_cached_input_per_mtok,
                version.price_output_per_mtok,
            )
        mix = {tier: roi.TierMix(**m) for tier, m in data["mix"].items()}
        try:
            return Response({**roi.tier_cost(prices, mix), "currency": data["currency"]})
        except roi.RoiInputError as error:
            raise _roi_refused(error) from error


class ScopeRoiView(APIView):
    """Audited and best-case ROI of a pilot or a program, from measurements and the ledger."""

    required_perms = {"GET": "governance.view_spend"}

    @extend_schema(
        parameters=[
            OpenApiParameter("pilot", int, description="A pilot id (or give offering)."),
            OpenApiParameter("offering", int, description="An offering id: its program."),
            OpenApiParameter("currency", str, enum=Currency.values),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        scope, currency = scope_query(request)
        if "pilot" in scope:
            pilots, offering = [scope["pilot"]], None
        else:
            offering = scope["offering"]
            pilots = finance.program_pilots(offering)
        return Response(
            finance.scope_roi(
                pilots=pilots,
                offering=offering,
                currency=currency,
                as_of=timezone.localdate(),
            )
        )


class BudgetLedgerView(APIView):
    """Budget (from signed quarterly reviews) against actual spend, per quarter, for a pilot
    or a program; the seats and annual budget in force; superseded reviews listed, not counted."""

    required_perms = {"GET": "governance.view_spend"}

    @extend_schema(
        parameters=[
            OpenApiParameter("pilot", int, description="A pilot id (or give offering)."),
            OpenApiParameter("offering", int, description="An offering id: its program."),
            OpenApiParameter("currency", str, enum=Currency.values),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        scope, currency = scope_query(request)
        return Response(
            budget.budget_ledger(**scope, currency=currency, as_of=timezone.localdate())
        )


class ScopeQuerySerializer(serializers.Serializer):
    """Which pilot or program, in which currency."""

    pilot = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    offering = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.USD)


def scope_query(request) -> tuple[dict, str]:
    """The ?pilot= or ?offering= a finance figure is asked for, as {"pilot": Pilot} or
    {"offering": Offering}, and its currency."""
    params = ScopeQuerySerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    data = params.validated_data
    if "pilot" in data:
        return {"pilot": get_object_or_404(Pilot, pk=data["pilot"])}, data["currency"]
    if "offering" in data:
        return {"offering": get_object_or_404(Offering, pk=data["offering"])}, data["currency"]
    raise DomainError({"pilot": ["Give a pilot or an offering."]})


# --- spend ----------------------------------------------------------------------------------


class SpendSerializer(serializers.ModelSerializer):
    """A ledger row; POST records it (the same key corrects the existing row)."""

    vendor = serializers.SlugRelatedField(slug_field="slug", queryset=Vendor.objects.all())
    pilot = serializers.PrimaryKeyRelatedField(
        queryset=Pilot.objects.all(), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    offering = serializers.PrimaryKeyRelatedField(
        queryset=Offering.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Spend
        fields = ["id", *fs.SPEND_COLUMNS, "source", "recorded_by", "recorded_at"]
        read_only_fields = ["source", "recorded_by", "recorded_at"]
        validators = []  # the service validates, with the model's messages

    def create(self, validated_data: dict) -> Spend:
        return fs.spend_record(**validated_data, actor=self.context["request"].user)


class SpendViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The spend ledger."""

    queryset = Spend.objects.select_related("vendor").order_by("-month", "id")
    serializer_class = SpendSerializer
    filterset_fields = ["scope", "month", "category", "pilot", "team", "offering", "currency"]
    ordering_fields = ["month", "amount"]

    def perform_destroy(self, instance) -> None:
        fs.spend_delete(spend=instance, actor=self.request.user)


# --- quarterly reviews ----------------------------------------------------------------------


class EstimatesSerializer(serializers.Serializer):
    """Best-case estimates: each replaces a measured input and is flagged as an estimate."""

    engineers = serializers.DecimalField(**BIG, min_value=Decimal(0), required=False)
    prs_per_engineer_month = serializers.DecimalField(**BIG, min_value=Decimal(0), required=False)
    cycle_time_saving_hours = serializers.DecimalField(**BIG, required=False)
    reviewer_minutes_change_per_pr = serializers.DecimalField(**BIG, required=False)
    other_audited_benefits = serializers.DecimalField(**BIG, min_value=Decimal(0), required=False)


class ReviewSerializer(serializers.ModelSerializer):
    """A quarterly review with its frozen snapshot; signed and superseded ones are read-only."""

    superseded_by = serializers.PrimaryKeyRelatedField(read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = QuarterlyReview
        fields = [
            "id",
            "quarter",
            "scope",
            "pilot",
            "offering",
            "status",
            "decision",
            "seat_delta",
            "budget_delta",
            "currency",
            "rationale",
            "snapshot",
            "decided_by",
            "decided_at",
            "signed_at",
            "effect",
            "supersedes",
            "supersede_reason",
            "superseded_by",
        ]
        read_only_fields = fields


class DecideSerializer(serializers.Serializer):
    """Finance's decision for a pilot or program and a quarter."""

    quarter = serializers.RegexField(QUARTER_PATTERN, help_text="YYYY-Qn")
    scope = serializers.ChoiceField(choices=ReviewScope.choices)
    pilot = serializers.PrimaryKeyRelatedField(
        queryset=Pilot.objects.all(), required=False, allow_null=True
    )
    offering = serializers.PrimaryKeyRelatedField(
        queryset=Offering.objects.all(), required=False, allow_null=True
    )
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    seat_delta = serializers.IntegerField(default=0, min_value=-(10**6), max_value=10**6)
    budget_delta = serializers.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.USD)
    rationale = serializers.CharField(max_length=10_000)
    estimates = EstimatesSerializer(required=False)


class ReviseSerializer(serializers.Serializer):
    """Changes to a decision that is not signed yet."""

    decision = serializers.ChoiceField(choices=ReviewDecision.choices, required=False)
    seat_delta = serializers.IntegerField(min_value=-(10**6), max_value=10**6, required=False)
    budget_delta = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    rationale = serializers.CharField(max_length=10_000, required=False)
    estimates = EstimatesSerializer(required=False)


class ReviewSignSerializer(serializers.Serializer):
    """A signature on a decided review."""

    role = serializers.ChoiceField(choices=signer_roles(SubjectKind.QUARTERLY_REVIEW))
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class SupersedeSerializer(serializers.Serializer):
    """A correction of a signed review: why, and the new decision."""

    reason = serializers.CharField(max_length=5000)
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    seat_delta = serializers.IntegerField(default=0, min_value=-(10**6), max_value=10**6)
    budget_delta = serializers.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    rationale = serializers.CharField(max_length=10_000)
    estimates = EstimatesSerializer(required=False)


class ReviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Quarterly reviews: decide, revise before signing, sign, supersede. Never edited after."""

    queryset = QuarterlyReview.objects.select_related("decided_by", "superseded_by").order_by(
        "-quarter", "-decided_at", "-id"
    )
    serializer_class = ReviewSerializer
    filterset_fields = ["quarter", "scope", "pilot", "offering", "status", "decision"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_perms = None  # set per method and action below

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            self.required_perms = {"GET": "governance.view_quarterlyreview"}
        elif self.action in ("create", "partial_update"):
            self.required_perms = {
                "POST": "governance.decide_quarterlyreview",
                "PATCH": "governance.decide_quarterlyreview",
            }
        return super().get_permissions()

    def _out(self, review, code=status.HTTP_200_OK) -> Response:
        review.refresh_from_db()
        return Response(ReviewSerializer(review).data, status=code)

    @extend_schema(request=DecideSerializer, responses={201: ReviewSerializer})
    def create(self, request):
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = fs.review_decide(actor=request.user, **body.validated_data)
        return self._out(review, status.HTTP_201_CREATED)

    @extend_schema(request=ReviseSerializer, responses=ReviewSerializer)
    def partial_update(self, request, pk=None):
        body = ReviseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = fs.review_update(
            review=self.get_object(), actor=request.user, **body.validated_data
        )
        return self._out(review)

    @extend_schema(request=ReviewSignSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], required_perms={"POST": "governance.add_signoff"})
    def sign(self, request, pk=None):
        body = ReviewSignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = fs.review_sign(review=self.get_object(), actor=request.user, **body.validated_data)
        return self._out(review)

    @extend_schema(request=SupersedeSerializer, responses={201: ReviewSerializer})
    @action(
        detail=True,
        methods=["post"],
        required_perms={"POST": "governance.decide_quarterlyreview"},
    )
    def supersede(self, request, pk=None):
        body = SupersedeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = fs.review_supersede(
            review=self.get_object(), actor=request.user, **body.validated_data
        )
        return self._out(review, status.HTTP_201_CREATED)
