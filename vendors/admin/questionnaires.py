"""Vendor questionnaires in the admin, security's home for assessments.

Security sends a questionnaire from an assessment ("Send questionnaire" on its page), and
extends or revokes its link with the buttons on the questionnaire's page. The item's owner
role (security or legal) accepts or sends back each proposed answer with the buttons on the
answer's page. Every button posts to a small view that calls one service.
"""

from auditlog.signals import accessed
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from vendors.admin.assessments import verdict_badge
from vendors.choices import AssessmentStatus, ProposedAnswerStatus, ResponseStatus
from vendors.filetypes import CONTENT_TYPES
from vendors.kit.admin import HistoryInline, ReadOnlyInline, ServiceAdmin, ServiceForm
from vendors.models import (
    Assessment,
    ProposedAnswer,
    ProposedAnswerTransition,
    ProposedFile,
    Questionnaire,
    QuestionnaireTransition,
    Response,
)
from vendors.selectors.questionnaires import questionnaire_list
from vendors.services.questionnaires import (
    answer_accept,
    answer_send_back,
    questionnaire_extend,
    questionnaire_revoke,
    questionnaire_send,
)

P = ProposedAnswerStatus


class QuestionnaireSendForm(ServiceForm):
    """Sending creates the link and emails it through the service."""

    days = forms.IntegerField(
        min_value=1,
        max_value=Questionnaire.MAX_DAYS,
        initial=Questionnaire.DEFAULT_DAYS,
        help_text="How long the link works (extendable later).",
    )

    class Meta:
        model = Questionnaire
        fields = ("assessment", "contact_name", "contact_email", "message")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "assessment" in self.fields:  # the change page shows every field read-only
            self.fields["assessment"].queryset = Assessment.objects.filter(
                status=AssessmentStatus.IN_REVIEW
            ).select_related("vendor", "offering")

    def run_service(self):
        sent = questionnaire_send(
            assessment=self.cleaned_data["assessment"],
            contact_name=self.cleaned_data["contact_name"],
            contact_email=self.cleaned_data["contact_email"],
            message=self.cleaned_data.get("message", ""),
            days=self.cleaned_data["days"],
            base_url=self.request.build_absolute_uri("/"),
            actor=self.request.user,
        )
        return sent.questionnaire


class ProposedAnswerInline(ReadOnlyInline):
    model = ProposedAnswer
    fields = ("item", "status", "answer", "proposed_at", "reviewed_by")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("response__item", "reviewed_by")

    @admin.display(description="item")
    def item(self, answer: ProposedAnswer) -> str:
        return answer.response.item.title


class QuestionnaireHistoryInline(HistoryInline):
    model = QuestionnaireTransition


class FormButtonMixin:
    """A button on a change page: a small form posted to its own URL, handed to one service,
    then back to the change page with the service's words (or the refusal) as a message."""

    def _button(self, request, object_id, form_class, service) -> HttpResponseRedirect:
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        form = form_class(request.POST)
        if not form.is_valid():
            errors = "; ".join(m for field in form.errors.values() for m in field)
            self.message_user(request, errors, messages.ERROR)
        else:
            try:
                done = service(obj, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                text = "; ".join(getattr(error, "messages", [str(error)]))
                self.message_user(request, text, messages.ERROR)
            else:
                self.message_user(request, done, messages.SUCCESS)
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        )


class ExtendForm(forms.Form):
    days = forms.IntegerField(
        min_value=1, max_value=Questionnaire.MAX_DAYS, initial=Questionnaire.DEFAULT_DAYS
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(max_length=500)


@admin.register(Questionnaire)
class QuestionnaireAdmin(FormButtonMixin, ServiceAdmin):
    """Questionnaires: send from an assessment; extend or revoke the link on its page."""

    change_form_template = "admin/vendors/questionnaire/change_form.html"
    list_display = (
        "__str__",
        "vendor",
        "status",
        "expires_at",
        "pending_count",
        "last_access_at",
        "sent_by",
    )
    list_filter = ("status",)
    search_fields = ("contact_email", "contact_name", "assessment__vendor__name")
    readonly_fields = (
        "assessment",
        "contact_name",
        "contact_email",
        "message",
        "asked_items",
        "status",
        "expires_at",
        "sent_by",
        "sent_at",
        "last_access_at",
    )
    inlines = [ProposedAnswerInline, QuestionnaireHistoryInline]

    def get_queryset(self, request):
        return questionnaire_list()

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Only adding sends; the change page writes nothing (its buttons post elsewhere).
        if obj is None:
            kwargs["form"] = QuestionnaireSendForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("assessment", "contact_name", "contact_email", "message", "days")
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, never deleted: the audit trail points at it

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            f"Emailed a link to {obj.contact_email}; it works until "
            f"{obj.expires_at:%Y-%m-%d %H:%M} UTC.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:vendors_questionnaire_change", args=[obj.pk]))

    @admin.display(description="vendor")
    def vendor(self, questionnaire: Questionnaire) -> str:
        return str(questionnaire.assessment.vendor)

    @admin.display(description="awaiting review")
    def pending_count(self, questionnaire: Questionnaire) -> int:
        return questionnaire.pending_count

    @admin.display(description="items asked")
    def asked_items(self, questionnaire: Questionnaire) -> str:
        return format_html_join(
            mark_safe("<br>"),
            "{}",
            ((r.item.title,) for r in questionnaire.responses.select_related("item")),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        questionnaire = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if questionnaire is not None:
            extra_context.update(
                can_manage_link=request.user.has_perm(
                    "vendors.revoke_questionnaire", questionnaire
                ),
                extend_form=ExtendForm(),
                revoke_form=RevokeForm(),
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/extend/",
                self.admin_site.admin_view(self.extend_view),
                name="vendors_questionnaire_extend",
            ),
            path(
                "<path:object_id>/revoke/",
                self.admin_site.admin_view(self.revoke_view),
                name="vendors_questionnaire_revoke",
            ),
            *super().get_urls(),
        ]

    def extend_view(self, request: HttpRequest, object_id: str):
        def extend(questionnaire, days):
            q = questionnaire_extend(questionnaire=questionnaire, days=days, actor=request.user)
            return f"The link now works until {q.expires_at:%Y-%m-%d %H:%M} UTC."

        return require_POST(lambda r: self._button(r, object_id, ExtendForm, extend))(request)

    def revoke_view(self, request: HttpRequest, object_id: str):
        def revoke(questionnaire, reason):
            questionnaire_revoke(questionnaire=questionnaire, reason=reason, actor=request.user)
            return "The link is revoked; it opens nothing any more."

        return require_POST(lambda r: self._button(r, object_id, RevokeForm, revoke))(request)


class AcceptForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in ResponseStatus if s in Response.VERDICTS],
        initial=ResponseStatus.SATISFIED,
        label="verdict",
    )
    reason = forms.CharField(required=False, help_text="Why the item does not apply (if so).")
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SendBackForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class ProposedAnswerHistoryInline(HistoryInline):
    model = ProposedAnswerTransition


@admin.register(ProposedAnswer)
class ProposedAnswerAdmin(FormButtonMixin, admin.ModelAdmin):
    """A vendor's answer to one item: the item's owner accepts it or sends it back."""

    change_form_template = "admin/vendors/proposedanswer/change_form.html"
    list_display = ("__str__", "vendor", "owner", "status", "proposed_at", "reviewed_by")
    list_filter = ("status", "response__item__owner_role")
    search_fields = ("answer", "response__item__code", "questionnaire__assessment__vendor__name")
    fields = (
        "questionnaire",
        "item",
        "guidance",
        "current_verdict",
        "answer",
        "files",
        "status",
        "reviewed_by",
        "reviewed_at",
        "review_comment",
    )
    readonly_fields = fields
    inlines = [ProposedAnswerHistoryInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("response__item", "questionnaire__assessment__vendor")
        )

    def has_add_permission(self, request) -> bool:
        return False  # answers come from the vendor's link

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="vendor")
    def vendor(self, answer: ProposedAnswer) -> str:
        return str(answer.questionnaire.assessment.vendor)

    @admin.display(description="reviewed by")
    def owner(self, answer: ProposedAnswer) -> str:
        return answer.response.item.get_owner_role_display()

    @admin.display(description="item")
    def item(self, answer: ProposedAnswer) -> str:
        return str(answer.response.item)

    @admin.display(description="guidance")
    def guidance(self, answer: ProposedAnswer) -> str:
        return answer.response.item.guidance

    @admin.display(description="current verdict")
    def current_verdict(self, answer: ProposedAnswer) -> str:
        return verdict_badge(answer.response)

    @admin.display(description="files (SHA-256)")
    def files(self, answer: ProposedAnswer) -> str:
        return (
            format_html_join(
                mark_safe("<br>"),
                '<a href="{}">{}</a> <code title="SHA-256">{}…</code>',
                (
                    (
                        reverse("admin:vendors_proposedanswer_file", args=[answer.pk, f.pk]),
                        f.original_name,
                        f.sha256[:16],
                    )
                    for f in answer.files.all()
                ),
            )
            or "—"
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        answer = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if answer is not None:
            extra_context.update(
                can_review=answer.status == P.PROPOSED
                and request.user.has_perm("vendors.change_proposedanswer", answer),
                accept_form=AcceptForm(),
                send_back_form=SendBackForm(),
                # Every field is read-only: the buttons above are the only writes.
                show_save=False,
                show_save_and_continue=False,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/accept/",
                self.admin_site.admin_view(self.accept_view),
                name="vendors_proposedanswer_accept",
            ),
            path(
                "<path:object_id>/send-back/",
                self.admin_site.admin_view(self.send_back_view),
                name="vendors_proposedanswer_send_back",
            ),
            path(
                "<path:object_id>/files/<int:file_id>/",
                self.admin_site.admin_view(self.file_view),
                name="vendors_proposedanswer_file",
            ),
            *super().get_urls(),
        ]

    def accept_view(self, request: HttpRequest, object_id: str):
        def accept(answer, status, reason, comment):
            answer_accept(
                answer=answer, status=status, reason=reason, comment=comment, actor=request.user
            )
            verdict = ResponseStatus(status).label.lower()
            return f"Accepted: {answer.response.item.title} is {verdict}."

        return require_POST(lambda r: self._button(r, object_id, AcceptForm, accept))(request)

    def send_back_view(self, request: HttpRequest, object_id: str):
        def send_back(answer, comment):
            answer_send_back(answer=answer, comment=comment, actor=request.user)
            return f"Sent back to {answer.questionnaire.contact_email} with your comment."

        return require_POST(lambda r: self._button(r, object_id, SendBackForm, send_back))(request)

    def file_view(self, request: HttpRequest, object_id: str, file_id: int) -> FileResponse:
        """Download a vendor's file (audited), to read it before accepting."""
        if not request.user.has_perm("vendors.view_proposedfile"):
            raise PermissionDenied
        attached = get_object_or_404(ProposedFile, pk=file_id, answer_id=object_id)
        accessed.send(sender=ProposedFile, instance=attached)
        response = FileResponse(
            attached.file.open("rb"),
            as_attachment=True,
            filename=attached.original_name,
            content_type=CONTENT_TYPES.get(attached.kind, "application/octet-stream"),
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
