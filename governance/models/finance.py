"""Money: the spend ledger, the rate card, and quarterly expand / hold / contract / kill reviews."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from governance.choices import (
    BenefitCategory,
    BenefitStatus,
    ReviewDecision,
    ReviewScope,
    ReviewStatus,
    Source,
    SpendCategory,
    SpendScope,
)
from governance.models.pilots import Pilot, Team
from vendors.choices import Currency
from vendors.kit.transitions import TransitionRecord
from vendors.models import Offering, Vendor

MONEY = {"max_digits": 14, "decimal_places": 2}
QUARTER_PATTERN = r"^[0-9]{4}-Q[1-4]$"
S = SpendScope


class Spend(models.Model):
    """One month's amount in one ledger category, charged to a pilot, a team or a program."""

    month = models.DateField(help_text="The first day of the month the amount belongs to.")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    scope = models.CharField(max_length=8, choices=SpendScope.choices)
    pilot = models.ForeignKey(
        Pilot, null=True, blank=True, on_delete=models.PROTECT, related_name="spend"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="spend"
    )
    offering = models.ForeignKey(
        Offering,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="spend",
        help_text="For program spend: the offering across its pilots.",
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="spend")
    category = models.CharField(max_length=20, choices=SpendCategory.choices)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    reference = models.CharField(
        max_length=120, blank=True, help_text="Invoice or purchase-order number."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "scope", "category", "id"]
        verbose_name_plural = "spend"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(month__day=1),
                name="spend_month_first_day",
                violation_error_message="Give the month as its first day, e.g. 2027-01-01.",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0),
                name="spend_amount_positive",
                violation_error_message="A spend amount is above zero.",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    scope=S.PILOT, pilot__isnull=False, team__isnull=True, offering__isnull=True
                )
                | models.Q(
                    scope=S.TEAM, team__isnull=False, pilot__isnull=True, offering__isnull=True
                )
                | models.Q(
                    scope=S.PROGRAM, offering__isnull=False, pilot__isnull=True, team__isnull=True
                ),
                name="spend_scope_names_its_target",
                violation_error_message="Pilot spend names a pilot, team spend a team, program "
                "spend an offering, and nothing else.",
            ),
            # Re-importing a month corrects its rows instead of doubling them.
            *(
                models.UniqueConstraint(
                    fields=["month", target, "vendor", "category"],
                    condition=models.Q(scope=scope),
                    name=f"spend_key_{scope}",
                    violation_error_message="This month already has spend in this category for "
                    f"this {scope} and vendor.",
                )
                for scope, target in (
                    (S.PILOT, "pilot"),
                    (S.TEAM, "team"),
                    (S.PROGRAM, "offering"),
                )
            ),
        ]
        indexes = [models.Index(fields=["scope", "month"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.get_category_display()}: {self.amount} {self.currency}"

    @property
    def target(self):
        return {S.PILOT: self.pilot, S.TEAM: self.team, S.PROGRAM: self.offering}.get(self.scope)

    def clean(self) -> None:
        if self.offering_id and self.vendor_id and self.offering.vendor_id != self.vendor_id:
            raise ValidationError({"vendor": f"{self.offering} is not sold by this vendor."})
        if self.pilot_id and self.vendor_id and self.pilot.offering.vendor_id != self.vendor_id:
            raise ValidationError({"vendor": f"{self.pilot} pilots another vendor's offering."})


class RateCard(models.Model):
    """Finance's hourly rates from a date on: what an engineer's and a reviewer's hour costs."""

    effective_from = models.DateField()
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    loaded_hourly_rate = models.DecimalField(
        **MONEY, help_text="Fully loaded cost of an engineer-hour."
    )
    senior_hourly_rate = models.DecimalField(
        **MONEY, help_text="Fully loaded cost of a senior reviewer's hour."
    )
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "effective_from"],
                name="rate_card_unique_date",
                violation_error_message="This currency already has rates from this date.",
            ),
            models.CheckConstraint(
                condition=models.Q(loaded_hourly_rate__gt=0, senior_hourly_rate__gt=0),
                name="rate_card_rates_positive",
                violation_error_message="Hourly rates are above zero.",
            ),
        ]

    def __str__(self) -> str:
        return f"Rates from {self.effective_from} ({self.currency})"


