"""Governance models in the admin, and the sign-off and approval steps of vendor review."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from governance.choices import Decision, PacketKind, Source, SubjectKind, TokenScope
from governance.csvimport import MEASUREMENT_COLUMNS, CsvFormatError, read_rows
from governance.models import (
    Baseline,
    CheckpointEvaluation,
    CriterionResult,
    KillCriterion,
    Measurement,
    Metric,
    Packet,
    PacketTransition,
    Pilot,
    PilotTransition,
    QuarterlyReview,
    RateCard,
    ReviewTransition,
    ServiceToken,
    SignOff,
    Spend,
    Team,
    WorkerHeartbeat,
)
from governance.services import finance as fs
from governance.services.measurements import measurements_ingest
from governance.services.packets import packet_request, packet_retry
from governance.services.pilots import BASELINE_COLUMNS, baselines_import, pilot_approve
from governance.services.signoffs import (
    assessment_approve,
    shortlist_publish,
    signoff_problems,
    signoff_record,
    subject_digest,
)
from governance.services.tokens import service_token_create, service_token_revoke
from governance.signoffs import required_roles
from vendors.admin import AssessmentAdmin, HistoryInline, ReadOnlyInline, ShortlistVersionAdmin
from vendors.adminkit import ServiceAdmin, ServiceForm, run_action
from vendors.choices import ShortlistStatus
from vendors.models import Assessment, ShortlistVersion


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    """Heartbeat runs: read-only evidence that workers run."""

    list_display = ("task_id", "hostname", "pid", "eager", "ran_at")
    list_filter = ("eager",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SignOff)
class SignOffAdmin(admin.ModelAdmin):
    """Sign-offs are immutable records."""

    list_display = ("subject_kind", "subject_id", "role", "user", "decision", "signed_at")
    list_filter = ("subject_kind", "role", "decision")
    search_fields = ("user__username", "digest", "comment")

    def has_add_permission(self, request) -> bool:
        return False  # signed from the subject's page, where the digest is computed

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SignOffAdminMixin:
    """Adds sign-offs to a subject's admin page, and a "sign: approve" action."""

    subject_kind: str

    def signoff_context(self, subject) -> dict:
        current = subject_digest(kind=self.subject_kind, subject=subject)
        problems = signoff_problems(kind=self.subject_kind, subject=subject, current_digest=current)
        return {
            "signoff_problems": problems,
            "signoffs": SignOff.objects.filter(
                subject_kind=self.subject_kind, subject_id=subject.pk
            ).select_related("user"),
        }

    def sign_in_role(self, request, subject, role: str) -> None:
        """Record one approve sign-off; subjects whose signing does more override this."""
        signoff_record(
            kind=self.subject_kind,
            subject=subject,
            role=role,
            decision=Decision.APPROVE,
            actor=request.user,
        )

    @admin.action(description="Sign: approve the current content in my role", permissions=["sign"])
    def sign_approve(self, request, queryset):
        def sign(subject):
            mine = set(request.user.groups.values_list("name", flat=True))
            roles = [r for r in required_roles(self.subject_kind, subject) if r in mine]
            if not roles:
                raise PermissionDenied(f"None of your roles signs a {self.subject_kind}.")
            for role in roles:
                self.sign_in_role(request, subject, role)

        run_action(self, request, queryset, sign, "Signed")

    def has_sign_permission(self, request) -> bool:
        return request.user.has_perm("governance.add_signoff")


class PacketRequestAdminMixin:
    """Adds a "request a sign-off packet" action to a subject's admin."""

    packet_kind: str

    @admin.action(description="Request a sign-off packet", permissions=["request_packet"])
    def request_packet(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda subject: packet_request(
                kind=self.packet_kind, subject_id=subject.pk, actor=request.user
            ),
            "Packets requested (see Packets)",
        )

    def has_request_packet_permission(self, request) -> bool:
        return request.user.has_perm("governance.add_packet")


