"""Audited-benefits API: finance records a saving with its evidence file and signs it."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from governance.choices import BenefitCategory, Decision
from governance.models import AuditedBenefit, Pilot
from governance.services import benefits as bs
from vendors.choices import Currency
from vendors.kit.parsers import SafeJSONParser
from vendors.models import Offering


class BenefitSerializer(serializers.ModelSerializer):
    """An audited benefit; it enters the audited ROI case only once its status is signed."""

    category_label = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = AuditedBenefit
        fields = [
            "id",
            "scope",
            "pilot",
            "offering",
            "category",
            "category_label",
            "amount",
            "currency",
            "period_start",
            "period_end",
            "description",
            "evidence_name",
            "sha256",
            "status",
            "recorded_by",
            "recorded_at",
            "signed_at",
        ]
        read_only_fields = fields


class BenefitRecordSerializer(serializers.Serializer):
    """A saving finance audited, for a pilot or a program, with the evidence file."""

    pilot = serializers.PrimaryKeyRelatedField(queryset=Pilot.objects.all(), required=False)
    offering = serializers.PrimaryKeyRelatedField(queryset=Offering.objects.all(), required=False)
    category = serializers.ChoiceField(choices=BenefitCategory.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.USD)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    description = serializers.CharField()
    evidence = serializers.FileField()


class BenefitSignSerializer(serializers.Serializer):
    """Finance's decision on a recorded benefit."""

    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class BenefitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Audited benefits: recorded with evidence by finance, then signed (never edited after)."""

    queryset = AuditedBenefit.objects.order_by("-period_end", "-id")
    serializer_class = BenefitSerializer
    filterset_fields = ["scope", "pilot", "offering", "category", "status", "currency"]
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [MultiPartParser]  # the record uploads its evidence file
    required_perms = None  # set per action below

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            self.required_perms = {"GET": "governance.view_auditedbenefit"}
        elif self.action == "create":
            self.required_perms = {"POST": "governance.add_auditedbenefit"}
        return super().get_permissions()

    @extend_schema(request=BenefitRecordSerializer, responses={201: BenefitSerializer})
    def create(self, request):
        body = BenefitRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        benefit = bs.benefit_record(actor=request.user, **body.validated_data)
        return Response(BenefitSerializer(benefit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BenefitSignSerializer, responses=BenefitSerializer)
    @action(
        detail=True,
        methods=["post"],
        required_perms={"POST": "governance.add_auditedbenefit"},
        parser_classes=[SafeJSONParser],
    )
    def sign(self, request, pk=None):
        body = BenefitSignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        benefit = bs.benefit_sign(
            benefit=self.get_object(), actor=request.user, **body.validated_data
        )
        benefit.refresh_from_db()
        return Response(BenefitSerializer(benefit).data)