R = ReviewStatus


class ReviewQuerySet(models.QuerySet):
    """Bulk writes refuse signed and superseded reviews, as save() and delete() do."""

    def _refuse_locked(self) -> None:
        if self.exclude(status=R.DECIDED).exists():
            raise ValidationError(
                "Signed and superseded reviews are never changed or deleted.", code="immutable"
            )

    def update(self, **kwargs):
        self._refuse_locked()
        return super().update(**kwargs)

    def delete(self):
        self._refuse_locked()
        return super().delete()


class QuarterlyReview(models.Model):
    """Finance's quarterly decision on a pilot or a program, with its frozen snapshot."""

    TRANSITIONS = {
        R.DECIDED: {R.SIGNED},
        R.SIGNED: {R.SUPERSEDED},
        R.SUPERSEDED: set(),
    }

    quarter = models.CharField(
        max_length=7,
        validators=[RegexValidator(QUARTER_PATTERN, "Give the quarter as YYYY-Qn, e.g. 2027-Q1.")],
    )
    scope = models.CharField(max_length=8, choices=ReviewScope.choices)
    pilot = models.ForeignKey(
        Pilot, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    offering = models.ForeignKey(
        Offering, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    status = models.CharField(max_length=12, choices=ReviewStatus.choices, default=R.DECIDED)
    decision = models.CharField(max_length=8, choices=ReviewDecision.choices)
    seat_delta = models.IntegerField(default=0, help_text="Seats added (+) or removed (-).")
    budget_delta = models.DecimalField(**MONEY, default=0, help_text="Annual budget change.")
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    rationale = models.TextField()
    snapshot = models.JSONField(
        default=dict, editable=False, help_text="Metrics, spend and ROI frozen at decision time."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True, editable=False)
    effect = models.TextField(blank=True, editable=False, help_text="What signing changed.")
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        editable=False,
    )
    supersede_reason = models.TextField(blank=True, editable=False)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-quarter", "-decided_at", "-id"]
        permissions = [("decide_quarterlyreview", "Can decide a quarterly review")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quarter__regex=QUARTER_PATTERN),
                name="review_quarter_format",
                violation_error_message="Give the quarter as YYYY-Qn, e.g. 2027-Q1.",
            ),
            models.CheckConstraint(
                condition=models.Q(scope=ReviewScope.PILOT, pilot__isnull=False, offering=None)
                | models.Q(scope=ReviewScope.PROGRAM, offering__isnull=False, pilot=None),
                name="review_scope_names_its_target",
                violation_error_message="A pilot review names a pilot; a program review names "
                "an offering.",
            ),
            models.CheckConstraint(
                condition=~models.Q(rationale=""),
                name="review_rationale_required",
                violation_error_message="Write the rationale for the decision.",
            ),
            models.CheckConstraint(
                condition=models.Q(supersedes__isnull=True) | ~models.Q(supersede_reason=""),
                name="review_supersede_needs_reason",
                violation_error_message="Say why the earlier review is corrected.",
            ),
            # One live review per scope and quarter; superseded ones stay beside it.
            models.UniqueConstraint(
                fields=["quarter", "pilot"],
                condition=models.Q(scope=ReviewScope.PILOT) & ~models.Q(status=R.SUPERSEDED),
                name="review_one_live_per_pilot_quarter",
                violation_error_message="This pilot already has a live review for this quarter.",
            ),
            models.UniqueConstraint(
                fields=["quarter", "offering"],
                condition=models.Q(scope=ReviewScope.PROGRAM) & ~models.Q(status=R.SUPERSEDED),
                name="review_one_live_per_program_quarter",
                violation_error_message="This program already has a live review for this quarter.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quarter} {self.subject_label}: {self.get_decision_display()}"

    def save(self, *args, **kwargs) -> None:
        # The last line of defence for "signed is immutable", whatever the entry point
        # (service, admin, API, shell): only the move to superseded may touch a signed row.
        if self.pk is not None:
            names = [f.attname for f in self._meta.concrete_fields]
            stored = type(self).objects.filter(pk=self.pk).values(*names).first()
            if stored is not None and stored["status"] != R.DECIDED:
                changed = {n for n in names if stored[n] != getattr(self, n)}
                superseding = stored["status"] == R.SIGNED and self.status == R.SUPERSEDED
                if changed - ({"status"} if superseding else set()):
                    raise ValidationError(
                        f"A {stored['status']} review is immutable; record a correction that "
                        "supersedes it instead.",
                        code="immutable",
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.locked:
            raise ValidationError(
                f"A {self.status} review is a record and is never deleted.", code="immutable"
            )
        return super().delete(*args, **kwargs)

    @property
    def subject(self):
        """The pilot, or the offering whose program is reviewed."""
        return self.pilot if self.scope == ReviewScope.PILOT else self.offering

    @property
    def subject_label(self) -> str:
        if self.scope == ReviewScope.PILOT:
            return f"pilot {self.pilot}"
        return f"program {self.offering}"

    @property
    def locked(self) -> bool:
        """Signed or superseded: nothing about it changes any more."""
        return self.status != R.DECIDED


class ReviewTransition(TransitionRecord):
    """History of a quarterly review's status."""

    review = models.ForeignKey(QuarterlyReview, on_delete=models.CASCADE, related_name="history")


def benefit_evidence_path(instance: "AuditedBenefit", filename: str) -> str:
    """Store a benefit's evidence named by content hash (no user-chosen paths)."""
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"benefits/{instance.sha256}.{extension}"


B = BenefitStatus


class AuditedBenefit(models.Model):
    """A saving finance has audited (defects, contractors, incidents avoided), with evidence;
    once signed by finance it enters the audited case of the ROI as "other audited benefits"."""

    TRANSITIONS = {B.RECORDED: {B.SIGNED}, B.SIGNED: set()}

    scope = models.CharField(max_length=8, choices=ReviewScope.choices)
    pilot = models.ForeignKey(
        Pilot, null=True, blank=True, on_delete=models.PROTECT, related_name="benefits"
    )
    offering = models.ForeignKey(
        Offering, null=True, blank=True, on_delete=models.PROTECT, related_name="benefits"
    )
    category = models.CharField(max_length=32, choices=BenefitCategory.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    period_start = models.DateField()
    period_end = models.DateField()
    description = models.TextField(help_text="What was avoided, and how it was audited.")
    evidence = models.FileField(upload_to=benefit_evidence_path, max_length=300)
    evidence_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=BenefitStatus.choices, default=B.RECORDED)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    signed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-period_end", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0),
                name="benefit_amount_positive",
                violation_error_message="An audited benefit is above zero.",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="benefit_period_ordered",
                violation_error_message="The period ends on or after its start.",
            ),
            models.CheckConstraint(
                condition=models.Q(scope=ReviewScope.PILOT, pilot__isnull=False, offering=None)
                | models.Q(scope=ReviewScope.PROGRAM, offering__isnull=False, pilot=None),
                name="benefit_scope_names_its_target",
                violation_error_message="A pilot's benefit names a pilot; a program's names "
                "an offering.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.amount} {self.currency} ({self.period_end})"

    def save(self, *args, **kwargs) -> None:
        # Signed means sealed, whatever the entry point: only the signing save touches it.
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == B.SIGNED:
                raise ValidationError("A signed audited benefit never changes.", code="immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status == B.SIGNED:
            raise ValidationError("A signed audited benefit is never deleted.", code="immutable")
        return super().delete(*args, **kwargs)


class BenefitTransition(TransitionRecord):
    """History of an audited benefit's status."""

    benefit = models.ForeignKey(AuditedBenefit, on_delete=models.CASCADE, related_name="history")
