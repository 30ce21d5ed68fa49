"""Governance models in the admin, and the sign-off and approval steps of vendor review."""

from django.contrib import admin

from governance.choices import Decision, SubjectKind
from governance.models import SignOff, WorkerHeartbeat
from governance.services.signoffs import (
    assessment_approve,
    signoff_problems,
    signoff_record,
    subject_digest,
)
from governance.signoffs import required_roles
from vendors.admin import AssessmentAdmin
from vendors.adminkit import run_action
from vendors.models import Assessment


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


class GovernedAssessmentAdmin(AssessmentAdmin):
    """The vendors' assessment admin plus sign-offs and approval (which live in governance)."""

    actions = ["sign_approve", "approve", *AssessmentAdmin.actions]

    def approval_context(self, request, assessment: Assessment) -> dict:
        context = super().approval_context(request, assessment)
        current = subject_digest(kind=SubjectKind.ASSESSMENT, subject=assessment)
        problems = signoff_problems(
            kind=SubjectKind.ASSESSMENT, subject=assessment, current_digest=current
        )
        context["signoff_problems"] = problems
        context["problem_count"] += len(problems)
        context["signoffs"] = SignOff.objects.filter(
            subject_kind=SubjectKind.ASSESSMENT, subject_id=assessment.pk
        ).select_related("user")
        return context

    @admin.action(description="Sign: approve the current content in my role")
    def sign_approve(self, request, queryset):
        def sign(assessment):
            mine = set(request.user.groups.values_list("name", flat=True))
            roles = [r for r in required_roles(SubjectKind.ASSESSMENT, assessment) if r in mine]
            if not roles:
                from django.core.exceptions import PermissionDenied

                raise PermissionDenied("None of your roles signs assessments.")
            for role in roles:
                signoff_record(
                    kind=SubjectKind.ASSESSMENT,
                    subject=assessment,
                    role=role,
                    decision=Decision.APPROVE,
                    actor=request.user,
                )

        run_action(self, request, queryset, sign, "Signed")

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


admin.site.unregister(Assessment)
admin.site.register(Assessment, GovernedAssessmentAdmin)
