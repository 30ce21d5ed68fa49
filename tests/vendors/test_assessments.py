"""Vendor assessments: applicability, verdicts, approval gates, revocation, exceptions."""

import re
from datetime import timedelta

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError

from governance.services.signoffs import assessment_approve
from tests.conftest import TODAY
from tests.factories import OfferingFactory
from vendors.models import ChecklistItem, Response, Vendor
from vendors.services.assessments import (
    assessment_open,
    evidence_add,
    exception_grant,
    exception_revoke,
    response_set_verdict,
)
from vendors.services.checklist import checklist_item_create, checklist_item_retire
from vendors.services.rereview import rereview_sweep

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]


def _response(assessment, code) -> Response:
    return assessment.responses.select_related("item").get(item__code=code)


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- opening --------------------------------------------------------------------------------


def test_opening_creates_a_response_per_applicable_item(assessment):
    codes = set(assessment.responses.values_list("item__code", flat=True))
    assert "tool-call-sandboxing" not in codes  # agentic only; this vendor has no agent
    assert len(codes) == 8
    assert set(assessment.responses.values_list("status", flat=True)) == {"open"}


def test_an_agentic_offering_adds_the_agentic_items(vendor, security, agentic_offering):
    assessment = assessment_open(vendor=vendor, offering=agentic_offering, actor=security)
    assert assessment.responses.filter(item__code="tool-call-sandboxing").exists()
    assert assessment.responses.count() == 9


def test_a_retired_item_stops_applying_to_new_assessments(vendor, security):
    checklist_item_retire(item=ChecklistItem.objects.get(code="per-request-tracing"))
    assessment = assessment_open(vendor=vendor, actor=security)
    assert not assessment.responses.filter(item__code="per-request-tracing").exists()


def test_an_item_added_by_an_admin_applies_to_new_assessments(vendor, security):
    checklist_item_create(
        code="sbom",
        title="SBOM for the IDE plugin",
        category="security",
        guidance="CycloneDX SBOM",
        owner_role="security",
        applies_to="all",
    )
    assessment = assessment_open(vendor=vendor, actor=security)
    assert assessment.responses.filter(item__code="sbom").exists()


def test_opening_moves_a_prospect_vendor_under_review(assessment, security):
    vendor = Vendor.objects.get(pk=assessment.vendor_id)
    assert vendor.status == "under_review"
    assert vendor.history.get().actor == security


def test_an_offering_of_another_vendor_is_refused(vendor, security):
    with pytest.raises(ValidationError, match="is not an offering of"):
        assessment_open(vendor=vendor, offering=OfferingFactory(), actor=security)


def test_a_second_open_assessment_of_the_same_vendor_is_refused(assessment, vendor, security):
    with pytest.raises(ValidationError, match="already has an open or approved assessment"):
        assessment_open(vendor=vendor, actor=security)


def test_roles_without_review_rights_cannot_open_assessments(vendor, ai_pm):
    with pytest.raises(PermissionDenied, match=re.escape("(vendors.add_assessment)")):
        assessment_open(vendor=vendor, actor=ai_pm)


# --- verdicts -------------------------------------------------------------------------------


def test_the_owner_role_sets_a_verdict(assessment, legal, judge):
    response = judge(_response(assessment, "ip-assignment"))
    assert response.status == "satisfied"
    assert response.verdict_by == legal
    assert response.expires_on == TODAY + timedelta(days=365)


def test_a_verdict_from_the_wrong_role_is_refused(assessment, security):
    response = _response(assessment, "ip-assignment")  # a legal item
    with pytest.raises(PermissionDenied, match=re.escape("(vendors.change_response)")):
        response_set_verdict(
            response=response, status="not_applicable", reason="n/a", actor=security
        )
    response.refresh_from_db()
    assert response.status == "open"


