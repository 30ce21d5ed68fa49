"""Vendor reviews in the admin: assessments, verdicts, evidence and exceptions.

AssessmentAdmin is registered once, with its sign-off and approval actions, in
governance/admin/signoffs.py (vendors may not import governance).
"""

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from vendors.choices import AssessmentStatus, ExceptionStatus, ResponseStatus
from vendors.kit.admin import HistoryInline, ReadOnlyInline, ServiceAdmin, ServiceForm, run_action
from vendors.models import (
    Assessment,
    AssessmentTransition,
    Evidence,
    Response,
    ResponseTransition,
    RiskException,
)
from vendors.selectors.assessments import assessment_gaps, assessment_list
from vendors.services.assessments import (
    assessment_open,
    assessment_reject,
    evidence_add,
    exception_grant,
    exception_revoke,
    response_set_verdict,
)

R = ResponseStatus


VERDICT_COLOURS = {
    R.OPEN: "#6b7280",
    R.SATISFIED: "#15803d",
    R.NOT_SATISFIED: "#b91c1c",
    R.NOT_APPLICABLE: "#475569",
    R.EXCEPTED: "#b45309",
    R.NEEDS_REVIEW: "#7c3aed",
}


def verdict_badge(response: Response) -> str:
    """A coloured verdict label."""
    return format_html(
        '<strong style="color:{}">{}</strong>',
        VERDICT_COLOURS.get(response.status, "#000"),
        response.get_status_display(),
    )


def evidence_links(response: Response) -> str:
    """Download links for a response's evidence, each with its SHA-256."""
    return (
        format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a> <code title="SHA-256">{}…</code>',
            (
                (reverse("vendors:evidence-download", args=[e.pk]), e.original_name, e.sha256[:16])
                for e in response.evidence.all()
            ),
        )
        or "—"
    )


class ResponseInline(ReadOnlyInline):
    model = Response
    fields = ("item", "owner", "verdict", "evidence_files", "expires_on", "verdict_by")
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("item", "verdict_by")
            .prefetch_related("evidence")
        )

    @admin.display(description="owner")
    def owner(self, response: Response) -> str:
        return response.item.get_owner_role_display()

    @admin.display(description="verdict")
    def verdict(self, response: Response) -> str:
        return verdict_badge(response)

    @admin.display(description="evidence (SHA-256)")
    def evidence_files(self, response: Response) -> str:
        return evidence_links(response)


class AssessmentHistoryInline(HistoryInline):
    model = AssessmentTransition


class NeedsReviewFilter(admin.SimpleListFilter):
    title = "attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [
            ("needs_review", "Needs review"),
            ("expiring", "Expiring within 30 days"),
            ("blocking", "Blocking approval"),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "needs_review":
            return queryset.filter(responses__status=R.NEEDS_REVIEW).distinct()
        if self.value() == "expiring":
            soon = today + timedelta(days=30)
            expiring = Q(responses__expires_on__range=(today, soon)) | Q(
                responses__exceptions__status=ExceptionStatus.ACTIVE,
                responses__exceptions__expires_on__range=(today, soon),
            )
            return queryset.filter(expiring).distinct()
        if self.value() == "blocking":
            blocking = Q(
                responses__item__mandatory=True,
                responses__status__in=[R.OPEN, R.NOT_SATISFIED, R.NEEDS_REVIEW],
            )
            return queryset.filter(status=AssessmentStatus.IN_REVIEW).filter(blocking).distinct()
        return queryset


class AssessmentOpenForm(ServiceForm):
    """Opening an assessment creates its responses through the service."""

    class Meta:
        model = Assessment
        fields = ("vendor", "offering", "notes")

    def run_service(self):
        return assessment_open(
            vendor=self.cleaned_data["vendor"],
            offering=self.cleaned_data.get("offering"),
            notes=self.cleaned_data.get("notes", ""),
            actor=self.request.user,
        )


