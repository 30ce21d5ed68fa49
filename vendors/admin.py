"""The vendor review in the admin: where security and legal do most of their work.

Permissions come from the site-wide role layer (governance.admin_site); every write goes
through vendors.services, so the admin enforces the same rules as the API.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from vendors import selectors, services, shortlist
from vendors.adminkit import ServiceAdmin, ServiceForm, run_action
from vendors.choices import AssessmentStatus, ExceptionStatus, ResponseStatus
from vendors.models import (
    Assessment,
    AssessmentTransition,
    ChecklistItem,
    Evidence,
    ModelVersion,
    Offering,
    Response,
    ResponseTransition,
    RiskException,
    ShortlistEntry,
    ShortlistTransition,
    ShortlistVersion,
    Vendor,
    VendorTransition,
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


class ReadOnlyInline(admin.TabularInline):
    """An inline that only shows rows."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class HistoryInline(ReadOnlyInline):
    """Status history rows (who, from, to, why, when)."""

    fields = ("at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields
    show_change_link = False


class VendorHistoryInline(HistoryInline):
    model = VendorTransition


class OfferingInline(admin.TabularInline):
    model = Offering
    extra = 0
    fields = ("name", "kind", "agentic", "seat_price", "currency")


class ModelVersionInline(admin.TabularInline):
    model = ModelVersion
    extra = 0
    fields = (
        "family",
        "version",
        "tier",
        "price_input_per_mtok",
        "price_output_per_mtok",
        "released_on",
        "approved_on",
        "days_to_adopt",
        "status",
    )
    readonly_fields = ("days_to_adopt",)
    show_change_link = True


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    """Vendors with their offerings and model catalog."""

    list_display = (
        "name",
        "hosting_model",
        "status",
        "approved_until",
        "median_days_to_adopt",
        "needs_review",
    )
    list_filter = ("hosting_model", "status")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("status", "approved_until", "adoption", "created_at", "updated_at")
    inlines = [OfferingInline, ModelVersionInline, VendorHistoryInline]

    def get_queryset(self, request):
        needing = Response.objects.filter(
            assessment__vendor=OuterRef("pk"),
            assessment__status__in=[AssessmentStatus.IN_REVIEW, AssessmentStatus.APPROVED],
            status=R.NEEDS_REVIEW,
        )
        return super().get_queryset(request).annotate(has_review_due=Exists(needing))

    def changelist_view(self, request, extra_context=None):
        self._medians = selectors.median_days_to_adopt_by_vendor()
        return super().changelist_view(request, extra_context)

    @admin.display(description="median days to adopt")
    def median_days_to_adopt(self, vendor: Vendor):
        return getattr(self, "_medians", {}).get(vendor.pk, "—")

    @admin.display(boolean=True, description="needs review")
    def needs_review(self, vendor: Vendor) -> bool:
        return vendor.has_review_due

    @admin.display(description="time to model update")
    def adoption(self, vendor: Vendor) -> str:
        stats = selectors.vendor_adoption(vendor=vendor)
        if stats["median_days_to_adopt"] is None:
            return "No approved model versions yet."
        rows = ", ".join(f"{name}: {days} d" for name, days in stats["versions"])
        return f"Median {stats['median_days_to_adopt']} days ({rows})"


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ("name", "vendor", "kind", "agentic", "seat_price", "currency")
    list_filter = ("kind", "agentic", "vendor")
    search_fields = ("name", "vendor__name")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "vendor",
        "tier",
        "status",
        "released_on",
        "approved_on",
        "days_to_adopt",
        "rollback_target",
    )
    list_filter = ("tier", "status", "vendor")
    search_fields = ("family", "version", "vendor__name")


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    """The checklist template; items are retired, never deleted."""

    list_display = (
        "code",
        "title",
        "owner_role",
        "mandatory",
        "evidence_required",
        "rereview_days",
        "applies_to",
        "active",
    )
    list_filter = ("owner_role", "applies_to", "mandatory", "active", "category")
    search_fields = ("code", "title")
    actions = ["retire"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Retire (stops applying to new assessments)", permissions=["change"])
    def retire(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda item: services.checklist_item_retire(item=item),
            "Retired",
        )


# --- assessments ----------------------------------------------------------------------------


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
        return services.assessment_open(
            vendor=self.cleaned_data["vendor"],
            offering=self.cleaned_data.get("offering"),
            notes=self.cleaned_data.get("notes", ""),
            actor=self.request.user,
        )


@admin.register(Assessment)
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
        return selectors.assessment_list()

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
        gaps = selectors.assessment_gaps(assessment)
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
            lambda a: services.assessment_reject(
                assessment=a, actor=request.user, reason="Rejected in the admin"
            ),
            "Rejected",
        )

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("vendors.approve_assessment")


