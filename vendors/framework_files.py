"""Reading framework files (no ORM): Tollgate's own JSON format and NIST OSCAL catalogs.

Tollgate format (vendors/frameworks/*.json):
    {"framework": {"slug", "version", "name", "publisher", "notes"},
     "requirements": [{"id", "title", "assessable"?, "children"?: [...]}],
     "mappings": [{"item", "requirement", "relationship", "rationale"}]}
A node with children is a heading (not assessable) unless it says otherwise.

OSCAL (https://pages.nist.gov/OSCAL/ catalog model): catalog -> groups -> controls ->
controls, each with id, title and props; groups become headings, controls requirements, the
"label" prop (e.g. AC-2(1)) is the id shown, withdrawn controls are left out. A catalog carries
no mapping to the checklist.
"""

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vendors.choices import FrameworkSource, MappingRelationship
from vendors.kit.canonical import digest

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class FrameworkFileError(ValueError):
    """A framework file that cannot be loaded, with the problem in plain words."""


@dataclass(frozen=True)
class RequirementDoc:
    """One node of the tree as read from a file."""

    ref: str
    title: str
    parent: str | None
    assessable: bool


@dataclass(frozen=True)
class MappingDoc:
    """One checklist item's claim on a requirement, as read from a file."""

    item: str
    requirement: str
    relationship: str
    rationale: str


@dataclass(frozen=True)
class FrameworkDoc:
    """A framework version as read from a file, before it touches the database."""

    slug: str
    version: str
    name: str
    publisher: str
    source: str
    notes: str
    requirements: list[RequirementDoc] = field(default_factory=list)
    mappings: list[MappingDoc] = field(default_factory=list)

    @property
    def digest(self) -> str:
        """SHA-256 of the content: the same file loaded twice has the same digest."""
        return digest(asdict(self))


def read_framework_file(path: Path | str, *, slug: str | None = None) -> FrameworkDoc:
    """Read a Tollgate framework file or an OSCAL catalog (told apart by their top-level key)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise FrameworkFileError(f"Cannot read {path}: {error}") from error
    except json.JSONDecodeError as error:
        raise FrameworkFileError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise FrameworkFileError("A framework file is a JSON object.")
    if "catalog" in data:
        return parse_oscal_catalog(data, slug=slug)
    return parse_tollgate_framework(data)


def _text(node: dict, key: str, where: str, *, required: bool = True) -> str:
    value = node.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise FrameworkFileError(f"{where}: '{key}' must be a non-empty string.")
    return value.strip()


def _check(doc: FrameworkDoc) -> FrameworkDoc:
    if not SLUG.match(doc.slug):
        raise FrameworkFileError(
            f"Framework slug '{doc.slug}' must be lowercase letters, digits and hyphens."
        )
    seen: set[str] = set()
    for req in doc.requirements:
        if req.ref in seen:
            raise FrameworkFileError(f"Requirement id {req.ref} appears twice.")
        seen.add(req.ref)
    if not doc.requirements:
        raise FrameworkFileError("The framework has no requirements.")
    assessable = {r.ref for r in doc.requirements if r.assessable}
    pairs: set[tuple[str, str]] = set()
    for m in doc.mappings:
        if m.requirement not in seen:
            raise FrameworkFileError(
                f"Mapping of {m.item} names unknown requirement {m.requirement}."
            )
        if m.requirement not in assessable:
            raise FrameworkFileError(
                f"Mapping of {m.item} names {m.requirement}, a heading; map its requirements."
            )
        if m.relationship not in MappingRelationship.values:
            raise FrameworkFileError(
                f"Mapping of {m.item} to {m.requirement}: relationship '{m.relationship}' is not "
                f"one of {', '.join(MappingRelationship.values)}."
            )
        if (m.item, m.requirement) in pairs:
            raise FrameworkFileError(f"{m.item} is mapped to {m.requirement} twice.")
        pairs.add((m.item, m.requirement))
    return doc


def parse_tollgate_framework(data: dict) -> FrameworkDoc:
    """A Tollgate framework file's content as a FrameworkDoc (checked, not yet loaded)."""
    meta = data.get("framework")
    if not isinstance(meta, dict):
        raise FrameworkFileError("A framework file needs a 'framework' object.")
    requirements: list[RequirementDoc] = []

    def walk(nodes: object, parent: str | None) -> None:
        if not isinstance(nodes, list):
            raise FrameworkFileError(f"Children of {parent or 'the root'} must be a list.")
        for node in nodes:
            if not isinstance(node, dict):
                raise FrameworkFileError(
                    f"A requirement under {parent or 'the root'} is not an object."
                )
            ref = _text(node, "id", f"requirement under {parent or 'the root'}")
            children = node.get("children", [])
            assessable = node.get("assessable", not children)
            if not isinstance(assessable, bool):
                raise FrameworkFileError(f"{ref}: 'assessable' must be true or false.")
            requirements.append(
                RequirementDoc(ref, _text(node, "title", f"requirement {ref}"), parent, assessable)
            )
            walk(children, ref)

    walk(data.get("requirements", []), None)
    raw_mappings = data.get("mappings", [])
    if not isinstance(raw_mappings, list):
        raise FrameworkFileError("'mappings' must be a list.")
    mappings = []
    for index, m in enumerate(raw_mappings, start=1):
        if not isinstance(m, dict):
            raise FrameworkFileError(f"Mapping {index} is not an object.")
        where = f"mapping {index}"
        mappings.append(
            MappingDoc(
                item=_text(m, "item", where),
                requirement=_text(m, "requirement", where),
                relationship=_text(m, "relationship", where),
                rationale=_text(m, "rationale", where),
            )
        )
    return _check(
        FrameworkDoc(
            slug=_text(meta, "slug", "framework"),
            version=_text(meta, "version", "framework"),
            name=_text(meta, "name", "framework"),
            publisher=_text(meta, "publisher", "framework", required=False),
            source=FrameworkSource.TOLLGATE,
            notes=_text(meta, "notes", "framework", required=False),
            requirements=requirements,
            mappings=mappings,
        )
    )


