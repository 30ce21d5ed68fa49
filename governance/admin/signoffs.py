"""Sign-offs in the admin, and the vendor admins whose approval needs them.

Assessment and ShortlistVersion are registered here, once: their approve and
publish actions need the sign-off table, which vendors may not import.
"""

from django.contrib import admin
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse

from governance.admin.mixins import PacketRequestAdminMixin, SignOffAdminMixin
from governance.choices import PacketKind, SubjectKind
from governance.models import (
    SignOff,
)
from governance.selectors.signoffs import Stake, signoffs_at_stake
from governance.services.signoffs import (
    assessment_approve,
    shortlist_publish,
    signers_tell_revoked,
)
from vendors.admin.assessments import AssessmentAdmin, ResponseAdmin, RiskExceptionAdmin
from vendors.admin.shortlist import ShortlistVersionAdmin
from vendors.choices import AssessmentStatus, ExceptionStatus, ShortlistStatus
from vendors.kit.admin import run_action
from vendors.models import Assessment, Response, RiskException, ShortlistVersion


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


@admin.register(Assessment)
class GovernedAssessmentAdmin(PacketRequestAdminMixin, SignOffAdminMixin, AssessmentAdmin):
    """The vendors' assessment admin plus sign-offs and approval (which live in governance)."""

    subject_kind = SubjectKind.ASSESSMENT
    packet_kind = PacketKind.ASSESSMENT
    actions = ["sign_approve", "approve", *AssessmentAdmin.actions, "request_packet"]
    gate = (
        "approve",
        "Approve the assessment",
        "is approved",
        "vendors.approve_assessment",
        lambda a, user: assessment_approve(assessment=a, actor=user),
    )

    def approval_context(self, request, assessment: Assessment) -> dict:
        context = super().approval_context(request, assessment)
        context.update(self.signoff_context(assessment, request))
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


@admin.register(ShortlistVersion)
class GovernedShortlistAdmin(PacketRequestAdminMixin, SignOffAdminMixin, ShortlistVersionAdmin):
    """The shortlist admin plus sign-offs and publishing."""

    subject_kind = SubjectKind.SHORTLIST
    packet_kind = PacketKind.SHORTLIST
    actions = ["sign_approve", "publish", "request_packet"]
    gate = (
        "publish",
        "Publish this version",
        "is published",
        "vendors.publish_shortlistversion",
        lambda v, user: shortlist_publish(version=v, actor=user),
    )

    def publish_context(self, request, version: ShortlistVersion) -> dict:
        context = super().publish_context(request, version)
        context.update(self.signoff_context(version, request))
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


def _verdict_stake(response: Response) -> Stake | None:
    """What changing this verdict revokes: the assessment's approval and its current sign-offs."""
    assessment = response.assessment
    approval = (
        f"approved on {assessment.approved_at:%d %b %Y} until {assessment.approved_until}"
        if assessment.status == AssessmentStatus.APPROVED and assessment.approved_at
        else ""
    )
    return signoffs_at_stake(kind=SubjectKind.ASSESSMENT, subject=assessment, approval=approval)


@admin.register(Response)
class GovernedResponseAdmin(ResponseAdmin):
    """The verdict admin, confirming first when a change revokes an approval or sign-offs,
    and telling those signers afterwards."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"stake_reader": staticmethod(_verdict_stake)})

    def save_model(self, request, obj, form, change) -> None:
        if form.stake is not None:
            signers_tell_revoked(
                stake=form.stake,
                actor=request.user,
                change=f"the verdict on “{obj.item.title}”",
                link=reverse("admin:vendors_assessment_change", args=[obj.assessment_id]),
            )


@admin.register(RiskException)
class GovernedRiskExceptionAdmin(RiskExceptionAdmin):
    """The exception admin, confirming first when a grant revokes an approval or sign-offs, and
    telling those signers afterwards."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"stake_reader": staticmethod(_verdict_stake)})

    def save_model(self, request, obj, form, change) -> None:
        if form.stake is not None:
            response = form.cleaned_data["response"]
            signers_tell_revoked(
                stake=form.stake,
                actor=request.user,
                change=f"an exception on “{response.item.title}”",
                link=reverse("admin:vendors_assessment_change", args=[response.assessment_id]),
            )

    @admin.action(description="Revoke the selected exceptions", permissions=["change"])
    def revoke(self, request, queryset):
        """Revoke, after a page saying which approvals and sign-offs go with them."""
        selected = list(queryset.select_related("response__item", "response__assessment"))
        stakes = [(x, _verdict_stake(x.response)) for x in selected]
        stakes = [(x, stake) for x, stake in stakes if stake is not None]
        if stakes and not request.POST.get("confirm_revoke"):
            return TemplateResponse(
                request,
                "admin/vendors/riskexception/confirm_revoke.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "title": "Revoke exceptions that signed content depends on?",
                    "stakes": stakes,
                    "selected": selected,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        RiskExceptionAdmin.revoke(self, request, queryset)
        for exception, stake in stakes:
            exception.refresh_from_db()
            if exception.status == ExceptionStatus.REVOKED:
                signers_tell_revoked(
                    stake=stake,
                    actor=request.user,
                    change=f"the exception on “{exception.response.item.title}” was revoked",
                    link=reverse(
                        "admin:vendors_assessment_change", args=[exception.response.assessment_id]
                    ),
                )
        return None