# --- responses ------------------------------------------------------------------------------


class VerdictForm(ServiceForm):
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

    def run_service(self):
        response = self.instance
        upload = self.cleaned_data.get("evidence_file")
        if upload:
            services.evidence_add(response=response, uploaded_file=upload, actor=self.request.user)
        return services.response_set_verdict(
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


@admin.register(Response)
class ResponseAdmin(ServiceAdmin):
    """One checklist verdict: the owner role sets it here, with evidence."""

    form = VerdictForm
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


class ExceptionGrantForm(ServiceForm):
    class Meta:
        model = RiskException
        fields = ("response", "justification", "compensating_controls", "expires_on")

    def run_service(self):
        return services.exception_grant(
            response=self.cleaned_data["response"],
            justification=self.cleaned_data["justification"],
            compensating_controls=self.cleaned_data["compensating_controls"],
            expires_on=self.cleaned_data["expires_on"],
            actor=self.request.user,
        )


@admin.register(RiskException)
class RiskExceptionAdmin(ServiceAdmin):
    """Risk acceptances: granted by security for at most 180 days; revoked, never edited."""

    form = ExceptionGrantForm
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
            lambda x: services.exception_revoke(
                exception=x, actor=request.user, reason="Revoked in the admin"
            ),
            "Revoked",
        )


# --- shortlist ------------------------------------------------------------------------------


class ShortlistEntryInline(ReadOnlyInline):
    model = ShortlistEntry
    fields = ("vendor", "offering", "role", "allow_completion", "allow_agentic", "state", "notes")
    readonly_fields = fields

    @admin.display(description="state")
    def state(self, entry: ShortlistEntry) -> str:
        problems = shortlist.entry_problems(entry, today=timezone.localdate())
        if problems:
            return format_html(
                '<strong style="color:#b91c1c">Suspended</strong>: {}', " ".join(problems)
            )
        return mark_safe('<span style="color:#15803d">In force</span>')


class ShortlistHistoryInline(HistoryInline):
    model = ShortlistTransition


class ShortlistDraftForm(ServiceForm):
    class Meta:
        model = ShortlistVersion
        fields = ("notes",)

    def run_service(self):
        return services.shortlist_draft_create(
            notes=self.cleaned_data.get("notes", ""), actor=self.request.user
        )


@admin.register(ShortlistVersion)
class ShortlistVersionAdmin(ServiceAdmin):
    """Shortlist versions: a new one starts as a copy of the published version."""

    form = ShortlistDraftForm
    change_form_template = "admin/vendors/shortlistversion/change_form.html"
    list_display = ("number", "status", "entry_count", "published_at", "created_by")
    list_filter = ("status",)
    readonly_fields = (
        "number",
        "status",
        "created_by",
        "created_at",
        "published_at",
        "published_digest",
    )
    inlines = [ShortlistEntryInline, ShortlistHistoryInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entries_total=Count("entries"))

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def save_model(self, request, obj, form, change) -> None:
        if change:
            obj.save(update_fields=["notes"])

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="providers")
    def entry_count(self, version) -> int:
        return version.entries_total

    def publish_context(self, request, version: ShortlistVersion) -> dict:
        """What the top of the page shows; governance adds sign-offs."""
        problems = shortlist.shortlist_violations(version) if version.status == "draft" else []
        return {"gaps": problems, "problem_count": len(problems)}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if version is not None:
            extra_context.update(self.publish_context(request, version))
        return super().change_view(request, object_id, form_url, extra_context)


class ShortlistEntryForm(ServiceForm):
    class Meta:
        model = ShortlistEntry
        fields = (
            "version",
            "vendor",
            "offering",
            "role",
            "allow_completion",
            "allow_agentic",
            "notes",
        )

    def run_service(self):
        data = {k: self.cleaned_data.get(k) for k in self.Meta.fields}
        if self.instance.pk:
            data.pop("version")
            return services.shortlist_entry_update(
                entry=ShortlistEntry.objects.get(pk=self.instance.pk),
                actor=self.request.user,
                **data,
            )
        return services.shortlist_entry_add(actor=self.request.user, **data)


@admin.register(ShortlistEntry)
class ShortlistEntryAdmin(ServiceAdmin):
    """Entries of shortlist versions; only drafts change."""

    form = ShortlistEntryForm
    list_display = ("__str__", "version", "role", "allow_completion", "allow_agentic")
    list_filter = ("version__status", "role")
    search_fields = ("vendor__name", "offering__name")

    def delete_model(self, request, obj) -> None:
        services.shortlist_entry_remove(entry=obj, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for entry in queryset:
            services.shortlist_entry_remove(entry=entry, actor=request.user)
