"""Writes of a vendor review: assessments, verdicts, evidence and risk exceptions.

Approval itself needs sign-offs and lives in governance/services/signoffs.py
(assessment_approve), which calls assessment_mark_approved here.
"""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from vendors.choices import (
    AssessmentStatus,
    ExceptionStatus,
    ResponseStatus,
    Role,
)
from vendors.filetypes import check_evidence_file
from vendors.kit.audit import audited
from vendors.kit.errors import DomainError
from vendors.kit.services import require, save_validated
from vendors.kit.transitions import transition
from vendors.models import (
    Assessment,
    AssessmentTransition,
    Evidence,
    ExceptionTransition,
    Offering,
    Response,
    ResponseTransition,
    RiskException,
    Vendor,
)
from vendors.selectors.assessments import (
    applicable_items,
    assessment_digest,
    assessment_earliest_expiry,
)
from vendors.services.notifications import notify_role
from vendors.services.registry import V, vendor_set_status

A = AssessmentStatus


R = ResponseStatus


E = ExceptionStatus


@audited
@transaction.atomic
def assessment_open(
    *, vendor: Vendor, actor: Any, offering: Offering | None = None, notes: str = ""
) -> Assessment:
    """Open a review round: one open response per applicable active checklist item."""
    require(actor, "vendors.add_assessment")
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    if offering is not None and offering.vendor_id != vendor.pk:
        raise DomainError({"offering": f"{offering} is not an offering of {vendor}."})
    if vendor.status == V.RETIRED:
        raise DomainError({"vendor": f"{vendor} is retired and cannot be assessed."})
    assessment = save_validated(
        Assessment(vendor=vendor, offering=offering, notes=notes, opened_by=actor)
    )
    items = applicable_items(vendor=vendor, offering=offering)
    Response.objects.bulk_create(Response(assessment=assessment, item=item) for item in items)
    if vendor.status in (V.PROSPECT, V.SUSPENDED):
        vendor_set_status(
            vendor=vendor, to=V.UNDER_REVIEW, actor=actor, reason=f"{assessment} opened"
        )
    for role in (Role.SECURITY, Role.LEGAL):
        notify_role(
            role=role,
            kind="signoff_requested",
            title=f"Review and sign: {assessment}"[:200],
            body=f"{assessment} was opened by {actor}: judge the checklist items your role "
            "owns, then sign it.",
            link=reverse("admin:vendors_assessment_change", args=[assessment.pk]),
        )
    return assessment


def _assessment_transition(assessment: Assessment, *, to: str, actor: Any, reason: str, **extra):
    return transition(
        assessment,
        to=to,
        actor=actor,
        reason=reason,
        history=AssessmentTransition,
        subject_field="assessment",
        extra_updates=extra,
    )


def _lock_assessment(assessment: Assessment) -> Assessment:
    # Approval, revocation and verdicts on one assessment serialise on this row, so a verdict
    # cannot slip in between the digest check and the approval.
    return Assessment.objects.select_for_update().select_related("vendor").get(pk=assessment.pk)


@audited
@transaction.atomic
def assessment_mark_approved(*, assessment: Assessment, digest: str, actor: Any) -> Assessment:
    """Record an approval decided by governance.assessment_approve (sign-offs already checked)."""
    assessment = _lock_assessment(assessment)
    if assessment_digest(assessment) != digest:
        raise DomainError("The assessment changed after it was signed; sign it again.")
    until = assessment_earliest_expiry(assessment)
    _assessment_transition(
        assessment,
        to=A.APPROVED,
        actor=actor,
        reason=f"approved until {until}",
        approved_at=timezone.now(),
        approved_until=until,
        approved_digest=digest,
    )
    vendor = assessment.vendor
    if vendor.status != V.APPROVED:
        vendor_set_status(
            vendor=vendor,
            to=V.APPROVED,
            actor=actor,
            reason=f"{assessment} approved",
            approved_until=until,
        )
    else:
        Vendor.objects.filter(pk=vendor.pk).update(approved_until=until)
    # Imported here: model_switches builds on this module (through rereview).
    from vendors.services.model_switches import model_switches_settle_signed

    model_switches_settle_signed(assessment=assessment, actor=actor)
    return assessment


