"""Integrity checks: the scheduled sweep's record of what it re-verified and what it found."""

from django.db import models


class IntegrityCheck(models.Model):
    """One run of the integrity sweep: counts of what was re-checked and every problem found."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    links_checked = models.PositiveIntegerField(default=0, help_text="Ready packets walked.")
    subjects_checked = models.PositiveIntegerField(
        default=0, help_text="Signed subjects whose digest was recomputed."
    )
    anchor_sequence = models.PositiveIntegerField(
        null=True, blank=True, help_text="The chain link the latest exported anchor names."
    )
    problems = models.JSONField(default=list, help_text="Each problem, in plain words.")

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        found = f"{len(self.problems)} problems" if self.problems else "intact"
        return f"Integrity check #{self.pk}: {found}"

    @property
    def intact(self) -> bool:
        """Whether nothing was found."""
        return not self.problems
