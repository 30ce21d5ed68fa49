"""Named choices for the vendor registry.

Role lives here, in the leaf app, because checklist items name an owner role and vendors
must never import governance; governance re-exports it.
"""

from django.db import models


class Role(models.TextChoices):
    """The six roles; each is a Django group of the same name."""

    SECURITY = "security", "Security"
    LEGAL = "legal", "Legal"
    AI_PM = "ai_pm", "AI product manager"
    FINANCE = "finance", "Finance"
    PLATFORM = "platform", "Platform"
    AUDITOR = "auditor", "Auditor"


class HostingModel(models.TextChoices):
    """Where the vendor's models run, which decides the checklist items that apply."""

    CLOUD_API = "cloud_api", "Cloud API"
    PRIVATE_CLOUD = "private_cloud", "Private cloud"
    ON_PREM = "on_prem", "On-prem open weights"


class VendorStatus(models.TextChoices):
    """Where a vendor stands in procurement."""

    PROSPECT = "prospect", "Prospect"
    UNDER_REVIEW = "under_review", "Under review"
    APPROVED = "approved", "Approved"
    SUSPENDED = "suspended", "Suspended"
    RETIRED = "retired", "Retired"