@audited
@transaction.atomic
def assessment_reject(*, assessment: Assessment, actor: Any, reason: str) -> Assessment:
    """Close a review round as rejected."""
    require(actor, "vendors.approve_assessment", assessment)
    if not reason.strip():
        raise DomainError({"reason": "Say why the assessment is rejected."})
    assessment = _lock_assessment(assessment)
    return _assessment_transition(assessment, to=A.REJECTED, actor=actor, reason=reason)


def _revoke_if_signed_content_changed(assessment: Assessment, *, actor: Any, reason: str) -> bool:
    """Revoke an approval whose signed digest no longer matches the content."""
    assessment = _lock_assessment(assessment)
    if assessment.status != A.APPROVED:
        return False
    if assessment_digest(assessment) == assessment.approved_digest:
        return False
    _assessment_transition(
        assessment,
        to=A.IN_REVIEW,
        actor=actor,
        reason=f"approval revoked: {reason}",
        approved_at=None,
        approved_until=None,
        approved_digest="",
    )
    vendor = assessment.vendor
    still_approved = vendor.assessments.filter(status=A.APPROVED).exclude(pk=assessment.pk)
    if vendor.status == V.APPROVED and not still_approved.exists():
        vendor_set_status(
            vendor=vendor, to=V.UNDER_REVIEW, actor=actor, reason=f"{assessment}: {reason}"
        )
    return True


def _check_open_for_review(assessment: Assessment) -> None:
    if assessment.status not in (A.IN_REVIEW, A.APPROVED):
        raise DomainError(
            f"{assessment} is {assessment.get_status_display().lower()}; open a new assessment."
        )


def _response_transition(
    response: Response, *, to: str, actor: Any, reason: str, updates: dict | None = None
):
    return transition(
        response,
        to=to,
        actor=actor,
        reason=reason,
        history=ResponseTransition,
        subject_field="response",
        extra_updates=updates,
    )


@audited
@transaction.atomic
def response_set_verdict(
    *,
    response: Response,
    status: str,
    actor: Any,
    reason: str = "",
    comment: str = "",
    expires_on: date | None = None,
) -> Response:
    """Set the verdict on one checklist item; only the item's owner role (or an admin) may."""
    require(actor, "vendors.change_response", response)
    assessment = _lock_assessment(response.assessment)
    _check_open_for_review(assessment)
    response = Response.objects.select_for_update().select_related("item").get(pk=response.pk)
    item = response.item
    today = timezone.localdate()
    if status not in Response.VERDICTS:
        raise DomainError(
            {
                "status": "A verdict is satisfied, not satisfied or not applicable; exceptions "
                "and re-review have their own steps."
            }
        )
    if status == R.NOT_APPLICABLE and not reason.strip():
        raise DomainError({"reason": f"Say why {item.title} does not apply."})
    if status == R.SATISFIED and item.evidence_required and not response.evidence.exists():
        raise DomainError(
            {"status": f"{item.title} needs at least one evidence file before it is satisfied."}
        )
    latest = today + timedelta(days=item.rereview_days)
    if expires_on is None:
        expires_on = latest
    elif not today < expires_on <= latest:
        raise DomainError(
            {
                "expires_on": f"The verdict must expire after today and at the latest on "
                f"{latest.isoformat()} ({item.rereview_days}-day re-review interval)."
            }
        )
    _response_transition(
        response,
        to=status,
        actor=actor,
        reason=reason or comment,
        updates={
            "reason": reason.strip() if status == R.NOT_APPLICABLE else "",
            "comment": comment,
            "verdict_by": actor,
            "verdict_at": timezone.now(),
            "expires_on": expires_on,
        },
    )
    _revoke_if_signed_content_changed(
        assessment, actor=actor, reason=f"verdict on {item.code} changed"
    )
    return response


