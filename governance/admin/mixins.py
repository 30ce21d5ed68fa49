"""Admin building blocks of governance: sign-off and packet actions, CSV import."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.functional import cached_property

from governance.choices import Decision
from governance.csvimport import CsvFormatError, read_rows
from governance.forms import SignForm
from governance.models import (
    SignOff,
)
from governance.selectors.signoffs import (
    pending_roles,
    required_roles,
    signoff_problems,
    subject_digest,
)
from governance.services.packets import packet_request
from governance.services.signoffs import signoff_record
from vendors.kit.admin import run_action


class SignOffAdminMixin:
    """Adds sign-offs to a subject's admin page: a sign button per role of mine still needed
    (and a "sign: approve" action on the list), plus the subject's gate button (approve,
    publish) posting to the same services as the list actions."""

    subject_kind: str
    # The gate after the sign-offs: (URL suffix, button words, past tense, permission,
    # service(subject, user)).
    gate: tuple[str, str, str, str, object] | None = None

    def signoff_context(self, subject, request=None) -> dict:
        current = subject_digest(kind=self.subject_kind, subject=subject)
        problems = signoff_problems(kind=self.subject_kind, subject=subject, current_digest=current)
        context = {
            "signoff_problems": problems,
            "signoffs": SignOff.objects.filter(
                subject_kind=self.subject_kind, subject_id=subject.pk
            ).select_related("user"),
        }
        if request is not None:
            opts = self.model._meta
            mine = set(request.user.groups.values_list("name", flat=True))
            context["open_for_gate"] = self._signable(subject)
            signable = request.user.has_perm("governance.add_signoff") and context["open_for_gate"]
            context["sign_roles"] = (
                pending_roles(kind=self.subject_kind, subject=subject, among=mine)
                if signable
                else []
            )
            context["sign_url"] = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_sign", args=[subject.pk]
            )
            if self.gate is not None:
                suffix, words, _, perm, _ = self.gate
                context["gate"] = {
                    "url": reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_{suffix}", args=[subject.pk]
                    ),
                    "words": words,
                    "allowed": request.user.has_perm(perm, subject),
                }
        return context

    def _signable(self, subject) -> bool:
        from governance.selectors.signoffs import SUBJECTS

        return SUBJECTS[self.subject_kind].signable(subject)

    def get_urls(self):
        opts = self.model._meta
        urls = [
            path(
                "<path:object_id>/sign/",
                self.admin_site.admin_view(self.sign_view),
                name=f"{opts.app_label}_{opts.model_name}_sign",
            )
        ]
        if self.gate is not None:
            urls.append(
                path(
                    f"<path:object_id>/{self.gate[0]}/",
                    self.admin_site.admin_view(self.gate_view),
                    name=f"{opts.app_label}_{opts.model_name}_{self.gate[0]}",
                )
            )
        return urls + super().get_urls()

    def _back(self, subject):
        opts = self.model._meta
        return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", subject.pk)

    def sign_view(self, request, object_id):
        """Sign the subject from its change page, in one of my roles (approve or reject)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        subject = self.get_object(request, object_id)
        if subject is None:
            raise Http404
        form = SignForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "The sign-off form was incomplete.", messages.ERROR)
            return self._back(subject)
        try:
            signoff_record(
                kind=self.subject_kind, subject=subject, actor=request.user, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as error:
            for text in getattr(error, "messages", [str(error)]):
                self.message_user(request, text, messages.ERROR)
        else:
            decision = form.cleaned_data["decision"]
            self.message_user(
                request,
                f"You signed {subject} as {form.cleaned_data['role']}: "
                f"{'approved' if decision == Decision.APPROVE else 'rejected'}.",
                messages.SUCCESS,
            )
        return self._back(subject)

    def gate_view(self, request, object_id):
        """Approve or publish the subject from its change page (the list action's service)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        subject = self.get_object(request, object_id)
        if subject is None:
            raise Http404
        _, _, done_words, _, service = self.gate
        try:
            with transaction.atomic():
                done = service(subject, request.user)
        except (ValidationError, PermissionDenied) as error:
            for text in getattr(error, "messages", [str(error)]):
                self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(request, f"{done} {done_words}.", messages.SUCCESS)
        return self._back(subject)

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
