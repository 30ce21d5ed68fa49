"""Vendor API serializers; writes go through vendors.services."""

from rest_framework import serializers

from vendors import services
from vendors.models import Vendor


class VendorSerializer(serializers.ModelSerializer):
    """A vendor as the API shows and accepts it."""

    data_regions = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, allow_empty=True
    )

    class Meta:
        model = Vendor
        fields = [
            "id",
            "name",
            "slug",
            "hosting_model",
            "data_regions",
            "status",
            "website",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "created_at", "updated_at"]

    def create(self, validated_data: dict) -> Vendor:
        return services.vendor_create(**validated_data)

    def update(self, instance: Vendor, validated_data: dict) -> Vendor:
        return services.vendor_update(vendor=instance, **validated_data)
