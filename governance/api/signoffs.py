"""Sign-offs, and the approvals that need them (assessments, shortlist versions)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, serializers, viewsets
from rest_framework.response import Response

from governance.api.errors import ErrorSerializer
from governance.models import SignOff
from governance.selectors.signoffs import SUBJECTS
from governance.services.signoffs import assessment_approve, shortlist_publish, signoff_record
from vendors.api.serializers import AssessmentSerializer, ShortlistVersionSerializer
from vendors.models import Assessment, ShortlistVersion


class SignOffSerializer(serializers.ModelSerializer):
    """A sign-off; POST signs the subject's current content in one of the caller's roles."""

    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SignOff
        fields = [
            "id",
            "subject_kind",
            "subject_id",
            "role",
            "user",
            "decision",
            "comment",
            "digest",
            "signed_at",
        ]
        read_only_fields = ["user", "digest", "signed_at"]

    def create(self, validated_data: dict) -> SignOff:
        kind = validated_data["subject_kind"]
        subject = get_object_or_404(SUBJECTS[kind].model, pk=validated_data["subject_id"])
        return signoff_record(
            kind=kind,
            subject=subject,
            role=validated_data["role"],
            decision=validated_data["decision"],
            comment=validated_data.get("comment", ""),
            actor=self.context["request"].user,
        )


class SignOffViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Sign-offs: immutable once written; a new decision is a new sign-off."""

    queryset = SignOff.objects.select_related("user")
    serializer_class = SignOffSerializer
    filterset_fields = ["subject_kind", "subject_id", "role", "decision"]
    ordering_fields = ["signed_at"]


class AssessmentApproveView(generics.GenericAPIView):
    """Approve an assessment: no blocking gap and current security and legal sign-offs."""

    queryset = Assessment.objects.all()
    serializer_class = AssessmentSerializer
    required_perms = {"POST": "vendors.approve_assessment"}

    @extend_schema(request=None, responses={200: AssessmentSerializer, 400: ErrorSerializer})
    def post(self, request, pk: int):
        assessment = assessment_approve(assessment=self.get_object(), actor=request.user)
        return Response(AssessmentSerializer(assessment).data)


class ShortlistPublishView(generics.GenericAPIView):
    """Publish a draft: the whole policy holds and security and legal signed this content."""

    queryset = ShortlistVersion.objects.all()
    serializer_class = ShortlistVersionSerializer
    required_perms = {"POST": "vendors.publish_shortlistversion"}

    @extend_schema(request=None, responses={200: ShortlistVersionSerializer, 400: ErrorSerializer})
    def post(self, request, pk: int):
        version = shortlist_publish(version=self.get_object(), actor=request.user)
        return Response(ShortlistVersionSerializer(version, context={"request": request}).data)
