"""Sub-processors: where a vendor really sends customer data, and each change to that list."""

from django.conf import settings
from django.db import models

from vendors.choices import SubProcessorChangeKind
from vendors.models.registry import Vendor


class SubProcessor(models.Model):
    """A third party a vendor hands customer data to; removed ones are kept with their end date."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="subprocessors")
    name = models.CharField(max_length=200)
    purpose = models.CharField(max_length=300)
    countries = models.JSONField(default=list, help_text="ISO 3166-1 alpha-2 codes.")
    data_categories = models.JSONField(default=list)
    source = models.CharField(max_length=300, help_text="Where the list came from (URL, file).")
    first_seen_on = models.DateField()
    removed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["vendor", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "name"],
                condition=models.Q(removed_on__isnull=True),
                name="subprocessor_unique_current_name",
                violation_error_message="This vendor already lists this sub-processor.",
            ),
            models.CheckConstraint(
                condition=~models.Q(name="") & ~models.Q(purpose=""),
                name="subprocessor_needs_name_and_purpose",
                violation_error_message="A sub-processor needs a name and a purpose.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({', '.join(self.countries)}) for {self.vendor}"


class SubProcessorChange(models.Model):
    """A change to a vendor's sub-processors; new ones and new countries wait to be settled."""

    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, related_name="subprocessor_changes"
    )
    subprocessor = models.ForeignKey(SubProcessor, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=16, choices=SubProcessorChangeKind.choices)
    detail = models.CharField(max_length=500)
    detected_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settle_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(settled_at__isnull=True) | ~models.Q(settle_note=""),
                name="subprocessor_change_settled_with_note",
                violation_error_message="Say how the change was settled.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor}: {self.detail}"
