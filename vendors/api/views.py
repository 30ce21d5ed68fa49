"""Vendor API endpoints: thin; reads through selectors, writes through services."""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response as ApiResponse

from vendors import filtersets as filters
from vendors.api import serializers as s
from vendors.choices import TokenScope
from vendors.downloads import evidence_download
from vendors.models import (
    ChecklistItem,
    Evidence,
    ModelVersion,
    Offering,
    Response,
    RiskException,
    ShortlistEntry,
    ShortlistVersion,
)
from vendors.selectors import shortlist
from vendors.selectors.assessments import assessment_gaps, assessment_list
from vendors.selectors.frameworks import assessment_coverage, framework_list
from vendors.selectors.registry import median_days_to_adopt_by_vendor, vendor_list
from vendors.services.assessments import assessment_reject, exception_revoke
from vendors.services.model_switches import model_version_rollback
from vendors.services.registry import vendor_delete
from vendors.services.shortlist import shortlist_entry_remove


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

    queryset = vendor_list()
    serializer_class = s.VendorSerializer
    filterset_class = filters.VendorFilter
    ordering_fields = ["name", "updated_at"]
    lookup_field = "slug"

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context["median_days_to_adopt"] = median_days_to_adopt_by_vendor()
        return context

    def perform_destroy(self, instance) -> None:
        vendor_delete(vendor=instance)


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
    required_perms = None  # CRUD by the model's permissions; rollback sets its own

    @extend_schema(request=s.ReasonSerializer, responses=s.ModelRollbackSerializer)
    @action(detail=True, methods=["post"], required_perms={"POST": "vendors.rollback_modelversion"})
    def rollback(self, request, pk=None):
        """Take the version out of use: the gateway check refuses it and names its target."""
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rollback = model_version_rollback(
            model_version=self.get_object(),
            actor=request.user,
            reason=body.validated_data["reason"],
        )
        return ApiResponse(s.ModelRollbackSerializer(rollback).data, status=201)


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

    queryset = assessment_list()
    serializer_class = s.AssessmentSerializer
    filterset_class = filters.AssessmentFilter
    ordering_fields = ["opened_at"]
    required_perms = None  # set per action below

    @extend_schema(responses=s.GapSerializer(many=True))
    @action(detail=True, methods=["get"])
    def gaps(self, request, pk=None):
        """Items that block approval, each with the reason in plain words."""
        gaps = assessment_gaps(self.get_object())
        return ApiResponse(s.GapSerializer(gaps, many=True).data)

    @extend_schema(
        parameters=[s.CoverageQuerySerializer],
        responses=s.FrameworkCoverageSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def coverage(self, request, pk=None):
        """Each framework's requirements as covered, partial, excepted or gap (?framework=slug)."""
        query = s.CoverageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        framework = query.validated_data.get("framework")
        coverage = assessment_coverage(
            self.get_object(), frameworks=[framework] if framework else None
        )
        return ApiResponse(s.FrameworkCoverageSerializer(coverage, many=True).data)

    @extend_schema(request=s.ReasonSerializer, responses=s.AssessmentSerializer)
    @action(detail=True, methods=["post"], required_perms={"POST": "vendors.approve_assessment"})
    def reject(self, request, pk=None):
        """Close the review round as rejected, with a reason."""
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assessment = assessment_reject(
            assessment=self.get_object(), actor=request.user, reason=body.validated_data["reason"]
        )
        return ApiResponse(s.AssessmentSerializer(assessment).data)


class FrameworkViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Loaded framework versions (ISO/IEC 42001, EU AI Act, NIST AI RMF, SOC 2, OSCAL catalogs)."""

    queryset = framework_list()
    serializer_class = s.FrameworkSerializer
    filterset_fields = ["slug", "current", "source"]
    ordering_fields = ["slug", "loaded_at"]


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
    parser_classes = [MultiPartParser]  # the upload is a file

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file itself; every download is recorded in the audit trail."""
        return evidence_download(evidence=self.get_object(), user=request.user)


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
        exception = exception_revoke(
            exception=self.get_object(), actor=request.user, reason=body.validated_data["reason"]
        )
        return ApiResponse(s.ExceptionSerializer(exception).data)


class ShortlistVersionViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Shortlist versions and their history; POST starts a draft. Publishing: .../publish/."""

    queryset = ShortlistVersion.objects.prefetch_related("entries__vendor", "entries__offering")
    serializer_class = s.ShortlistVersionSerializer
    filterset_fields = ["status", "number"]
    token_scopes = {"GET": TokenScope.SHORTLIST_READ}

    def get_queryset(self):
        return shortlist.shortlist_versions_visible(
            user=self.request.user, versions=super().get_queryset()
        )

    @extend_schema(
        parameters=[OpenApiParameter("against", int, description="the other version's number")],
        responses=s.ShortlistDiffSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        """What changed between another version (?against=number) and this one."""
        version = self.get_object()
        against = request.query_params.get("against", "")
        if not re.fullmatch(r"[0-9]{1,9}", against):
            raise ValidationError({"against": "Give the other version's number."})
        other = get_object_or_404(self.get_queryset(), number=int(against))
        changes = shortlist.shortlist_diff(other, version)
        return ApiResponse(s.ShortlistDiffSerializer(changes, many=True).data)


class ShortlistEntryViewSet(viewsets.ModelViewSet):
    """Entries of shortlist versions; only drafts can be changed."""

    queryset = ShortlistEntry.objects.select_related("vendor", "offering", "version")
    serializer_class = s.ShortlistEntrySerializer
    filterset_fields = ["version", "role", "allow_agentic"]

    def perform_destroy(self, instance) -> None:
        shortlist_entry_remove(entry=instance, actor=self.request.user)


class ShortlistCurrentView(generics.GenericAPIView):
    """The published shortlist with its entries, each marked suspended or in force."""

    queryset = ShortlistVersion.objects.all()
    serializer_class = s.ShortlistVersionSerializer
    token_scopes = {"GET": TokenScope.SHORTLIST_READ}

    def get(self, request):
        version = shortlist.shortlist_published()
        if version is None:
            raise NotFound("No shortlist is published.")
        return ApiResponse(self.get_serializer(version).data)


class ShortlistCheckView(generics.GenericAPIView):
    """The gateway's question: may this vendor be used for this use (and model) today?"""

    queryset = ShortlistVersion.objects.all()
    serializer_class = s.ShortlistCheckSerializer
    filter_backends = []
    pagination_class = None
    token_scopes = {"GET": TokenScope.SHORTLIST_READ}

    @extend_schema(parameters=[s.ShortlistCheckQuerySerializer])
    def get(self, request):
        query = s.ShortlistCheckQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = shortlist.shortlist_check(
            vendor_slug=query.validated_data["vendor"],
            use=query.validated_data["use"],
            model=query.validated_data.get("model"),
        )
        return ApiResponse(s.ShortlistCheckSerializer(result).data)
