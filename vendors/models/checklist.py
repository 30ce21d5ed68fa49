"""The AI-coding procurement checklist template."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from vendors.choices import AppliesTo, ChecklistCategory, OwnerRole


class ChecklistItem(models.Model):
    """One item of the procurement checklist; retired items stop applying to new assessments."""

    code = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=ChecklistCategory.choices)
    guidance = models.TextField(help_text="What a reviewer must see to mark it satisfied.")
    owner_role = models.CharField(max_length=16, choices=OwnerRole.choices)
    mandatory = models.BooleanField(default=True)
    evidence_required = models.BooleanField(default=True)
    rereview_days = models.PositiveIntegerField(
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="A verdict older than this needs review again (1 to 3650 days).",
    )
    applies_to = models.CharField(max_length=16, choices=AppliesTo.choices, default=AppliesTo.ALL)
    model_dependent = models.BooleanField(
        default=False,
        help_text="A new model version behind the offering sends this verdict back to review.",
    )
    active = models.BooleanField(default=True, help_text="Retired items apply to no new review.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rereview_days__gte=1, rereview_days__lte=3650),
                name="checklist_rereview_range",
                violation_error_message="The re-review interval is 1 to 3650 days.",
            ),
            models.CheckConstraint(
                condition=models.Q(owner_role__in=OwnerRole.values),
                name="checklist_owner_role_valid",
                violation_error_message="The owner must be security or legal.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"
