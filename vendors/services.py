"""Writes to the vendor registry: keyword-only, validated, permission-checked, audited.

Every entry point (admin, pages, API, tasks) calls these, so the rules below are enforced
once. Approval itself needs sign-offs and lives in governance (assessment_approve), which
calls assessment_mark_approved here.
"""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from vendors import selectors
from vendors.audit import audited
from vendors.choices import (
    AssessmentStatus,
    ExceptionStatus,
    ResponseStatus,
    Role,
    ShortlistStatus,
    VendorStatus,
)
from vendors.errors import VendorRuleError
from vendors.filetypes import check_evidence_file
from vendors.models import (
    Assessment,
    AssessmentTransition,
    ChecklistItem,
    Evidence,
    ExceptionTransition,
    ExpiryReminder,
    ModelVersion,
    Offering,
    Response,
    ResponseTransition,
    RiskException,
    ShortlistEntry,
    ShortlistTransition,
    ShortlistVersion,
    Vendor,
    VendorTransition,
)
from vendors.servicekit import require, save_validated
from vendors.workflow import transition

A = AssessmentStatus
R = ResponseStatus
E = ExceptionStatus
V = VendorStatus

VENDOR_EDITABLE_FIELDS = ("name", "slug", "hosting_model", "data_regions", "website", "notes")
REMINDER_DAYS = (30, 7)


# --- vendors ------------------------------------------------------------------------------


@transaction.atomic
def vendor_create(*, name: str, slug: str, hosting_model: str, **fields: Any) -> Vendor:
    """Register a vendor after full validation."""
    return save_validated(Vendor(name=name, slug=slug, hosting_model=hosting_model, **fields))


@transaction.atomic
def vendor_update(*, vendor: Vendor, **fields: Any) -> Vendor:
    """Change a vendor's descriptive fields (status moves through vendor_set_status)."""
    unknown = set(fields) - set(VENDOR_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"vendor_update cannot set {sorted(unknown)}")
    for name, value in fields.items():
        setattr(vendor, name, value)
    return save_validated(vendor)


@transaction.atomic
def vendor_delete(*, vendor: Vendor) -> None:
    """Delete a vendor that nothing refers to yet (reviewed vendors are retired instead)."""
    if vendor.assessments.exists() or vendor.offerings.exists() or vendor.model_versions.exists():
        raise VendorRuleError(
            f"{vendor} has offerings, model versions or assessments; retire it instead."
        )
    vendor.delete()


@audited
@transaction.atomic
def vendor_set_status(
    *, vendor: Vendor, to: str, actor: Any, reason: str = "", approved_until: date | None = None
) -> Vendor:
    """The one entry point for a vendor's procurement status."""
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    was_approved = vendor.status == V.APPROVED
    transition(
        vendor,
        to=to,
        actor=actor,
        reason=reason,
        history=VendorTransition,
        subject_field="vendor",
        extra_updates={"approved_until": approved_until if to == V.APPROVED else None},
    )
    if was_approved and to != V.APPROVED:
        _notify_shortlist_suspension(vendor, reason)
    return vendor


def _notify_shortlist_suspension(vendor: Vendor, reason: str) -> None:
    """Tell security when a provider on the published shortlist loses its approval."""
    entry = (
        ShortlistEntry.objects.filter(vendor=vendor, version__status=ShortlistStatus.PUBLISHED)
        .select_related("version")
        .first()
    )
    if entry is None:
        return
    _notify(
        role=Role.SECURITY,
        kind="shortlist",
        title=f"Shortlist entry suspended: {vendor.name}",
        body=f"{vendor.name} is on shortlist v{entry.version.number} but is no longer approved "
        f"({reason}). The gateway check now denies it until a new approval.",
    )


def _notify(*, role: str, kind: str, title: str, body: str) -> None:
    """Notify a role through the project's notifier (in-app list and e-mail).

    The notifier is named in settings because it lives in governance, which vendors may
    not import.
    """
    users = get_user_model().objects.filter(groups__name=role, is_active=True)
    import_string(settings.TOLLGATE_NOTIFIER)(users=users, kind=kind, title=title, body=body)


# --- offerings and model versions -----------------------------------------------------------


@transaction.atomic
def offering_create(*, vendor: Vendor, name: str, kind: str, **fields: Any) -> Offering:
    """Add a product to a vendor."""
    return save_validated(Offering(vendor=vendor, name=name, kind=kind, **fields))


@transaction.atomic
def offering_update(*, offering: Offering, **fields: Any) -> Offering:
    """Change an offering."""
    for name, value in fields.items():
        setattr(offering, name, value)
    return save_validated(offering)


