"""Admin building blocks of governance: sign-off and packet actions, CSV import."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.functional import cached_property

from governance.choices import Decision
from governance.csvimport import CsvFormatError, read_rows
from governance.models import (
    SignOff,
)
from governance.selectors.signoffs import required_roles, signoff_problems, subject_digest
from governance.services.packets import packet_request
from governance.services.signoffs import signoff_record
from vendors.kit.admin import run_action


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
