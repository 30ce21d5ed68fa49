"""Named choices for the governance app; no bare status strings elsewhere."""

from django.db import models

from vendors.choices import Role

__all__ = ["Decision", "Role", "SubjectKind"]


class Decision(models.TextChoices):
    """A signer's decision."""

    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


class SubjectKind(models.TextChoices):
    """Things that are signed off."""

    ASSESSMENT = "assessment", "Vendor assessment"
