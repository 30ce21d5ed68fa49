"""Writes to a vendor's sub-processors: importing its published list, settling its changes.

A new sub-processor or a new country moves customer data somewhere the data-residency verdict
never judged: the verdict goes back to needs review in the vendor's live assessments (which
revokes a signed approval), legal and security are told, and the gateway's shortlist check
names the change until someone settles it. A removal widens nothing and is recorded settled.
"""

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from vendors.choices import Role, SubProcessorChangeKind
from vendors.kit.errors import DomainError
from vendors.kit.services import require, save_validated
from vendors.models import SubProcessor, SubProcessorChange, Vendor
from vendors.services.notifications import notify_role
from vendors.services.rereview import rereview_open
from vendors.subprocessor_files import SubProcessorRow

K = SubProcessorChangeKind
RESIDENCY = "data-residency"


@transaction.atomic
def subprocessors_import(
    *,
    vendor: Vendor,
    rows: list[SubProcessorRow],
    source: str,
    actor: Any,
    today: date | None = None,
) -> list[SubProcessorChange]:
    """Bring a vendor's sub-processors in line with its published list; return the changes."""
    require(actor, "vendors.add_subprocessor")
    today = today or timezone.localdate()
    # Lock the vendor so two imports of its list cannot both add the same sub-processor.
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    current = {s.name.casefold(): s for s in vendor.subprocessors.filter(removed_on__isnull=True)}
    changes: list[SubProcessorChange] = []
    for row in rows:
        existing = current.pop(row.name.casefold(), None)
        if existing is None:
            sub = save_validated(
                SubProcessor(
                    vendor=vendor,
                    name=row.name,
                    purpose=row.purpose,
                    countries=list(row.countries),
                    data_categories=list(row.data_categories),
                    source=source,
                    first_seen_on=today,
                )
            )
            changes.append(
                _change(
                    sub, K.ADDED, f"{row.name} added ({', '.join(row.countries)}): {row.purpose}"
                )
            )
            continue
        added = sorted(set(row.countries) - set(existing.countries))
        existing.purpose = row.purpose
        existing.countries = list(row.countries)
        existing.data_categories = list(row.data_categories)
        existing.source = source
        save_validated(existing)
        if added:
            changes.append(
                _change(existing, K.NEW_COUNTRY, f"{row.name} now also in {', '.join(added)}")
            )
    for gone in current.values():
        gone.removed_on = today
        save_validated(gone)
        changes.append(
            _change(
                gone,
                K.REMOVED,
                f"{gone.name} removed",
                settled_note="A removal sends data nowhere new.",
                actor=actor,
            )
        )
    opening = [c for c in changes if c.settled_at is None]
    if opening:
        _reopen_residency(vendor, opening, actor=actor)
    return changes


def _change(
    sub: SubProcessor, kind: str, detail: str, *, settled_note: str = "", actor: Any = None
) -> SubProcessorChange:
    return save_validated(
        SubProcessorChange(
            vendor=sub.vendor,
            subprocessor=sub,
            kind=kind,
            detail=detail[:500],
            settled_at=timezone.now() if settled_note else None,
            settled_by=actor if settled_note else None,
            settle_note=settled_note,
        )
    )


def _reopen_residency(vendor: Vendor, changes: list[SubProcessorChange], *, actor: Any) -> None:
    """Send the data-residency verdict back to review in every live assessment, and tell people."""
    what = "; ".join(c.detail for c in changes)
    rereview_open(
        vendor=vendor, item_codes=[RESIDENCY], reason=f"sub-processors: {what}", actor=actor
    )
    for role in (Role.LEGAL, Role.SECURITY):
        notify_role(
            role=role,
            # The change suspends the vendor's shortlist entry until residency is reviewed again.
            kind="shortlist",
            title=f"{vendor.name}: sub-processors changed, data residency needs review",
            body=f"{what}. The data-residency verdict of {vendor.name}'s live assessments needs "
            "review, and the gateway check names the change until it is settled.",
        )


@transaction.atomic
def subprocessor_change_settle(
    *, change: SubProcessorChange, actor: Any, note: str
) -> SubProcessorChange:
    """Record that a change was reviewed (data residency judged again), with how."""
    require(actor, "vendors.change_subprocessorchange", change)
    change = SubProcessorChange.objects.select_for_update().get(pk=change.pk)
    if change.settled_at is not None:
        raise DomainError({"change": "This change is already settled."})
    if not note.strip():
        raise DomainError({"settle_note": "Say how the change was settled."})
    change.settled_at = timezone.now()
    change.settled_by = actor
    change.settle_note = note.strip()
    return save_validated(change)
