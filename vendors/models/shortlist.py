"""The approved-provider shortlist: versioned, one published at a time, history kept."""

from django.conf import settings
from django.db import models

from vendors.choices import ProviderRole, ShortlistStatus
from vendors.kit.transitions import TransitionRecord
from vendors.models.registry import Offering, Vendor

S = ShortlistStatus


class ShortlistVersion(models.Model):
    """One version of the shortlist; publishing it supersedes the previous one."""

    TRANSITIONS = {S.DRAFT: {S.PUBLISHED}, S.PUBLISHED: {S.SUPERSEDED}, S.SUPERSEDED: set()}

    number = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=16, choices=S.choices, default=S.DRAFT)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-number"]
        permissions = [("publish_shortlistversion", "Can publish a shortlist version")]
        constraints = [
            # The database itself guarantees a single published version, even under races.
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status=S.PUBLISHED),
                name="shortlist_one_published",
                violation_error_message="Another shortlist version is already published.",
            ),
        ]

    def __str__(self) -> str:
        return f"Shortlist v{self.number} ({self.get_status_display().lower()})"


class ShortlistTransition(TransitionRecord):
    """History of a shortlist version's status."""

    version = models.ForeignKey(ShortlistVersion, on_delete=models.CASCADE, related_name="history")


class ShortlistEntry(models.Model):
    """A provider on a shortlist version, its role and the uses it is approved for."""

    version = models.ForeignKey(ShortlistVersion, on_delete=models.CASCADE, related_name="entries")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="shortlist_entries")
    offering = models.ForeignKey(
        Offering,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shortlist_entries",
        help_text="Leave empty to list the vendor as a whole.",
    )
    role = models.CharField(max_length=24, choices=ProviderRole.choices)
    allow_completion = models.BooleanField(default=True, verbose_name="completion")
    allow_agentic = models.BooleanField(default=False, verbose_name="agentic")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["vendor__name", "offering__name"]
        verbose_name_plural = "shortlist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["version", "vendor"],
                condition=models.Q(offering__isnull=True),
                name="shortlist_entry_vendor_once",
                violation_error_message="This vendor is already on this version.",
            ),
            models.UniqueConstraint(
                fields=["version", "vendor", "offering"],
                condition=models.Q(offering__isnull=False),
                name="shortlist_entry_offering_once",
                violation_error_message="This offering is already on this version.",
            ),
            models.CheckConstraint(
                condition=models.Q(allow_completion=True) | models.Q(allow_agentic=True),
                name="shortlist_entry_has_a_use",
                violation_error_message="Approve the entry for completion, agentic use or both.",
            ),
        ]

    def __str__(self) -> str:
        return str(self.offering or self.vendor)

    @property
    def uses(self) -> list[str]:
        """The approved uses as names."""
        return [
            u
            for u, on in (("completion", self.allow_completion), ("agentic", self.allow_agentic))
            if on
        ]
