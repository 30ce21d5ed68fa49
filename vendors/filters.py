"""FilterSets shared by the vendor API and pages."""

import django_filters

from vendors.models import Vendor


class VendorFilter(django_filters.FilterSet):
    """Filter vendors by hosting model, status or a name fragment."""

    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name")

    class Meta:
        model = Vendor
        fields = ["hosting_model", "status", "slug"]