class GovernedAssessmentAdmin(PacketRequestAdminMixin, SignOffAdminMixin, AssessmentAdmin):
    """The vendors' assessment admin plus sign-offs and approval (which live in governance)."""

    subject_kind = SubjectKind.ASSESSMENT
    packet_kind = PacketKind.ASSESSMENT
    actions = ["sign_approve", "approve", *AssessmentAdmin.actions, "request_packet"]

    def approval_context(self, request, assessment: Assessment) -> dict:
        context = super().approval_context(request, assessment)
        context.update(self.signoff_context(assessment))
        context["problem_count"] += len(context["signoff_problems"])
        return context

    @admin.action(
        description="Approve (needs no gaps and current sign-offs)", permissions=["approve"]
    )
    def approve(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda a: assessment_approve(assessment=a, actor=request.user),
            "Approved",
        )


class GovernedShortlistAdmin(PacketRequestAdminMixin, SignOffAdminMixin, ShortlistVersionAdmin):
    """The shortlist admin plus sign-offs and publishing."""

    subject_kind = SubjectKind.SHORTLIST
    packet_kind = PacketKind.SHORTLIST
    actions = ["sign_approve", "publish", "request_packet"]

    def publish_context(self, request, version: ShortlistVersion) -> dict:
        context = super().publish_context(request, version)
        context.update(self.signoff_context(version))
        if version.status == ShortlistStatus.DRAFT:
            context["problem_count"] += len(context["signoff_problems"])
        return context

    @admin.action(description="Publish (policy and sign-offs checked)", permissions=["publish"])
    def publish(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda v: shortlist_publish(version=v, actor=request.user),
            "Published",
        )

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("vendors.publish_shortlistversion")


class ServiceTokenForm(ServiceForm):
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ServiceToken
        fields = ("name", "scopes", "pilots", "expires_at")

    def run_service(self):
        return service_token_create(
            name=self.cleaned_data["name"],
            scopes=self.cleaned_data["scopes"],
            pilots=list(self.cleaned_data.get("pilots") or []),
            expires_at=self.cleaned_data.get("expires_at"),
            actor=self.request.user,
        )


@admin.register(ServiceToken)
class ServiceTokenAdmin(ServiceAdmin):
    """Service-account tokens: the key is shown once, at creation; revoke, never edit."""

    form = ServiceTokenForm
    list_display = (
        "name",
        "key_prefix",
        "scopes",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    readonly_fields = (
        "name",
        "key_prefix",
        "scopes",
        "granted_pilots",
        "user",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )

    @admin.display(description="pilots (measurements:write)")
    def granted_pilots(self, token) -> str:
        return ", ".join(str(p) for p in token.pilots.all()) or "—"

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj else super().get_fields(request, obj)

    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def save_form(self, request, form, change):
        token, key = form.result
        self.message_user(
            request,
            f"Service token {token.name} created. Copy its key now; it is not shown again: {key}",
            messages.WARNING,
        )
        return token

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda t: service_token_revoke(token=t, actor=request.user),
            "Revoked",
        )


admin.site.unregister(Assessment)
admin.site.register(Assessment, GovernedAssessmentAdmin)
admin.site.unregister(ShortlistVersion)
admin.site.register(ShortlistVersion, GovernedShortlistAdmin)


# --- pilots -----------------------------------------------------------------------------------


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "cost_centre", "headcount")
    search_fields = ("name", "cost_centre")


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    """The metric catalog: seeded, read-only to roles."""

    list_display = ("code", "name", "unit", "direction", "core", "tiered")


class BaselineInline(ReadOnlyInline):
    model = Baseline
    fields = ("metric", "tier", "value", "sample_size", "period_start", "period_end", "source")
    readonly_fields = fields


class KillCriterionInline(ReadOnlyInline):
    model = KillCriterion
    fields = ("plain_words",)
    readonly_fields = fields


class PilotHistoryInline(HistoryInline):
    model = PilotTransition


