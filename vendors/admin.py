"""Vendor registry in the admin; permissions come from the site-wide role layer."""

from django.contrib import admin

from vendors.models import Vendor


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    """Vendors: searchable, filterable, status read-only (it has its own entry point)."""

    list_display = ("name", "slug", "hosting_model", "status", "updated_at")
    list_filter = ("hosting_model", "status")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("status", "created_at", "updated_at")