def test_an_admin_may_set_any_verdict(assessment, persona):
    admin = persona("security")
    admin.is_superuser = True
    admin.save()
    response = _response(assessment, "ip-assignment")
    response_set_verdict(
        response=response, status="not_satisfied", actor=admin, comment="no indemnity"
    )
    response.refresh_from_db()
    assert response.status == "not_satisfied"


def test_satisfied_needs_evidence_when_the_item_requires_it(assessment, legal):
    response = _response(assessment, "data-residency")
    with pytest.raises(ValidationError, match="needs at least one evidence file"):
        response_set_verdict(response=response, status="satisfied", actor=legal)


def test_satisfied_without_evidence_is_fine_when_not_required(assessment, security):
    response = _response(assessment, "per-request-tracing")
    response_set_verdict(response=response, status="satisfied", actor=security)
    response.refresh_from_db()
    assert response.status == "satisfied"


def test_not_applicable_needs_a_reason(assessment, security):
    response = _response(assessment, "code-provenance")
    with pytest.raises(ValidationError, match="Say why"):
        response_set_verdict(response=response, status="not_applicable", actor=security)


def test_the_database_also_refuses_not_applicable_without_reason(assessment):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError, match="response_not_applicable_needs_reason"):
        Response.objects.filter(pk=_response(assessment, "code-provenance").pk).update(
            status="not_applicable", reason=""
        )


def test_a_verdict_cannot_outlive_the_re_review_interval(assessment, security):
    response = _response(assessment, "per-request-tracing")
    with pytest.raises(ValidationError, match="180-day re-review interval"):
        response_set_verdict(
            response=response,
            status="satisfied",
            actor=security,
            expires_on=TODAY + timedelta(days=181),
        )


def test_excepted_cannot_be_set_as_a_verdict(assessment, security):
    with pytest.raises(ValidationError, match="exceptions and re-review have their own steps"):
        response_set_verdict(
            response=_response(assessment, "per-request-tracing"), status="excepted", actor=security
        )


def test_verdict_changes_appear_in_the_audit_trail_with_the_actor(assessment, security):
    response = _response(assessment, "per-request-tracing")
    response_set_verdict(response=response, status="not_satisfied", actor=security)
    entry = LogEntry.objects.get_for_object(response).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == security
    assert entry.changes_dict["status"] == ["open", "not_satisfied"]
    history = response.history.get()
    assert (history.from_status, history.to_status, history.actor) == (
        "open",
        "not_satisfied",
        security,
    )


# --- approval -------------------------------------------------------------------------------


def test_a_complete_signed_assessment_is_approved(assessment, complete, sign, security):
    complete(assessment)
    sign(assessment)
    approved = assessment_approve(assessment=assessment, actor=security)
    assert approved.status == "approved"
    vendor = Vendor.objects.get(pk=assessment.vendor_id)
    assert vendor.status == "approved"
    # The earliest lapse among verdicts: security items re-review after 180 days.
    assert vendor.approved_until == TODAY + timedelta(days=180)


@pytest.mark.parametrize(
    ("status", "kwargs", "problem"),
    [
        ("open", {}, "no verdict yet"),
        ("not_satisfied", {}, "not satisfied and no active exception"),
    ],
)
def test_approval_names_each_blocking_item(
    assessment, complete, judge, sign, security, status, kwargs, problem
):
    complete(assessment)
    response = _response(assessment, "prompt-injection-defenses")
    if status == "open":
        Response.objects.filter(pk=response.pk).update(status="open")
    else:
        judge(response, status, **kwargs)
    sign(assessment)
    with pytest.raises(ValidationError) as error:
        assessment_approve(assessment=assessment, actor=security)
    assert f"Prompt-injection defenses (prompt-injection-defenses): {problem}" in _messages(
        error.value
    )


def test_approval_is_blocked_by_an_item_needing_review(assessment, complete, sign, security):
    complete(assessment)
    with time_machine.travel(TODAY + timedelta(days=181), tick=False):
        rereview_sweep()
        sign(assessment)
        with pytest.raises(ValidationError, match=r"Audit-log access .*: needs review"):
            assessment_approve(assessment=assessment, actor=security)