def _prop(node: dict, name: str) -> str | None:
    for prop in node.get("props", []) or []:
        if isinstance(prop, dict) and prop.get("name") == name:
            value = prop.get("value")
            return value if isinstance(value, str) else None
    return None


def parse_oscal_catalog(data: dict, *, slug: str | None = None) -> FrameworkDoc:
    """An OSCAL catalog's groups and controls as a FrameworkDoc (headings and requirements)."""
    catalog = data.get("catalog")
    if not isinstance(catalog, dict):
        raise FrameworkFileError("An OSCAL file's 'catalog' must be an object.")
    metadata = catalog.get("metadata")
    if not isinstance(metadata, dict):
        raise FrameworkFileError("The OSCAL catalog has no metadata.")
    title = _text(metadata, "title", "catalog metadata")
    version = _text(metadata, "version", "catalog metadata")
    requirements: list[RequirementDoc] = []

    def walk(node: dict, parent: str | None, kind: str) -> None:
        where = f"{kind} under {parent or 'the catalog'}"
        if not isinstance(node, dict):
            raise FrameworkFileError(f"A {where} is not an object.")
        if _prop(node, "status") == "withdrawn":
            return
        ref = _prop(node, "label") or _text(node, "id", where)
        requirements.append(
            RequirementDoc(ref, _text(node, "title", f"{kind} {ref}"), parent, kind == "control")
        )
        for key, child_kind in (("groups", "group"), ("controls", "control")):
            children = node.get(key, [])
            if not isinstance(children, list):
                raise FrameworkFileError(f"{kind} {ref}: '{key}' must be a list.")
            for child in children:
                walk(child, ref, child_kind)

    for key, kind in (("groups", "group"), ("controls", "control")):
        nodes = catalog.get(key, [])
        if not isinstance(nodes, list):
            raise FrameworkFileError(f"The catalog's '{key}' must be a list.")
        for node in nodes:
            walk(node, None, kind)
    derived = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:64].rstrip("-")
    return _check(
        FrameworkDoc(
            slug=slug or derived,
            version=version,
            name=title,
            publisher=", ".join(
                p.get("name", "") for p in metadata.get("parties", []) or [] if isinstance(p, dict)
            )[:200],
            source=FrameworkSource.OSCAL,
            notes=f"Read from an OSCAL catalog (uuid {catalog.get('uuid', 'unknown')}).",
            requirements=requirements,
        )
    )
