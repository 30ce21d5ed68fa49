"""App config for the vendor registry (a leaf app: it never imports governance)."""

from django.apps import AppConfig


class VendorsConfig(AppConfig):
    """Vendor registry app."""

    name = "vendors"
    verbose_name = "Vendor registry"
    default_auto_field = "django.db.models.BigAutoField"
