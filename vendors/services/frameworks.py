"""Loading framework versions (the only writes to frameworks, requirements and mappings).

Versioning rule: each (slug, version) is loaded once and never rewritten. Loading it again with
the same content changes nothing; with different content it is refused (publish the change as a
new version). A new version becomes the current one and the previous versions are kept, so a
packet or export made against them can still be read.
"""

from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from vendors.framework_files import FrameworkDoc, read_framework_file
from vendors.kit.services import save_validated
from vendors.models import ChecklistItem, Framework, Requirement, RequirementMapping


@dataclass(frozen=True)
class LoadResult:
    """What a load did: the framework version and whether anything was written."""

    framework: Framework
    created: bool
    requirements: int
    mappings: int


@transaction.atomic
def framework_load(*, doc: FrameworkDoc) -> LoadResult:
    """Load a framework version (idempotent); a new version becomes current, old ones stay."""
    # Lock the slug's versions so two loads of the same version cannot both create it.
    existing = {f.version: f for f in Framework.objects.select_for_update().filter(slug=doc.slug)}
    content_digest = doc.digest
    if doc.version in existing:
        framework = existing[doc.version]
        if framework.digest != content_digest:
            raise ValidationError(
                f"{doc.name} version {doc.version} is already loaded with different content; "
                "give the changed file a new version."
            )
        return LoadResult(
            framework,
            False,
            framework.requirements.count(),
            RequirementMapping.objects.filter(requirement__framework=framework).count(),
        )
    items = {
        i.code: i for i in ChecklistItem.objects.filter(code__in={m.item for m in doc.mappings})
    }
    unknown = sorted({m.item for m in doc.mappings} - items.keys())
    if unknown:
        raise ValidationError(f"Mappings name unknown checklist items: {', '.join(unknown)}.")
    Framework.objects.filter(slug=doc.slug, current=True).update(current=False)
    framework = save_validated(
        Framework(
            slug=doc.slug,
            version=doc.version,
            name=doc.name,
            publisher=doc.publisher,
            source=doc.source,
            notes=doc.notes,
            digest=content_digest,
            current=True,
        )
    )
    by_ref: dict[str, Requirement] = {}
    for position, req in enumerate(doc.requirements, start=1):
        # Parents precede their children in the file order, so they are already saved.
        by_ref[req.ref] = Requirement.objects.create(
            framework=framework,
            ref=req.ref,
            title=req.title,
            parent=by_ref[req.parent] if req.parent else None,
            assessable=req.assessable,
            position=position,
        )
    RequirementMapping.objects.bulk_create(
        RequirementMapping(
            requirement=by_ref[m.requirement],
            item=items[m.item],
            relationship=m.relationship,
            rationale=m.rationale,
        )
        for m in doc.mappings
    )
    return LoadResult(framework, True, len(doc.requirements), len(doc.mappings))


SHIPPED_DIR = Path(__file__).resolve().parent.parent / "frameworks"


def frameworks_load_shipped() -> list[LoadResult]:
    """Load every framework file shipped in vendors/frameworks/ (idempotent)."""
    return [
        framework_load(doc=read_framework_file(path)) for path in sorted(SHIPPED_DIR.glob("*.json"))
    ]