class AssessmentAdmin(ServiceAdmin):
    """Assessments: verdicts inline, and what blocks approval at the top of the page."""

    change_form_template = "admin/vendors/assessment/change_form.html"
    list_display = (
        "__str__",
        "vendor",
        "offering",
        "status",
        "approved_until",
        "needs_review_count",
        "opened_at",
    )
    list_filter = (NeedsReviewFilter, "status")
    search_fields = ("vendor__name", "offering__name", "notes")
    readonly_fields = (
        "vendor",
        "offering",
        "status",
        "opened_by",
        "opened_at",
        "approved_at",
        "approved_until",
        "approved_digest",
    )
    inlines = [ResponseInline, AssessmentHistoryInline]
    actions = ["reject"]

    def get_queryset(self, request):
        return assessment_list()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AssessmentOpenForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def save_model(self, request, obj, form, change) -> None:
        if change:  # only the notes are editable after opening
            obj.save(update_fields=["notes"])

    @admin.display(description="needs review")
    def needs_review_count(self, assessment) -> int:
        return assessment.needs_review_count

    def approval_context(self, request, assessment: Assessment) -> dict:
        """What the top of the page shows; governance adds the sign-offs."""
        gaps = assessment_gaps(assessment)
        return {"gaps": gaps, "problem_count": len(gaps)}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        assessment = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if assessment is not None:
            extra_context.update(self.approval_context(request, assessment))
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Reject the selected assessments", permissions=["approve"])
    def reject(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda a: assessment_reject(
                assessment=a, actor=request.user, reason="Rejected in the admin"
            ),
            "Rejected",
        )

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("vendors.approve_assessment")


class RevokeConfirmation:
    """A form whose save may change content someone signed: the first post says what it
    revokes and who signs again; the second ("confirm_revoke") saves. `stake_reader(response)`
    is set by governance's admin (vendors cannot read sign-offs); `stake` keeps the answer for
    the notices sent after saving."""

    stake_reader = None
    stake = None
    needs_confirmation = False

    def confirm_revoke(self, response: Response) -> None:
        self.stake = self.stake_reader(response) if self.stake_reader is not None else None
        if self.stake is not None and not self.data.get("confirm_revoke"):
            self.needs_confirmation = True
            raise ValidationError(self.stake.message, code="confirm_revoke")


class VerdictForm(RevokeConfirmation, ServiceForm):
    """Set a verdict (and optionally attach a file) through the services."""

    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in ResponseStatus if s in Response.VERDICTS]
    )
    evidence_file = forms.FileField(
        required=False, help_text="pdf, png, jpg, txt, csv, md, docx or xlsx; checked by content."
    )

    class Meta:
        model = Response
        fields = ("status", "reason", "comment", "expires_on")

    def changes_signed_content(self) -> bool:
        """Whether saving changes what the assessment's signers signed (its canonical content):
        the verdict, its reason, comment or expiry, or a new evidence file."""
        before = Response.objects.select_related("item").get(pk=self.instance.pk)
        data = self.cleaned_data
        status = data["status"]
        reason = (data.get("reason") or "").strip() if status == R.NOT_APPLICABLE else ""
        expires = data.get("expires_on") or timezone.localdate() + timedelta(
            days=before.item.rereview_days
        )
        return bool(data.get("evidence_file")) or (
            (status, reason, data.get("comment", ""), expires)
            != (before.status, before.reason, before.comment, before.expires_on)
        )

    def run_service(self):
        response = self.instance
        if self.stake_reader is not None and self.changes_signed_content():
            self.confirm_revoke(response)
        upload = self.cleaned_data.get("evidence_file")
        if upload:
            evidence_add(response=response, uploaded_file=upload, actor=self.request.user)
        return response_set_verdict(
            response=response,
            status=self.cleaned_data["status"],
            reason=self.cleaned_data.get("reason", ""),
            comment=self.cleaned_data.get("comment", ""),
            expires_on=self.cleaned_data.get("expires_on"),
            actor=self.request.user,
        )


