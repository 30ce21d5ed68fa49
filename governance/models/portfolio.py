"""The portfolio as finance asked for it in a packet: the range, and the source rows it read."""

from django.conf import settings
from django.db import models

from vendors.choices import Currency


class PortfolioSnapshot(models.Model):
    """A portfolio packet's subject: a range of days, its currency, and for each group of source
    rows their count, date range and SHA-256, as they stood when the packet was asked for."""

    date_from = models.DateField()
    date_to = models.DateField()
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    sources = models.JSONField(
        default=dict,
        editable=False,
        help_text="{source: {label, figures, rows, first, last, sha256}} at request time.",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_to__gte=models.F("date_from")),
                name="portfolio_snapshot_range_ordered",
                violation_error_message="The range ends before it starts.",
            )
        ]

    def __str__(self) -> str:
        return f"Portfolio {self.date_from} to {self.date_to} ({self.currency})"
