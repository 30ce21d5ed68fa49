"""Evidence in the admin: start an import and follow its progress; read what it brought."""

import json

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from governance.models import (
    CopilotOrgDay,
    CopilotUserDay,
    EscapedDefect,
    GatewayDaily,
    ImportRun,
    ModelAlias,
    PullRequest,
    TeamMember,
    TeamMetricValue,
)
from governance.models.evidence import ImportStatus
from governance.services.imports import (
    import_create,
    import_enqueue,
    import_progress,
    importable_kinds,
)
from vendors.kit.admin import ServiceAdmin, ServiceForm


class ImportRunForm(ServiceForm):
    """Upload a file (or name an organisation to sync) and queue its import."""

    upload = forms.FileField(required=False, label="File")
    format = forms.ChoiceField(
        choices=[
            ("", "—"),
            ("litellm", "LiteLLM spend logs"),
            ("csv", "Generic CSV with a mapping"),
        ],
        required=False,
        help_text="Gateway logs only.",
    )
    mapping = forms.JSONField(
        required=False, help_text='Generic CSV: {"request_id": "id", "model": "model", ...}'
    )
    repo = forms.RegexField(
        r"^[\w.-]+/[\w.-]+$", required=False, help_text="owner/name, when the file omits it."
    )
    org = forms.RegexField(r"^[\w.-]+$", required=False, help_text="GitHub sync only.")

    class Meta:
        model = ImportRun
        fields = ("kind", "dry_run", "skip_bad")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "kind" in self.fields:
            # Offer only what this person may import (the service refuses the rest anyway).
            allowed = set(importable_kinds(self.request.user))
            self.fields["kind"].choices = [
                choice for choice in self.fields["kind"].choices if choice[0] in allowed
            ]

    def run_service(self):
        data = self.cleaned_data
        options = {k: data[k] for k in ("format", "mapping", "repo", "org") if data.get(k)}
        run = import_create(
            kind=data["kind"],
            actor=self.request.user,
            upload=data.get("upload"),
            options=options,
            dry_run=data["dry_run"],
            skip_bad=data["skip_bad"],
        )
        import_enqueue(run)
        return run


@admin.register(ImportRun)
class ImportRunAdmin(ServiceAdmin):
    """Imports: who brought which file (its SHA-256), the counts, and every bad line."""

    form = ImportRunForm
    list_display = (
        "id",
        "kind",
        "file_name",
        "status",
        "progress_bar",
        "rows_read",
        "created",
        "updated",
        "skipped",
        "requested_by",
        "created_at",
    )
    list_filter = ("kind", "status", "dry_run")
    search_fields = ("file_name", "file_sha256")
    readonly_fields = (
        "kind",
        "status",
        "progress_bar",
        "dry_run",
        "skip_bad",
        "file_name",
        "file_sha256",
        "options_shown",
        "rows_read",
        "created",
        "updated",
        "skipped",
        "line_errors",
        "report_shown",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
    )

    def get_fields(self, request, obj=None):
        if obj:
            return self.readonly_fields
        return ("kind", "upload", "format", "mapping", "repo", "org", "dry_run", "skip_bad")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def response_add(self, request, obj, post_url_continue=None):
        # Straight to the run's page, where the progress shows until it finishes.
        self.message_user(request, f"Import {obj.pk} queued.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:governance_importrun_change", args=[obj.pk]))

    @admin.display(description="progress")
    def progress_bar(self, run: ImportRun) -> str:
        percent = import_progress(run)
        word = {ImportStatus.QUEUED: "queued", ImportStatus.RUNNING: f"{percent}%"}.get(
            run.status, run.get_status_display()
        )
        return format_html(
            '<progress max="100" value="{}" aria-label="import progress"></progress> {}',
            percent,
            word,
        )

    @admin.display(description="options")
    def options_shown(self, run: ImportRun) -> str:
        shown = {k: v for k, v in run.options.items() if k != "path"}
        return json.dumps(shown, indent=1) if shown else "—"

    @admin.display(description="bad lines")
    def line_errors(self, run: ImportRun) -> str:
        if not run.errors:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>line {}: {}: {}</li>",
                ((e["line"], e["field"], e["message"]) for e in run.errors),
            ),
        )

    @admin.display(description="unresolved names")
    def report_shown(self, run: ImportRun) -> str:
        if not run.report:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {}</li>",
                (
                    (
                        kind.replace("_", " "),
                        ", ".join(f"{k} ({v})" for k, v in counts.items())
                        if isinstance(counts, dict)
                        else counts,
                    )
                    for kind, counts in run.report.items()
                ),
            ),
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only an import writes."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TeamMember)
class TeamMemberAdmin(admin.ModelAdmin):
    """Who belonged to which team when (imported, or corrected by hand)."""

    list_display = ("login", "team", "valid_from", "valid_to")
    list_filter = ("team",)
    search_fields = ("login",)
    list_select_related = ("team",)


@admin.register(ModelAlias)
class ModelAliasAdmin(admin.ModelAdmin):
    """Names gateways log for a model version."""

    list_display = ("name", "model_version")
    search_fields = ("name",)
    autocomplete_fields = ("model_version",)
    list_select_related = ("model_version__vendor",)


@admin.register(PullRequest)
class PullRequestAdmin(ReadOnlyAdmin):
    """Imported pull requests and the team each was attributed to."""

    list_display = (
        "__str__",
        "author",
        "team",
        "created_at",
        "merged_at",
        "ai_assisted",
        "review_count",
        "tier",
    )
    list_filter = ("team", "ai_assisted", "tier")
    search_fields = ("repo", "author")
    list_select_related = ("team",)
    show_full_result_count = False


@admin.register(EscapedDefect)
class EscapedDefectAdmin(ReadOnlyAdmin):
    """Issues labelled as escaped defects and the pull request each names."""

    list_display = ("__str__", "title", "opened_at", "pull_request")
    list_select_related = ("pull_request",)


@admin.register(GatewayDaily)
class GatewayDailyAdmin(ReadOnlyAdmin):
    """Gateway roll-ups per day, team, model and routing tier."""

    list_display = ("day", "team_key", "team", "model", "tier", "requests", "spend", "currency")
    list_filter = ("tier", "team")
    date_hierarchy = "day"
    list_select_related = ("team",)
    show_full_result_count = False


@admin.register(CopilotUserDay)
class CopilotUserDayAdmin(ReadOnlyAdmin):
    """Copilot activity per person and day."""

    list_display = ("day", "login", "team", "code_generations", "code_acceptances", "loc_added")
    list_filter = ("team",)
    search_fields = ("login",)
    list_select_related = ("team",)
    show_full_result_count = False


@admin.register(CopilotOrgDay)
class CopilotOrgDayAdmin(ReadOnlyAdmin):
    """Copilot totals and seats per organisation and day."""

    list_display = ("day", "scope", "daily_active_users", "engaged_users", "seats_paid")


@admin.register(TeamMetricValue)
class TeamMetricValueAdmin(ReadOnlyAdmin):
    """Weekly team series derived from the evidence."""

    list_display = ("team", "metric", "tier", "period_start", "value", "mean", "sample_size")
    list_filter = ("metric", "team", "source")
    list_select_related = ("team", "metric")
    show_full_result_count = False
