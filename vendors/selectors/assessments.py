"""Reads of a vendor review: applicability, responses, signed content and gaps.

assessment_gaps is the checklist half of when an assessment may be approved; the
sign-off half is governance/selectors/signoffs.py.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from vendors.choices import (
    AppliesTo,
    ExceptionStatus,
    HostingModel,
    ResponseStatus,
)
from vendors.kit.canonical import digest
from vendors.kit.files import FileCheck, stored_file_check
from vendors.models import (
    Assessment,
    ChecklistItem,
    Evidence,
    Offering,
    Response,
    RiskException,
    Vendor,
)

R = ResponseStatus


def applicable_items(*, vendor: Vendor, offering: Offering | None) -> QuerySet[ChecklistItem]:
    """Active checklist items that apply to a review of this vendor (or offering)."""
    if offering is not None:
        agentic = offering.agentic
    else:
        agentic = vendor.offerings.filter(agentic=True).exists()
    scopes = [AppliesTo.ALL]
    if agentic:
        scopes.append(AppliesTo.AGENTIC)
    if vendor.hosting_model == HostingModel.ON_PREM:
        scopes.append(AppliesTo.ON_PREM)
    else:
        scopes.append(AppliesTo.CLOUD)
    return ChecklistItem.objects.filter(active=True, applies_to__in=scopes)


def assessment_responses(assessment: Assessment) -> QuerySet[Response]:
    """An assessment's responses with their item, evidence and active exception loaded:
    prefetched for a list of assessments (assessment_canonical_prefetch), else three queries."""
    if "responses" in getattr(assessment, "_prefetched_objects_cache", {}):
        return assessment.responses.all()
    return _responses_loaded(assessment.responses.all())


def assessment_canonical_prefetch() -> Prefetch:
    """What assessment_canonical reads, for many assessments at once (a fixed few queries)."""
    return Prefetch("responses", queryset=_responses_loaded(Response.objects.all()))


def _responses_loaded(responses: QuerySet[Response]) -> QuerySet[Response]:
    return (
        responses.select_related("item")
        .prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.order_by("sha256")),
            Prefetch(
                "exceptions",
                queryset=RiskException.objects.filter(status=ExceptionStatus.ACTIVE),
                to_attr="active_exceptions",
            ),
        )
        .order_by("item__position", "item__code")
    )


def assessment_canonical(assessment: Assessment) -> dict:
    """The content a sign-off covers: every verdict, its evidence hashes and exceptions."""
    return {
        "kind": "assessment",
        "id": assessment.pk,
        "vendor": assessment.vendor.slug,
        "offering": assessment.offering.name if assessment.offering_id else None,
        "responses": [
            {
                "item": r.item.code,
                "status": r.status,
                "reason": r.reason,
                "comment": r.comment,
                "expires_on": r.expires_on.isoformat() if r.expires_on else None,
                "evidence": [e.sha256 for e in r.evidence.all()],
                "exceptions": [
                    {"id": x.pk, "expires_on": x.expires_on.isoformat()}
                    for x in r.active_exceptions
                ],
            }
            for r in assessment_responses(assessment)
        ],
    }


def assessment_digest(assessment: Assessment) -> str:
    """SHA-256 of the assessment's canonical content."""
    return digest(assessment_canonical(assessment))


@dataclass(frozen=True)
class Gap:
    """A mandatory item that blocks approval, and why, in plain words."""

    item_code: str
    item_title: str
    problem: str

    def __str__(self) -> str:
        return f"{self.item_title} ({self.item_code}): {self.problem}"


def _response_gap(response: Response, today: date) -> str | None:
    """Why this response blocks approval, or None when it does not."""
    status = response.status
    if status == R.OPEN:
        return "no verdict yet"
    if status == R.NEEDS_REVIEW:
        return "needs review"
    if status == R.NOT_SATISFIED:
        return "not satisfied and no active exception"
    if response.expires_on is not None and response.expires_on < today:
        return f"verdict expired on {response.expires_on.isoformat()}"
    if status == R.SATISFIED and response.item.evidence_required and not response.evidence.all():
        return "satisfied without the required evidence"
    if status == R.NOT_APPLICABLE and not response.reason.strip():
        return "not applicable without a reason"
    if status == R.EXCEPTED:
        live = [x for x in response.active_exceptions if x.expires_on >= today]
        if not live:
            return "the exception has expired"
    return None


def assessment_gaps(assessment: Assessment, *, today: date | None = None) -> list[Gap]:
    """Every mandatory item that blocks approval, in checklist order."""
    today = today or timezone.localdate()
    gaps = []
    for response in assessment_responses(assessment):
        if not response.item.mandatory:
            continue
        problem = _response_gap(response, today)
        if problem:
            gaps.append(Gap(response.item.code, response.item.title, problem))
    return gaps


def assessment_earliest_expiry(assessment: Assessment) -> date | None:
    """The first day on which some verdict or exception of the assessment lapses."""
    dates = []
    for response in assessment_responses(assessment):
        if response.expires_on:
            dates.append(response.expires_on)
        dates.extend(x.expires_on for x in response.active_exceptions)
    return min(dates) if dates else None


def assessment_list() -> QuerySet[Assessment]:
    """Assessments with counts of responses needing attention."""
    return Assessment.objects.select_related("vendor", "offering", "opened_by").annotate(
        needs_review_count=Count("responses", filter=Q(responses__status=R.NEEDS_REVIEW)),
    )


def evidence_file_check(evidence: Evidence) -> FileCheck:
    """An evidence file in storage against its SHA-256 from upload: verified, changed, missing."""
    return stored_file_check(
        storage=evidence.file.storage, name=evidence.file.name, sha256=evidence.sha256
    )
