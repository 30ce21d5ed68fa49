"""Frameworks as data: versioned requirement trees and their mapping to the checklist.

Rows are written only by `manage.py load_framework` (vendors/services/frameworks.py); every
other layer reads them.
"""

from django.db import models

from vendors.choices import FrameworkSource, MappingRelationship
from vendors.models.checklist import ChecklistItem


class Framework(models.Model):
    """One version of a framework (e.g. ISO/IEC 42001:2023 Annex A); the newest is current."""

    slug = models.SlugField(max_length=64)
    version = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    publisher = models.CharField(max_length=200, blank=True)
    source = models.CharField(
        max_length=16, choices=FrameworkSource.choices, default=FrameworkSource.TOLLGATE
    )
    notes = models.TextField(blank=True, help_text="What the file includes and leaves out.")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the loaded content.")
    current = models.BooleanField(default=True, help_text="The version coverage is shown for.")
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug", "-loaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug", "version"],
                name="framework_unique_version",
                violation_error_message="This framework version is already loaded.",
            ),
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(current=True),
                name="framework_one_current_version",
                violation_error_message="A framework has one current version.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"


class Requirement(models.Model):
    """A node of a framework's tree: a clause, control or subcategory, assessable or a heading."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="requirements")
    ref = models.CharField(max_length=64, help_text="The framework's own id, e.g. A.6.2.8.")
    title = models.CharField(max_length=300)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    assessable = models.BooleanField(default=True, help_text="Headings group; they are not met.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["framework", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "ref"],
                name="requirement_unique_ref",
                violation_error_message="This framework version already has this requirement id.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"


class RequirementMapping(models.Model):
    """A checklist item's claim on a requirement: how they relate and why."""

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="mappings")
    item = models.ForeignKey(
        ChecklistItem, on_delete=models.PROTECT, related_name="requirement_mappings"
    )
    relationship = models.CharField(max_length=16, choices=MappingRelationship.choices)
    rationale = models.TextField()

    class Meta:
        ordering = ["requirement__position", "item__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["requirement", "item"],
                name="mapping_unique_item",
                violation_error_message="This item is already mapped to this requirement.",
            ),
            models.CheckConstraint(
                condition=models.Q(relationship__in=MappingRelationship.values),
                name="mapping_relationship_valid",
                violation_error_message="The relationship is equal, subset, superset or intersect.",
            ),
            models.CheckConstraint(
                condition=~models.Q(rationale=""),
                name="mapping_needs_rationale",
                violation_error_message="Say why the item maps to the requirement.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} {self.relationship} {self.requirement.ref}"
