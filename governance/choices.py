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
    SHORTLIST = "shortlist", "Shortlist version"


class TokenScope(models.TextChoices):
    """What a service-account token may do; a token can do nothing else."""

    SHORTLIST_READ = "shortlist:read", "Read the shortlist (gateway)"
