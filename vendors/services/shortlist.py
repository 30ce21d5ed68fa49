"""Writes to shortlist drafts; publication needs sign-offs and lives in
governance/services/signoffs.py (shortlist_publish), which calls
shortlist_mark_published here.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from vendors.choices import (
    ShortlistStatus,
)
from vendors.kit.audit import audited
from vendors.kit.errors import ConflictError, DomainError
from vendors.kit.services import require, save_validated
from vendors.kit.transitions import transition
from vendors.models import (
    ShortlistEntry,
    ShortlistTransition,
    ShortlistVersion,
    Vendor,
)


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
        raise DomainError(f"{version} is not a draft; start a new draft to change it.")


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
        raise DomainError({"offering": f"{offering} is not an offering of {vendor}."})
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
    from vendors.kit.canonical import digest as digest_of
    from vendors.selectors.shortlist import shortlist_canonical

    version = ShortlistVersion.objects.select_for_update().get(pk=version.pk)
    if digest_of(shortlist_canonical(version)) != digest:
        raise DomainError("The draft changed after it was signed; sign it again.")
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
        # The loser of two concurrent publishes: HTTP 409, as for every lost race.
        raise ConflictError(
            "Another shortlist version was published at the same moment; reload and retry."
        ) from error
    return version
