"""Audited-benefit writes: finance records a saving with its evidence, then signs it."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from governance.choices import BenefitStatus, Decision, ReviewScope, SubjectKind
from governance.models import AuditedBenefit, BenefitTransition, Pilot
from governance.selectors.signoffs import signoff_problems, subject_digest
from governance.services.signoffs import signoff_record
from vendors.filetypes import check_evidence_file
from vendors.kit.audit import audited
from vendors.kit.errors import DomainError
from vendors.kit.services import require
from vendors.kit.transitions import transition
from vendors.models import Offering


@audited
@transaction.atomic
def benefit_record(
    *,
    actor: Any,
    category: str,
    amount: Decimal,
    period_start: date,
    period_end: date,
    description: str,
    evidence: Any,
    pilot: Pilot | None = None,
    offering: Offering | None = None,
    currency: str = "USD",
) -> AuditedBenefit:
    """Record an audited saving for a pilot or a program with its evidence file (checked by
    content, hashed, stored through the storage API); it counts once finance signs it."""
    require(actor, "governance.add_auditedbenefit")
    if (pilot is None) == (offering is None):
        raise DomainError({"pilot": "Name the pilot, or the offering whose program it is."})
    if period_end and period_end > timezone.localdate():
        raise DomainError(
            {"period_end": f"The period ends on {period_end}, after today: audit it once over."}
        )
    if evidence is None:
        raise DomainError({"evidence": "Attach the evidence of the audit."})
    _kind, _size, sha256 = check_evidence_file(
        name=evidence.name, fileobj=evidence, max_bytes=settings.TOLLGATE_EVIDENCE_MAX_BYTES
    )
    benefit = AuditedBenefit(
        scope=ReviewScope.PILOT if pilot is not None else ReviewScope.PROGRAM,
        pilot=pilot,
        offering=offering,
        category=category,
        amount=amount,
        currency=currency,
        period_start=period_start,
        period_end=period_end,
        description=(description or "").strip(),
        evidence_name=evidence.name.rsplit("/", 1)[-1][:255],
        sha256=sha256,
        recorded_by=actor,
    )
    benefit.full_clean(exclude=["evidence"])
    # Written to storage only once every check passed; removed again if the row is not.
    benefit.evidence.save(evidence.name, evidence, save=False)
    try:
        benefit.save()
    except Exception:
        benefit.evidence.delete(save=False)
        raise
    return benefit


@audited
@transaction.atomic
def benefit_sign(
    *, benefit: AuditedBenefit, actor: Any, decision: str, comment: str = ""
) -> AuditedBenefit:
    """Finance signs a recorded benefit; an approving sign-off on its current content seals it
    and from then on it enters the audited case of the ROI."""
    benefit = AuditedBenefit.objects.select_for_update().get(pk=benefit.pk)
    if benefit.status != BenefitStatus.RECORDED:
        raise DomainError("This audited benefit is already signed.")
    signoff_record(
        kind=SubjectKind.AUDITED_BENEFIT,
        subject=benefit,
        role="finance",
        decision=decision,
        actor=actor,
        comment=comment,
    )
    if decision != Decision.APPROVE:
        return benefit
    current = subject_digest(kind=SubjectKind.AUDITED_BENEFIT, subject=benefit)
    if signoff_problems(kind=SubjectKind.AUDITED_BENEFIT, subject=benefit, current_digest=current):
        return benefit
    return transition(
        benefit,
        to=BenefitStatus.SIGNED,
        actor=actor,
        reason="finance signed the audited benefit",
        history=BenefitTransition,
        subject_field="benefit",
        extra_updates={"signed_at": timezone.now()},
    )