class ResponseHistoryInline(HistoryInline):
    model = ResponseTransition


class ExceptionInline(ReadOnlyInline):
    model = RiskException
    fields = ("status", "expires_on", "approver", "justification", "compensating_controls")
    readonly_fields = fields


class ResponseAdmin(ServiceAdmin):
    """One checklist verdict: the owner role sets it here, with evidence (registered in
    governance/admin/signoffs.py, which adds the confirmation before a signed verdict changes)."""

    form = VerdictForm
    change_form_template = "admin/vendors/response/change_form.html"
    list_display = ("item", "assessment", "verdict", "expires_on", "verdict_by")
    list_filter = ("status", "item__owner_role", "item")
    search_fields = ("item__code", "item__title", "assessment__vendor__name")
    readonly_fields = (
        "assessment",
        "item",
        "guidance",
        "current_verdict",
        "evidence_files",
        "verdict_by",
        "verdict_at",
    )
    fields = (
        "assessment",
        "item",
        "guidance",
        "current_verdict",
        "evidence_files",
        "status",
        "reason",
        "comment",
        "expires_on",
        "evidence_file",
        "verdict_by",
        "verdict_at",
    )
    inlines = [ExceptionInline, ResponseHistoryInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item", "assessment__vendor")

    def has_add_permission(self, request) -> bool:
        return False  # responses are created by opening an assessment

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="verdict")
    def verdict(self, response):
        return verdict_badge(response)

    @admin.display(description="current verdict")
    def current_verdict(self, response):
        return verdict_badge(response)

    @admin.display(description="guidance")
    def guidance(self, response):
        return response.item.guidance

    @admin.display(description="evidence (SHA-256)")
    def evidence_files(self, response):
        return evidence_links(response)


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    """Evidence records (files are downloaded through the permission-checked link)."""

    list_display = (
        "original_name",
        "response",
        "kind",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "download",
    )
    search_fields = ("original_name", "sha256")
    readonly_fields = (
        "response",
        "original_name",
        "kind",
        "size",
        "sha256",
        "description",
        "uploaded_by",
        "uploaded_at",
        "download",
    )
    exclude = ("file",)

    def has_add_permission(self, request) -> bool:
        return False  # uploads go through a response, where the file is checked

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="file")
    def download(self, evidence):
        url = reverse("vendors:evidence-download", args=[evidence.pk])
        return format_html('<a href="{}">download</a>', url)


class ExceptionGrantForm(RevokeConfirmation, ServiceForm):
    class Meta:
        model = RiskException
        fields = ("response", "justification", "compensating_controls", "expires_on")

    def run_service(self):
        # A new exception is part of what the assessment's signers signed.
        self.confirm_revoke(self.cleaned_data["response"])
        return exception_grant(
            response=self.cleaned_data["response"],
            justification=self.cleaned_data["justification"],
            compensating_controls=self.cleaned_data["compensating_controls"],
            expires_on=self.cleaned_data["expires_on"],
            actor=self.request.user,
        )


class RiskExceptionAdmin(ServiceAdmin):
    """Risk acceptances: granted by security for at most 180 days; revoked, never edited
    (registered in governance/admin/signoffs.py, which confirms a grant that revokes
    sign-offs)."""

    form = ExceptionGrantForm
    change_form_template = "admin/vendors/riskexception/change_form.html"
    list_display = ("response", "status", "expires_on", "approver", "approved_at")
    list_filter = ("status",)
    search_fields = ("response__item__code", "response__assessment__vendor__name")
    autocomplete_fields = ()
    raw_id_fields = ("response",)
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected exceptions", permissions=["change"])
    def revoke(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda x: exception_revoke(
                exception=x, actor=request.user, reason="Revoked in the admin"
            ),
            "Revoked",
        )