@audited
@transaction.atomic
def evidence_add(
    *, response: Response, uploaded_file: Any, actor: Any, description: str = ""
) -> Evidence:
    """Attach a file to a response after checking its type by content, its size and hash."""
    require(actor, "vendors.add_evidence")
    require(actor, "vendors.change_response", response)
    assessment = _lock_assessment(response.assessment)
    _check_open_for_review(assessment)
    kind, size, sha256 = check_evidence_file(
        name=uploaded_file.name,
        fileobj=uploaded_file,
        max_bytes=settings.TOLLGATE_EVIDENCE_MAX_BYTES,
    )
    evidence = Evidence(
        response=response,
        original_name=uploaded_file.name.rsplit("/", 1)[-1][:255],
        kind=kind,
        size=size,
        sha256=sha256,
        description=description,
        uploaded_by=actor,
    )
    evidence.full_clean(exclude=["file"])
    # Written to storage only now that every check passed; removed again if the row is not.
    evidence.file.save(uploaded_file.name, uploaded_file, save=False)
    try:
        evidence.save()
    except Exception:
        evidence.file.delete(save=False)
        raise
    _revoke_if_signed_content_changed(
        assessment, actor=actor, reason=f"evidence added to {response.item.code}"
    )
    return evidence


def _exception_transition(exception: RiskException, *, to: str, actor: Any, reason: str):
    return transition(
        exception,
        to=to,
        actor=actor,
        reason=reason,
        history=ExceptionTransition,
        subject_field="exception",
    )


@audited
@transaction.atomic
def exception_grant(
    *,
    response: Response,
    justification: str,
    compensating_controls: str,
    expires_on: date,
    actor: Any,
) -> RiskException:
    """Accept the risk of a not-satisfied item until a date at most 180 days ahead."""
    require(actor, "vendors.add_riskexception", response)
    assessment = _lock_assessment(response.assessment)
    _check_open_for_review(assessment)
    response = Response.objects.select_for_update().select_related("item").get(pk=response.pk)
    if response.status != R.NOT_SATISFIED:
        raise DomainError(
            {
                "response": f"Only a not-satisfied item can be excepted; {response.item.title} is "
                f"{response.get_status_display().lower()}."
            }
        )
    if not justification.strip():
        raise DomainError({"justification": "Say why this risk is accepted."})
    if not compensating_controls.strip():
        raise DomainError(
            {"compensating_controls": "Name the controls that compensate for the gap."}
        )
    today = timezone.localdate()
    latest = today + timedelta(days=RiskException.MAX_DAYS)
    if not today < expires_on <= latest:
        raise DomainError(
            {
                "expires_on": f"An exception must expire after today and at the latest on "
                f"{latest.isoformat()} ({RiskException.MAX_DAYS} days)."
            }
        )
    exception = save_validated(
        RiskException(
            response=response,
            justification=justification.strip(),
            compensating_controls=compensating_controls.strip(),
            approver=actor,
            expires_on=expires_on,
        )
    )
    _response_transition(
        response, to=R.EXCEPTED, actor=actor, reason=f"exception until {expires_on}"
    )
    _revoke_if_signed_content_changed(
        assessment, actor=actor, reason=f"exception granted on {response.item.code}"
    )
    return exception


@audited
@transaction.atomic
def exception_revoke(*, exception: RiskException, actor: Any, reason: str) -> RiskException:
    """Withdraw a risk acceptance; the item is not satisfied again."""
    require(actor, "vendors.change_riskexception", exception)
    if not reason.strip():
        raise DomainError({"reason": "Say why the exception is revoked."})
    exception = RiskException.objects.select_for_update().get(pk=exception.pk)
    _exception_transition(exception, to=E.REVOKED, actor=actor, reason=reason)
    response = exception.response
    if response.status == R.EXCEPTED:
        _response_transition(response, to=R.NOT_SATISFIED, actor=actor, reason=reason)
    _revoke_if_signed_content_changed(
        response.assessment, actor=actor, reason=f"exception on {response.item.code} revoked"
    )
    return exception
