"""FilterSets shared by the vendor API and pages."""

from datetime import timedelta

import django_filters
from django.utils import timezone

from vendors.models import (
    Assessment,
    ChecklistItem,
    Evidence,
    ModelVersion,
    Offering,
    Response,
    RiskException,
    Vendor,
)


class VendorFilter(django_filters.FilterSet):
    """Filter vendors by hosting model, status or a name fragment."""

    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name")

    class Meta:
        model = Vendor
        fields = ["hosting_model", "status", "slug"]


class OfferingFilter(django_filters.FilterSet):
    """Filter offerings by vendor, kind and agentic flag."""

    vendor = django_filters.CharFilter(field_name="vendor__slug")

    class Meta:
        model = Offering
        fields = ["vendor", "kind", "agentic"]


class ModelVersionFilter(django_filters.FilterSet):
    """Filter model versions by vendor, family, tier and status."""

    vendor = django_filters.CharFilter(field_name="vendor__slug")

    class Meta:
        model = ModelVersion
        fields = ["vendor", "family", "tier", "status"]


class ChecklistItemFilter(django_filters.FilterSet):
    """Filter checklist items."""

    class Meta:
        model = ChecklistItem
        fields = ["category", "owner_role", "applies_to", "active", "mandatory"]


class AssessmentFilter(django_filters.FilterSet):
    """Filter assessments by vendor and status."""

    vendor = django_filters.CharFilter(field_name="vendor__slug")

    class Meta:
        model = Assessment
        fields = ["vendor", "offering", "status"]


class ResponseFilter(django_filters.FilterSet):
    """Filter responses; expiring_within=N finds verdicts lapsing in the next N days."""

    item = django_filters.CharFilter(field_name="item__code")
    owner_role = django_filters.CharFilter(field_name="item__owner_role")
    expiring_within = django_filters.NumberFilter(
        method="filter_expiring", label="days", min_value=0, max_value=3650
    )

    class Meta:
        model = Response
        fields = ["assessment", "item", "status", "owner_role"]

    def filter_expiring(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.filter(expires_on__gte=today, expires_on__lte=today + timedelta(int(value)))


class EvidenceFilter(django_filters.FilterSet):
    """Filter evidence by response or assessment."""

    assessment = django_filters.NumberFilter(field_name="response__assessment")

    class Meta:
        model = Evidence
        fields = ["response", "assessment", "sha256"]


class ExceptionFilter(django_filters.FilterSet):
    """Filter exceptions by status and assessment."""

    assessment = django_filters.NumberFilter(field_name="response__assessment")

    class Meta:
        model = RiskException
        fields = ["status", "assessment", "response"]
