"""Vendor API endpoints."""

from rest_framework import viewsets

from vendors import selectors, services
from vendors.api.serializers import VendorSerializer
from vendors.filters import VendorFilter


class VendorViewSet(viewsets.ModelViewSet):
    """Vendors in the registry."""

    queryset = selectors.vendor_list()
    serializer_class = VendorSerializer
    filterset_class = VendorFilter
    ordering_fields = ["name", "updated_at"]
    lookup_field = "slug"

    def perform_destroy(self, instance) -> None:
        services.vendor_delete(vendor=instance)