@admin.register(Pilot)
class PilotAdmin(PacketRequestAdminMixin, SignOffAdminMixin, admin.ModelAdmin):
    """Pilots (edited on the pilot pages, where every gate is explained)."""

    subject_kind = SubjectKind.PILOT
    packet_kind = PacketKind.PILOT_CHARTER
    list_display = (
        "title",
        "owner",
        "offering",
        "status",
        "outcome",
        "kill_recommended",
        "planned_start",
    )
    list_filter = ("status", "agentic", "kill_recommended")
    search_fields = ("title", "use_case", "owner__username")
    readonly_fields = [f.name for f in Pilot._meta.fields] + ["teams_list", "page"]
    exclude = ("teams",)
    inlines = [BaselineInline, KillCriterionInline, PilotHistoryInline]
    actions = ["sign_approve", "approve", "request_packet"]

    def has_add_permission(self, request) -> bool:
        return False  # registered on the pilot pages

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="teams")
    def teams_list(self, pilot) -> str:
        return ", ".join(t.name for t in pilot.teams.all())

    @admin.display(description="pilot page")
    def page(self, pilot) -> str:
        return format_html('<a href="{}">open</a>', reverse("pilot-page", args=[pilot.pk]))

    @admin.action(
        description="Approve (shortlist gate and sign-offs checked)", permissions=["approve"]
    )
    def approve(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda p: pilot_approve(pilot=p, actor=request.user),
            "Approved",
        )

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("governance.approve_pilot")


# --- measurements and evaluations ---------------------------------------------------------------


class EstimatedCountPaginator(Paginator):
    """Counts exactly, except an unfiltered PostgreSQL table of millions: the planner's estimate.

    An exact COUNT(*) of a million-row table costs more than the rest of a changelist page;
    the estimate (kept by autovacuum / ANALYZE) only moves the last page number.
    """

    EXACT_BELOW = 100_000

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is None or query.where or connection.vendor != "postgresql":
            return super().count
        table = connection.ops.quote_name(self.object_list.model._meta.db_table)
        with connection.cursor() as cursor:
            # One query either way, so the page's query count does not depend on the size. The
            # table name is the model's own, quoted: nothing from the request reaches the SQL.
            cursor.execute(
                "SELECT CASE WHEN reltuples >= %s THEN reltuples::bigint "  # noqa: S608
                f"ELSE (SELECT count(*) FROM {table}) END "
                "FROM pg_class WHERE oid = %s::regclass",
                [self.EXACT_BELOW, self.object_list.model._meta.db_table],
            )
            row = cursor.fetchone()
        return row[0] if row else super().count


class CsvImportForm(forms.Form):
    """A CSV upload for an admin import (same validation as the API and the commands)."""

    csv_file = forms.FileField()
    dry_run = forms.BooleanField(required=False, help_text="Validate only; write nothing.")


class CsvImportAdminMixin:
    """An "Import CSV" page on a changelist: every row validated first, all or nothing."""

    change_list_template = "admin/csv_import_change_list.html"
    import_columns: tuple[str, ...] = ()
    optional_columns: tuple[str, ...] = ("tier",)

    def run_import(self, request, rows: list[dict], dry_run: bool) -> str:
        raise NotImplementedError

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{opts.app_label}_{opts.model_name}_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        opts = self.model._meta
        if not request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}"):
            raise PermissionDenied
        form = CsvImportForm(request.POST or None, request.FILES or None)
        form.fields["csv_file"].help_text = "Columns: " + ", ".join(self.import_columns)
        if request.method == "POST" and form.is_valid():
            try:
                rows = list(
                    read_rows(
                        form.cleaned_data["csv_file"], self.import_columns, self.optional_columns
                    )
                )
                summary = self.run_import(request, rows, form.cleaned_data["dry_run"])
            except (ValidationError, PermissionDenied, CsvFormatError) as error:
                for message in getattr(error, "messages", [str(error)])[:50]:
                    self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(request, summary, messages.SUCCESS)
                if not form.cleaned_data["dry_run"]:
                    return redirect(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": opts,
            "title": f"Import {opts.verbose_name_plural}",
        }
        return render(request, "admin/csv_import.html", context)


