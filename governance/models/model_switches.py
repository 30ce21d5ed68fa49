"""The model versions a pilot declares it ran, where no gateway log says so."""

from django.conf import settings
from django.db import models

from governance.models.pilots import Pilot
from vendors.models import ModelVersion


class PilotModelVersion(models.Model):
    """A model version a pilot ran from a day on, declared by platform (no gateway source)."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="declared_versions")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    since = models.DateField(help_text="The first day the pilot's teams ran this version.")
    note = models.CharField(max_length=300, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pilot", "since"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "since"],
                name="pilot_model_version_one_per_day",
                violation_error_message="This pilot already declared a version from this day.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pilot}: {self.model_version} from {self.since}"