def test_approval_is_blocked_by_an_expired_exception(assessment, complete, judge, sign, security):
    complete(assessment)
    response = _response(assessment, "code-provenance")
    judge(response, "not_satisfied")
    exception_grant(
        response=response,
        justification="Vendor ships it in Q1",
        compensating_controls="Gateway adds a commit trailer",
        expires_on=TODAY + timedelta(days=10),
        actor=security,
    )
    with time_machine.travel(TODAY + timedelta(days=11), tick=False):
        sign(assessment)
        with pytest.raises(ValidationError, match=r"code-provenance\): the exception has expired"):
            assessment_approve(assessment=assessment, actor=security)


def test_approval_reports_every_gap_at_once(assessment, sign, security):
    sign(assessment)
    with pytest.raises(ValidationError) as error:
        assessment_approve(assessment=assessment, actor=security)
    assert list(error.value.message_dict) == ["approval"]
    assert len(error.value.messages) == 8
    assert all(m.startswith("Approval blocked: ") for m in error.value.messages)


def test_approval_needs_both_sign_offs(assessment, complete, sign, security):
    complete(assessment)
    sign(assessment, roles=("security",))
    with pytest.raises(ValidationError, match="needs an approve sign-off from legal"):
        assessment_approve(assessment=assessment, actor=security)


def test_a_reject_sign_off_blocks_approval(assessment, complete, sign, security):
    complete(assessment)
    sign(assessment, roles=("security",))
    sign(assessment, roles=("legal",), decision="reject", comment="IP clause too weak")
    with pytest.raises(ValidationError, match="legal rejected it"):
        assessment_approve(assessment=assessment, actor=security)


def test_a_sign_off_on_older_content_does_not_count(assessment, complete, judge, sign, security):
    sign(assessment)
    complete(assessment)
    with pytest.raises(ValidationError, match="covers an earlier version"):
        assessment_approve(assessment=assessment, actor=security)


def test_only_approvers_may_approve(assessment, complete, sign, ai_pm):
    complete(assessment)
    sign(assessment)
    with pytest.raises(PermissionDenied, match=re.escape("(vendors.approve_assessment)")):
        assessment_approve(assessment=assessment, actor=ai_pm)


def test_a_sign_off_needs_membership_of_the_role(assessment, security):
    from governance.services.signoffs import signoff_record

    with pytest.raises(PermissionDenied, match="Only members of legal sign as legal"):
        signoff_record(
            kind="assessment", subject=assessment, role="legal", decision="approve", actor=security
        )


def test_a_sign_off_in_a_role_the_subject_does_not_need_is_refused(assessment, persona):
    from governance.services.signoffs import signoff_record

    finance = persona("finance")
    finance.groups.add(*persona("security").groups.all())
    with pytest.raises(ValidationError, match="signed by security, legal, not finance"):
        signoff_record(
            kind="assessment", subject=assessment, role="finance", decision="approve", actor=finance
        )


def test_a_reject_sign_off_needs_a_comment(assessment, sign):
    with pytest.raises(ValidationError, match="Say why you reject"):
        sign(assessment, roles=("legal",), decision="reject")


# --- revocation -----------------------------------------------------------------------------


@pytest.fixture
def approved(assessment, complete, sign, security):
    complete(assessment)
    sign(assessment)
    return assessment_approve(assessment=assessment, actor=security)


def test_changing_a_signed_response_revokes_the_approval(approved, judge):
    judge(_response(approved, "per-request-tracing"), "not_satisfied")
    approved.refresh_from_db()
    assert approved.status == "in_review"
    assert approved.approved_digest == ""
    vendor = Vendor.objects.get(pk=approved.vendor_id)
    assert vendor.status == "under_review"
    assert vendor.approved_until is None
    assert approved.history.last().reason.startswith("approval revoked: verdict on per-request")