@admin.register(Measurement)
class MeasurementAdmin(CsvImportAdminMixin, admin.ModelAdmin):
    """Measurements (written by telemetry, the API or CSV import; read-only here)."""

    import_columns = MEASUREMENT_COLUMNS
    list_display = (*MEASUREMENT_COLUMNS, "source", "recorded_at")
    list_filter = ("source", "metric", "tier")
    search_fields = ("pilot__title",)
    list_select_related = ("pilot", "metric")
    # Millions of rows: no second COUNT(*) of the whole table, and an estimated page count.
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def run_import(self, request, rows, dry_run) -> str:
        result = measurements_ingest(
            rows=rows, actor=request.user, source=Source.IMPORT, dry_run=dry_run
        )
        verb = "Would write" if dry_run else "Imported"
        return (
            f"{verb}: {result.created} new, {result.updated} updated, {result.unchanged} unchanged."
        )


@admin.register(Baseline)
class BaselineAdmin(CsvImportAdminMixin, admin.ModelAdmin):
    """Baselines (recorded on the pilot page, the API or by CSV import)."""

    import_columns = BASELINE_COLUMNS
    list_display = (
        "pilot",
        "metric",
        "tier",
        "value",
        "sample_size",
        "period_start",
        "period_end",
        "source",
    )
    list_filter = ("source", "metric")
    list_select_related = ("pilot", "metric")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def run_import(self, request, rows, dry_run) -> str:
        count = baselines_import(rows=rows, actor=request.user, dry_run=dry_run)
        return f"{'Would record' if dry_run else 'Recorded'} {count} baselines."


class CriterionResultInline(ReadOnlyInline):
    model = CriterionResult
    fields = ("criterion", "value", "baseline", "delta_pct", "verdict", "explanation")
    readonly_fields = fields
    show_change_link = False


@admin.register(CheckpointEvaluation)
class CheckpointEvaluationAdmin(PacketRequestAdminMixin, admin.ModelAdmin):
    """Checkpoint evaluations: computed, never edited."""

    packet_kind = PacketKind.CHECKPOINT
    actions = ["request_packet"]
    list_display = ("pilot", "checkpoint_day", "window_end", "kill_recommended", "evaluated_at")
    list_filter = ("kill_recommended",)
    readonly_fields = (
        "pilot",
        "checkpoint_day",
        "window_start",
        "window_end",
        "kill_recommended",
        "evaluated_at",
        "evaluated_by",
    )
    inlines = [CriterionResultInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# --- finance ----------------------------------------------------------------------------------


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


# --- packets ------------------------------------------------------------------------------------


class PacketHistoryInline(HistoryInline):
    model = PacketTransition


@admin.register(Packet)
class PacketAdmin(admin.ModelAdmin):
    """Packets: requested from their subject's admin or page; read-only here, ready ones forever."""

    list_display = (
        "id",
        "kind",
        "subject_label",
        "status",
        "requested_by",
        "requested_at",
        "sequence",
        "page_count",
    )
    list_filter = ("kind", "status")
    search_fields = ("subject_label", "sha256", "summary")
    # The file is reached through the packet page's audited download, never a media URL.
    exclude = ("file",)
    readonly_fields = [f.name for f in Packet._meta.fields if f.name != "file"] + ["page"]
    inlines = [PacketHistoryInline]
    actions = ["retry"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="packet page")
    def page(self, packet) -> str:
        return format_html('<a href="{}">open</a>', reverse("packet-page", args=[packet.pk]))

    @admin.action(description="Retry the selected failed packets", permissions=["retry"])
    def retry(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda p: packet_retry(packet=p, actor=request.user),
            "Queued again",
        )

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("governance.add_packet")
