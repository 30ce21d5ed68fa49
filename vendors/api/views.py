"""Vendor API endpoints: thin; reads through selectors, writes through services."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response as ApiResponse

from vendors import filters, selectors, services
from vendors.api import serializers as s
from vendors.downloads import evidence_download
from vendors.models import (
    ChecklistItem,
    Evidence,
    ModelVersion,
    Offering,
    Response,
    RiskException,
)


class NoDeleteViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Create, read and update; records of a review are never deleted through the API."""


class VendorViewSet(viewsets.ModelViewSet):
    """Vendors in the registry."""

    queryset = selectors.vendor_list()
    serializer_class = s.VendorSerializer
    filterset_class = filters.VendorFilter
    ordering_fields = ["name", "updated_at"]
    lookup_field = "slug"

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context["median_days_to_adopt"] = selectors.median_days_to_adopt_by_vendor()
        return context

    def perform_destroy(self, instance) -> None:
        services.vendor_delete(vendor=instance)


class OfferingViewSet(NoDeleteViewSet):
    """Products of vendors."""

    queryset = Offering.objects.select_related("vendor")
    serializer_class = s.OfferingSerializer
    filterset_class = filters.OfferingFilter
    ordering_fields = ["name"]


class ModelVersionViewSet(NoDeleteViewSet):
    """The model catalog: versions, prices, dates and rollback targets."""

    queryset = ModelVersion.objects.select_related("vendor")
    serializer_class = s.ModelVersionSerializer
    filterset_class = filters.ModelVersionFilter
    ordering_fields = ["released_on", "approved_on"]


class ChecklistItemViewSet(NoDeleteViewSet):
    """The procurement checklist template (changed by administrators only)."""

    queryset = ChecklistItem.objects.all()
    serializer_class = s.ChecklistItemSerializer
    filterset_class = filters.ChecklistItemFilter


class AssessmentViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Review rounds; POST opens one. Approval (with sign-offs) is /assessments/{id}/approve/."""

    queryset = selectors.assessment_list()
    serializer_class = s.AssessmentSerializer
    filterset_class = filters.AssessmentFilter
    ordering_fields = ["opened_at"]
    required_perms = None  # set per action below

    @extend_schema(responses=s.GapSerializer(many=True))
    @action(detail=True, methods=["get"])
    def gaps(self, request, pk=None):
        """Items that block approval, each with the reason in plain words."""
        gaps = selectors.assessment_gaps(self.get_object())
        return ApiResponse(s.GapSerializer(gaps, many=True).data)

    @extend_schema(request=s.ReasonSerializer, responses=s.AssessmentSerializer)
    @action(detail=True, methods=["post"], required_perms={"POST": "vendors.approve_assessment"})
    def reject(self, request, pk=None):
        """Close the review round as rejected, with a reason."""
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assessment = services.assessment_reject(
            assessment=self.get_object(), actor=request.user, reason=body.validated_data["reason"]
        )
        return ApiResponse(s.AssessmentSerializer(assessment).data)


class ResponseViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Verdicts on checklist items; PATCH sets a verdict (the item's owner role only)."""

    queryset = Response.objects.select_related("item").prefetch_related("evidence")
    serializer_class = s.ResponseSerializer
    filterset_class = filters.ResponseFilter
    http_method_names = ["get", "patch", "head", "options"]


class EvidenceViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Evidence files: upload (multipart), list, and download."""

    queryset = Evidence.objects.select_related("response__item")
    serializer_class = s.EvidenceSerializer
    filterset_class = filters.EvidenceFilter
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file itself; every download is recorded in the audit trail."""
        evidence = get_object_or_404(self.get_queryset(), pk=pk)
        return evidence_download(evidence=evidence, user=request.user)


class ExceptionViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Risk acceptances (security only): grant, list, revoke."""

    queryset = RiskException.objects.select_related("response__item", "approver")
    serializer_class = s.ExceptionSerializer
    filterset_class = filters.ExceptionFilter
    required_perms = None  # set per action below

    @extend_schema(request=s.ReasonSerializer, responses=s.ExceptionSerializer)
    @action(detail=True, methods=["post"], required_perms={"POST": "vendors.change_riskexception"})
    def revoke(self, request, pk=None):
        """Withdraw the exception; the item becomes not satisfied."""
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        exception = services.exception_revoke(
            exception=self.get_object(), actor=request.user, reason=body.validated_data["reason"]
        )
        return ApiResponse(s.ExceptionSerializer(exception).data)