@transaction.atomic
def model_version_create(*, vendor: Vendor, family: str, version: str, **fields: Any):
    """Add a model version to the catalog."""
    return save_validated(ModelVersion(vendor=vendor, family=family, version=version, **fields))


@transaction.atomic
def model_version_update(*, model_version: ModelVersion, **fields: Any) -> ModelVersion:
    """Change a model version (prices, dates, status, rollback)."""
    for name, value in fields.items():
        setattr(model_version, name, value)
    return save_validated(model_version)


# --- checklist ----------------------------------------------------------------------------


@transaction.atomic
def checklist_item_create(**fields: Any) -> ChecklistItem:
    """Add an item to the checklist template."""
    return save_validated(ChecklistItem(**fields))


@transaction.atomic
def checklist_item_update(*, item: ChecklistItem, **fields: Any) -> ChecklistItem:
    """Change a checklist item; open assessments keep the responses they have."""
    for name, value in fields.items():
        setattr(item, name, value)
    return save_validated(item)


@transaction.atomic
def checklist_item_retire(*, item: ChecklistItem) -> ChecklistItem:
    """Retire an item: it stops applying to assessments opened from now on."""
    item.active = False
    return save_validated(item)


# --- assessments --------------------------------------------------------------------------


@audited
@transaction.atomic
def assessment_open(
    *, vendor: Vendor, actor: Any, offering: Offering | None = None, notes: str = ""
) -> Assessment:
    """Open a review round: one open response per applicable active checklist item."""
    require(actor, "vendors.add_assessment")
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    if offering is not None and offering.vendor_id != vendor.pk:
        raise VendorRuleError({"offering": f"{offering} is not an offering of {vendor}."})
    if vendor.status == V.RETIRED:
        raise VendorRuleError({"vendor": f"{vendor} is retired and cannot be assessed."})
    assessment = save_validated(
        Assessment(vendor=vendor, offering=offering, notes=notes, opened_by=actor)
    )
    items = selectors.applicable_items(vendor=vendor, offering=offering)
    Response.objects.bulk_create(Response(assessment=assessment, item=item) for item in items)
    if vendor.status in (V.PROSPECT, V.SUSPENDED):
        vendor_set_status(
            vendor=vendor, to=V.UNDER_REVIEW, actor=actor, reason=f"{assessment} opened"
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
    if selectors.assessment_digest(assessment) != digest:
        raise VendorRuleError("The assessment changed after it was signed; sign it again.")
    until = selectors.assessment_earliest_expiry(assessment)
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
    return assessment


@audited
@transaction.atomic
def assessment_reject(*, assessment: Assessment, actor: Any, reason: str) -> Assessment:
    """Close a review round as rejected."""
    require(actor, "vendors.approve_assessment", assessment)
    if not reason.strip():
        raise VendorRuleError({"reason": "Say why the assessment is rejected."})
    assessment = _lock_assessment(assessment)
    return _assessment_transition(assessment, to=A.REJECTED, actor=actor, reason=reason)


def _revoke_if_signed_content_changed(assessment: Assessment, *, actor: Any, reason: str) -> bool:
    """Revoke an approval whose signed digest no longer matches the content."""
    assessment = _lock_assessment(assessment)
    if assessment.status != A.APPROVED:
        return False
    if selectors.assessment_digest(assessment) == assessment.approved_digest:
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
        raise VendorRuleError(
            f"{assessment} is {assessment.get_status_display().lower()}; open a new assessment."
        )


# --- responses ----------------------------------------------------------------------------


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
        raise VendorRuleError(
            {
                "status": "A verdict is satisfied, not satisfied or not applicable; exceptions "
                "and re-review have their own steps."
            }
        )
    if status == R.NOT_APPLICABLE and not reason.strip():
        raise VendorRuleError({"reason": f"Say why {item.title} does not apply."})
    if status == R.SATISFIED and item.evidence_required and not response.evidence.exists():
        raise VendorRuleError(
            {"status": f"{item.title} needs at least one evidence file before it is satisfied."}
        )
    latest = today + timedelta(days=item.rereview_days)
    if expires_on is None:
        expires_on = latest
    elif not today < expires_on <= latest:
        raise VendorRuleError(
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


# --- evidence -----------------------------------------------------------------------------


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


# --- exceptions ---------------------------------------------------------------------------


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
        raise VendorRuleError(
            {
                "response": f"Only a not-satisfied item can be excepted; {response.item.title} is "
                f"{response.get_status_display().lower()}."
            }
        )
    if not justification.strip():
        raise VendorRuleError({"justification": "Say why this risk is accepted."})
    if not compensating_controls.strip():
        raise VendorRuleError(
            {"compensating_controls": "Name the controls that compensate for the gap."}
        )
    today = timezone.localdate()
    latest = today + timedelta(days=RiskException.MAX_DAYS)
    if not today < expires_on <= latest:
        raise VendorRuleError(
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
        raise VendorRuleError({"reason": "Say why the exception is revoked."})
    exception = RiskException.objects.select_for_update().get(pk=exception.pk)
    _exception_transition(exception, to=E.REVOKED, actor=actor, reason=reason)
    response = exception.response
    if response.status == R.EXCEPTED:
        _response_transition(response, to=R.NOT_SATISFIED, actor=actor, reason=reason)
    _revoke_if_signed_content_changed(
        response.assessment, actor=actor, reason=f"exception on {response.item.code} revoked"
    )
    return exception


# --- re-review ----------------------------------------------------------------------------


def _notify_owners(response: Response, due_on: date, days_before: int) -> None:
    """Remind the item's owner role of a verdict or exception about to lapse."""
    assessment = response.assessment
    _notify(
        role=response.item.owner_role,
        kind="expiry",
        title=f"{response.item.title} for {assessment.vendor} lapses on {due_on}",
        body=f'The {response.get_status_display().lower()} verdict on "{response.item.title}" '
        f"in {assessment} lapses in {days_before} days, on {due_on.isoformat()}. Review it "
        "before then, or it will need review and the vendor's approval will lapse.",
    )


@transaction.atomic
def rereview_sweep(*, today: date | None = None) -> dict[str, int]:
    """Flip lapsed verdicts and exceptions to needs review and send 30/7-day reminders.

    Idempotent: run daily by Celery beat, and safe to run again the same day.
    """
    today = today or timezone.localdate()
    counts = {"exceptions_expired": 0, "responses_flagged": 0, "reminders_sent": 0}
    touched: dict[int, Assessment] = {}

    for exception in (
        RiskException.objects.select_for_update()
        .filter(status=E.ACTIVE, expires_on__lt=today)
        .select_related("response__assessment", "response__item")
    ):
        _exception_transition(exception, to=E.EXPIRED, actor=None, reason="expired")
        response = exception.response
        if response.status == R.EXCEPTED:
            _response_transition(
                response, to=R.NEEDS_REVIEW, actor=None, reason="exception expired"
            )
            counts["responses_flagged"] += 1
        counts["exceptions_expired"] += 1
        touched[response.assessment_id] = response.assessment

    live = [A.IN_REVIEW, A.APPROVED]
    lapsed = (
        Response.objects.select_for_update()
        .filter(
            status__in=[R.SATISFIED, R.NOT_SATISFIED, R.NOT_APPLICABLE],
            expires_on__lt=today,
            assessment__status__in=live,
        )
        .select_related("assessment", "item")
    )
    for response in lapsed:
        _response_transition(
            response,
            to=R.NEEDS_REVIEW,
            actor=None,
            reason=f"verdict lapsed on {response.expires_on}",
        )
        counts["responses_flagged"] += 1
        touched[response.assessment_id] = response.assessment

    for assessment in touched.values():
        _revoke_if_signed_content_changed(assessment, actor=None, reason="re-review due")

    counts["reminders_sent"] = _send_reminders(today=today, live_statuses=live)
    return counts


def _send_reminders(*, today: date, live_statuses: list[str]) -> int:
    sent = 0
    horizon = today + timedelta(days=max(REMINDER_DAYS))
    due = []
    for response in Response.objects.filter(
        assessment__status__in=live_statuses,
        status__in=[R.SATISFIED, R.NOT_APPLICABLE, R.NOT_SATISFIED],
        expires_on__gte=today,
        expires_on__lte=horizon,
    ).select_related("assessment__vendor", "item"):
        due.append((response, response.expires_on))
    for exception in RiskException.objects.filter(
        status=E.ACTIVE, expires_on__gte=today, expires_on__lte=horizon
    ).select_related("response__assessment__vendor", "response__item"):
        due.append((exception.response, exception.expires_on))

    for response, due_on in due:
        remaining = (due_on - today).days
        # The smallest threshold already reached; a missed 30-day run is caught up later,
        # but once the 7-day reminder is due the 30-day one is no longer worth sending.
        reached = [d for d in sorted(REMINDER_DAYS) if remaining <= d]
        if not reached:
            continue
        _, created = ExpiryReminder.objects.get_or_create(
            response=response, due_on=due_on, days_before=reached[0]
        )
        if created:
            _notify_owners(response, due_on, remaining)
            sent += 1
    return sent


# --- shortlist ----------------------------------------------------------------------------


@audited
@transaction.atomic
def shortlist_draft_create(
    *, actor: Any, notes: str = "", copy_from: ShortlistVersion | None = None
) -> ShortlistVersion:
    """Start a new draft version, by default a copy of the published one."""
    require(actor, "vendors.add_shortlistversion")
    # Lock the newest version so two drafts cannot take the same number.
    latest = ShortlistVersion.objects.select_for_update().order_by("-number").first()
    source = copy_from or ShortlistVersion.objects.filter(status=ShortlistStatus.PUBLISHED).first()
    draft = save_validated(
        ShortlistVersion(number=(latest.number + 1) if latest else 1, notes=notes, created_by=actor)
    )
    if source is not None:
        ShortlistEntry.objects.bulk_create(
            ShortlistEntry(
                version=draft,
                vendor_id=e.vendor_id,
                offering_id=e.offering_id,
                role=e.role,
                allow_completion=e.allow_completion,
                allow_agentic=e.allow_agentic,
                notes=e.notes,
            )
            for e in source.entries.all()
        )
    return draft


def _check_draft(version: ShortlistVersion) -> None:
    if version.status != ShortlistStatus.DRAFT:
        raise VendorRuleError(f"{version} is not a draft; start a new draft to change it.")


@audited
@transaction.atomic
def shortlist_entry_add(
    *, version: ShortlistVersion, vendor: Vendor, role: str, actor: Any, **fields: Any
) -> ShortlistEntry:
    """Put a provider on a draft version."""
    require(actor, "vendors.add_shortlistentry")
    version = ShortlistVersion.objects.select_for_update().get(pk=version.pk)
    _check_draft(version)
    offering = fields.get("offering")
    if offering is not None and offering.vendor_id != vendor.pk:
        raise VendorRuleError({"offering": f"{offering} is not an offering of {vendor}."})
    return save_validated(ShortlistEntry(version=version, vendor=vendor, role=role, **fields))


@audited
@transaction.atomic
def shortlist_entry_update(*, entry: ShortlistEntry, actor: Any, **fields: Any) -> ShortlistEntry:
    """Change an entry of a draft version."""
    require(actor, "vendors.change_shortlistentry", entry)
    _check_draft(ShortlistVersion.objects.select_for_update().get(pk=entry.version_id))
    for name, value in fields.items():
        setattr(entry, name, value)
    return save_validated(entry)


@audited
@transaction.atomic
def shortlist_entry_remove(*, entry: ShortlistEntry, actor: Any) -> None:
    """Take an entry off a draft version."""
    require(actor, "vendors.delete_shortlistentry", entry)
    _check_draft(ShortlistVersion.objects.select_for_update().get(pk=entry.version_id))
    entry.delete()


@audited
@transaction.atomic
def shortlist_mark_published(
    *, version: ShortlistVersion, digest: str, actor: Any
) -> ShortlistVersion:
    """Publish a draft and supersede the current version in one transaction.

    Called by governance.shortlist_publish once policy and sign-offs are checked.
    """
    from vendors.canonical import digest as digest_of
    from vendors.shortlist import shortlist_canonical

    version = ShortlistVersion.objects.select_for_update().get(pk=version.pk)
    if digest_of(shortlist_canonical(version)) != digest:
        raise VendorRuleError("The draft changed after it was signed; sign it again.")
    # Lock the published row: a second publisher waits here, then finds it superseded.
    current = (
        ShortlistVersion.objects.select_for_update()
        .filter(status=ShortlistStatus.PUBLISHED)
        .first()
    )
    if current is not None:
        transition(
            current,
            to=ShortlistStatus.SUPERSEDED,
            actor=actor,
            reason=f"superseded by v{version.number}",
            history=ShortlistTransition,
            subject_field="version",
        )
    try:
        with transaction.atomic():
            transition(
                version,
                to=ShortlistStatus.PUBLISHED,
                actor=actor,
                reason=f"published (supersedes v{current.number})" if current else "published",
                history=ShortlistTransition,
                subject_field="version",
                extra_updates={"published_at": timezone.now(), "published_digest": digest},
            )
    except IntegrityError as error:
        raise VendorRuleError(
            "Another shortlist version was published at the same moment; reload and retry."
        ) from error
    return version
