"""Spend, rate cards and quarterly reviews in the admin."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from governance.admin.mixins import CsvImportAdminMixin, SignOffAdminMixin
from governance.choices import Decision, SubjectKind
from governance.models import (
    QuarterlyReview,
    RateCard,
    ReviewTransition,
    Spend,
)
from governance.services import finance as fs
from vendors.kit.admin import HistoryInline, ServiceAdmin, ServiceForm


class SpendForm(ServiceForm):
    class Meta:
        model = Spend
        fields = fs.SPEND_COLUMNS  # the CSV import's columns: one shape for a ledger row

    def run_service(self):
        return fs.spend_record(actor=self.request.user, **self.cleaned_data)


@admin.register(Spend)
class SpendAdmin(CsvImportAdminMixin, ServiceAdmin):
    """The spend ledger: add a row, or import a month's CSV (all or nothing); corrections by
    recording the same key again."""

    form = SpendForm
    import_columns = fs.SPEND_COLUMNS
    optional_columns = ("pilot", "team", "offering", "currency", "reference")
    list_display = (
        "month",
        "scope",
        "target_label",
        "vendor",
        "category",
        "amount",
        "currency",
        "source",
    )
    list_filter = ("scope", "category", "currency", "source", "vendor")
    date_hierarchy = "month"
    list_select_related = ("pilot", "team", "offering__vendor", "vendor")
    readonly_fields = ("source", "recorded_by", "recorded_at")

    @admin.display(description="charged to")
    def target_label(self, spend) -> str:
        return str(spend.target)

    def has_change_permission(self, request, obj=None) -> bool:
        # A correction is a new recording of the same key, so the change goes through the
        # service (add form); existing rows are read-only.
        return obj is None and super().has_change_permission(request, obj)

    def delete_model(self, request, obj) -> None:
        fs.spend_delete(spend=obj, actor=request.user)

    def run_import(self, request, rows, dry_run) -> str:
        count = fs.spend_import(rows=rows, actor=request.user, dry_run=dry_run)
        return f"{'Would record' if dry_run else 'Recorded'} {count} spend rows."


@admin.register(RateCard)
class RateCardAdmin(admin.ModelAdmin):
    """Finance's hourly rates (the ROI model reads the card in force on the day)."""

    list_display = ("effective_from", "currency", "loaded_hourly_rate", "senior_hourly_rate")
    readonly_fields = ("recorded_by",)

    def save_model(self, request, obj, form, change) -> None:
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


class ReviewHistoryInline(HistoryInline):
    model = ReviewTransition


@admin.register(QuarterlyReview)
class QuarterlyReviewAdmin(SignOffAdminMixin, admin.ModelAdmin):
    """Quarterly reviews, read-only: decided on the finance pages or the API; signed ones
    never change (a correction supersedes them)."""

    list_display = (
        "quarter",
        "scope",
        "pilot",
        "offering",
        "decision",
        "status",
        "decided_by",
        "decided_at",
        "page",
    )
    list_filter = ("quarter", "status", "decision", "scope")
    list_select_related = ("pilot", "offering__vendor", "decided_by")
    readonly_fields = [f.name for f in QuarterlyReview._meta.fields] + ["page"]
    inlines = [ReviewHistoryInline]
    subject_kind = SubjectKind.QUARTERLY_REVIEW
    actions = ["sign_approve"]

    def sign_in_role(self, request, subject, role: str) -> None:
        # The last approval also signs the review and carries out its effect.
        fs.review_sign(review=subject, actor=request.user, role=role, decision=Decision.APPROVE)

    @admin.display(description="review page")
    def page(self, review) -> str:
        return format_html('<a href="{}">open</a>', reverse("review-page", args=[review.pk]))

    def has_add_permission(self, request) -> bool:
        return False  # decided on the finance pages, where the snapshot is shown first

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # decisions are records: corrected by superseding, never deleted
