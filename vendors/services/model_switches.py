"""Writes for model switches: record one (opening its re-review), settle it, roll a version back.

A switch is recorded once per offering and pair of versions whatever found it (gateway share,
a platform declaration, a vendor deprecation date). Recording it sends the model-dependent
checklist verdicts back to review through rereview_open, the same path a sub-processor change
takes, so the assessment shows "needs review" and its signed approval is revoked; the switch
settles when those verdicts are judged and the assessment is signed again.
"""

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from vendors.choices import AssessmentStatus, RereviewStatus, ResponseStatus, Role
from vendors.kit.audit import audited
from vendors.kit.errors import DomainError
from vendors.kit.services import require, save_validated
from vendors.kit.transitions import transition
from vendors.models import (
    Assessment,
    ChecklistItem,
    ModelRollback,
    ModelSwitch,
    ModelSwitchTransition,
    ModelVersion,
    Offering,
)
from vendors.services.notifications import notify_role
from vendors.services.rereview import rereview_open

RESIDENCY = "data-residency"
# A verdict still to be judged keeps the re-review open.
UNJUDGED = [ResponseStatus.OPEN, ResponseStatus.NEEDS_REVIEW]


def rereview_items(*, from_version: ModelVersion, to_version: ModelVersion) -> list[str]:
    """The checklist codes a switch between these versions sends back to review."""
    codes = list(
        ChecklistItem.objects.filter(active=True, model_dependent=True).values_list(
            "code", flat=True
        )
    )
    # Residency is judged on where prompts go: only a move to other regions reopens it.
    if from_version.served_regions != to_version.served_regions:
        codes.append(RESIDENCY)
    return sorted(set(codes))


@audited
@transaction.atomic
def model_switch_record(
    *,
    offering: Offering,
    from_version: ModelVersion,
    to_version: ModelVersion,
    detected_on: date,
    detected_from: str,
    detail: str,
    actor: Any = None,
) -> tuple[ModelSwitch, bool]:
    """Record a switch once (returning the existing one otherwise) and open its re-review."""
    # Two imports detecting the same switch serialise on the offering: one records it.
    Offering.objects.select_for_update().get(pk=offering.pk)
    existing = ModelSwitch.objects.filter(
        offering=offering, from_version=from_version, to_version=to_version
    ).first()
    if existing is not None:
        return existing, False
    for version in (from_version, to_version):
        if version.vendor_id != offering.vendor_id:
            raise DomainError({"to_version": f"{version} is not a model of {offering.vendor}."})
    switch = save_validated(
        ModelSwitch(
            offering=offering,
            from_version=from_version,
            to_version=to_version,
            detected_on=detected_on,
            detected_from=detected_from,
            detail=detail[:500],
            days_to_adopt=(detected_on - to_version.released_on).days,
        )
    )
    codes = rereview_items(from_version=from_version, to_version=to_version)
    reopened = rereview_open(
        vendor=offering.vendor,
        offering=offering,
        item_codes=codes,
        reason=f"model switch {from_version} → {to_version} on {detected_on}",
        actor=actor,
    )
    switch.reopened.set(reopened)
    for role in (Role.SECURITY, Role.PLATFORM):
        notify_role(
            role=role,
            kind="model_switch",
            title=f"{offering}: {from_version} → {to_version}, re-review needed",
            body=f"{detail}. The verdicts on {', '.join(codes)} need review "
            f"({len(reopened)} reopened), and the gateway check refuses {to_version} until "
            "they are judged and the assessment is signed again.",
        )
    return switch, True


def _switch_transition(switch: ModelSwitch, *, actor: Any, reason: str) -> ModelSwitch:
    return transition(
        switch,
        to=RereviewStatus.SETTLED,
        actor=actor,
        reason=reason,
        history=ModelSwitchTransition,
        subject_field="switch",
        extra_updates={"settled_at": timezone.now()},
    )


def rereview_problems(switch: ModelSwitch) -> list[str]:
    """What keeps a switch's re-review open (empty when it may be settled)."""
    problems = []
    for response in switch.reopened.select_related("assessment", "item"):
        assessment = response.assessment
        if response.status in UNJUDGED:
            problems.append(f"{response.item.title} in {assessment} is not judged again yet.")
        elif assessment.status != AssessmentStatus.APPROVED or (
            assessment.approved_at is None or assessment.approved_at < switch.created_at
        ):
            problems.append(f"{assessment} is not signed again since the switch.")
    return sorted(set(problems))


@audited
@transaction.atomic
def model_switch_settle(*, switch: ModelSwitch, actor: Any, reason: str) -> ModelSwitch:
    """Close a switch's re-review by hand (security): only once its verdicts are judged and
    signed; a switch that reopened nothing (no live assessment) needs a written reason."""
    require(actor, "vendors.change_modelswitch", switch)
    switch = ModelSwitch.objects.select_for_update().get(pk=switch.pk)
    if not reason.strip():
        raise DomainError({"reason": "Say how the re-review was settled."})
    problems = rereview_problems(switch)
    if problems:
        raise DomainError({"status": problems})
    return _switch_transition(switch, actor=actor, reason=reason.strip())


def model_switches_settle_signed(*, assessment: Assessment, actor: Any) -> list[ModelSwitch]:
    """After an assessment is signed: settle the open switches whose verdicts are all judged
    and signed again (called by assessment approval, inside its transaction)."""
    settled = []
    ids = set(
        ModelSwitch.objects.filter(
            status=RereviewStatus.OPEN, reopened__assessment=assessment
        ).values_list("pk", flat=True)
    )
    # Locked by id: PostgreSQL refuses FOR UPDATE on the join's DISTINCT.
    for switch in ModelSwitch.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        if not rereview_problems(switch):
            settled.append(
                _switch_transition(switch, actor=actor, reason=f"re-review signed in {assessment}")
            )
    return settled


@audited
@transaction.atomic
def model_version_rollback(
    *, model_version: ModelVersion, actor: Any, reason: str
) -> ModelRollback:
    """Take a version out of use: the gateway check refuses it and names its rollback target."""
    require(actor, "vendors.rollback_modelversion")
    if not reason.strip():
        raise DomainError({"reason": "Say why the version is rolled back."})
    version = ModelVersion.objects.select_for_update().get(pk=model_version.pk)
    if version.rollback_target_id is None:
        raise DomainError({"rollback_target": f"{version} names no rollback target."})
    if ModelRollback.objects.filter(model_version=version).exists():
        raise DomainError({"model_version": f"{version} is already rolled back."})
    rollback = save_validated(
        ModelRollback(
            model_version=version,
            target=version.rollback_target,
            reason=reason.strip(),
            decided_by=actor,
        )
    )
    for role in (Role.SECURITY, Role.PLATFORM):
        notify_role(
            role=role,
            kind="model_switch",
            title=f"{version} rolled back to {rollback.target}",
            body=f"{actor} rolled {version} back to {rollback.target}: "
            f"{rollback.reason.rstrip('.')}. "
            f"The gateway check now refuses {version} and names {rollback.target}.",
        )
    return rollback