def test_adding_evidence_to_a_signed_response_revokes_the_approval(approved, security):
    from tests.factories import make_pdf

    evidence_add(
        response=_response(approved, "audit-log-access"),
        uploaded_file=make_pdf("extra.pdf", b"new"),
        actor=security,
    )
    approved.refresh_from_db()
    assert approved.status == "in_review"


def test_a_revoked_assessment_can_be_signed_and_approved_again(approved, judge, sign, security):
    judge(_response(approved, "per-request-tracing"), "satisfied", comment="re-checked")
    sign(approved)
    assert assessment_approve(assessment=approved, actor=security).status == "approved"


# --- exceptions -----------------------------------------------------------------------------


def _grant(response, actor, days=90):
    return exception_grant(
        response=response,
        justification="Contract amendment in negotiation",
        compensating_controls="Gateway strips repository secrets",
        expires_on=TODAY + timedelta(days=days),
        actor=actor,
    )


def test_an_exception_excepts_a_not_satisfied_item(assessment, judge, security):
    response = judge(_response(assessment, "code-provenance"), "not_satisfied")
    exception = _grant(response, security)
    response.refresh_from_db()
    assert response.status == "excepted"
    assert exception.approver == security


def test_an_excepted_item_does_not_block_approval(assessment, complete, judge, sign, security):
    complete(assessment)
    _grant(judge(_response(assessment, "code-provenance"), "not_satisfied"), security, days=60)
    sign(assessment)
    approved = assessment_approve(assessment=assessment, actor=security)
    assert approved.approved_until == TODAY + timedelta(days=60)


def test_an_exception_needs_a_not_satisfied_item(assessment, security):
    with pytest.raises(ValidationError, match="Only a not-satisfied item can be excepted"):
        _grant(_response(assessment, "code-provenance"), security)


def test_an_exception_lasts_at_most_180_days(assessment, judge, security):
    response = judge(_response(assessment, "code-provenance"), "not_satisfied")
    with pytest.raises(ValidationError, match="at the latest on 2027-05-24"):
        _grant(response, security, days=181)


def test_an_exception_needs_justification_and_controls(assessment, judge, security):
    response = judge(_response(assessment, "code-provenance"), "not_satisfied")
    with pytest.raises(ValidationError, match="Say why this risk is accepted"):
        exception_grant(
            response=response,
            justification=" ",
            compensating_controls="",
            expires_on=TODAY + timedelta(days=30),
            actor=security,
        )


def test_only_security_approves_exceptions(assessment, judge, legal):
    response = judge(_response(assessment, "ip-assignment"), "not_satisfied")
    with pytest.raises(PermissionDenied, match=re.escape("(vendors.add_riskexception)")):
        _grant(response, legal)


def test_revoking_an_exception_makes_the_item_not_satisfied(assessment, judge, security):
    exception = _grant(judge(_response(assessment, "code-provenance"), "not_satisfied"), security)
    exception_revoke(exception=exception, actor=security, reason="Vendor backed out")
    exception.refresh_from_db()
    assert exception.status == "revoked"
    assert exception.response.status == "not_satisfied"


def test_approval_is_blocked_by_a_verdict_that_lapsed_before_the_sweep(
    assessment, complete, sign, security
):
    complete(assessment)
    with time_machine.travel(TODAY + timedelta(days=181), tick=False):
        sign(assessment)
        with pytest.raises(ValidationError, match=r"\(audit-log-access\): verdict expired on"):
            assessment_approve(assessment=assessment, actor=security)


def test_two_approvals_of_one_assessment_leave_one_approval(approved, security):
    with pytest.raises(ValidationError, match="cannot go from approved to approved"):
        assessment_approve(assessment=approved, actor=security)
    assert approved.history.filter(to_status="approved").count() == 1
