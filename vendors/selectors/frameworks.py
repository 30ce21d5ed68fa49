"""Reads of frameworks and of an assessment's coverage of them (set-based, fixed query counts).

Coverage reads the assessment's item states once (two queries) and then two queries per
framework (its requirements, its mappings), whatever the number of requirements or items.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from vendors.choices import AssessmentStatus, CoverageStatus, ExceptionStatus
from vendors.coverage import (
    NOT_IN_ASSESSMENT,
    ItemState,
    MappedItem,
    Verdict,
    coverage_status,
    item_state,
)
from vendors.models import Assessment, Framework, RequirementMapping, RiskException


def framework_list() -> QuerySet[Framework]:
    """Every loaded framework version with its requirement and mapping counts."""
    return Framework.objects.annotate(
        requirement_count=Count("requirements", distinct=True),
        assessable_count=Count(
            "requirements", filter=Q(requirements__assessable=True), distinct=True
        ),
        mapped_count=Count(
            "requirements",
            filter=Q(requirements__mappings__isnull=False),
            distinct=True,
        ),
    ).order_by("slug", "-loaded_at")


def current_frameworks() -> QuerySet[Framework]:
    """The current version of each framework, the ones coverage is shown for."""
    return Framework.objects.filter(current=True).order_by("name")


def assessment_item_states(
    assessment: Assessment, *, today: date | None = None
) -> dict[str, ItemState]:
    """Where each checklist item stands in the assessment today, by item code."""
    today = today or timezone.localdate()
    responses = assessment.responses.select_related("item").annotate(
        evidence_count=Count("evidence")
    )
    expiries: dict[int, list[date]] = defaultdict(list)
    for response_id, expires_on in RiskException.objects.filter(
        response__assessment=assessment, status=ExceptionStatus.ACTIVE
    ).values_list("response_id", "expires_on"):
        expiries[response_id].append(expires_on)
    return {
        r.item.code: item_state(
            status=r.status,
            expires_on=r.expires_on,
            evidence_required=r.item.evidence_required,
            evidence_count=r.evidence_count,
            exception_expiries=expiries[r.pk],
            reason=r.reason,
            today=today,
        )
        for r in responses
    }


@dataclass(frozen=True)
class CoverageRow:
    """One requirement of a framework and, when assessable, its verdict for the assessment."""

    ref: str
    title: str
    parent: str | None
    depth: int
    assessable: bool
    verdict: Verdict | None
    items: tuple[MappedItem, ...]

    @property
    def status(self) -> str | None:
        return self.verdict.status if self.verdict else None

    @property
    def until(self) -> date | None:
        return self.verdict.until if self.verdict else None


@dataclass(frozen=True)
class FrameworkCoverage:
    """A framework version's requirements as covered, partial, excepted or gap."""

    framework: Framework
    rows: list[CoverageRow]
    counts: dict[str, int] = field(default_factory=dict)


def framework_coverage(framework: Framework, states: dict[str, ItemState]) -> FrameworkCoverage:
    """Each requirement of the framework judged from the items mapped to it."""
    requirements = list(
        framework.requirements.order_by("position").values_list(
            "id", "ref", "title", "parent_id", "assessable"
        )
    )
    mapped: dict[int, list[MappedItem]] = defaultdict(list)
    for requirement_id, code, relationship in (
        RequirementMapping.objects.filter(requirement__framework=framework)
        .order_by("item__position", "item__code")
        .values_list("requirement_id", "item__code", "relationship")
    ):
        state = states.get(code, NOT_IN_ASSESSMENT)
        mapped[requirement_id].append(MappedItem(code, relationship, state))
    refs = {pk: ref for pk, ref, *_ in requirements}
    depth: dict[int, int] = {}
    rows = []
    for pk, ref, title, parent_id, assessable in requirements:
        # Parents come before their children (position order), so their depth is known.
        depth[pk] = depth[parent_id] + 1 if parent_id in depth else 0
        items = tuple(mapped[pk])
        rows.append(
            CoverageRow(
                ref=ref,
                title=title,
                parent=refs.get(parent_id),
                depth=depth[pk],
                assessable=assessable,
                verdict=coverage_status(items) if assessable else None,
                items=items,
            )
        )
    counts = Counter(row.status for row in rows if row.assessable)
    return FrameworkCoverage(
        framework, rows, {status: counts.get(status, 0) for status in CoverageStatus.values}
    )


def assessment_coverage(
    assessment: Assessment,
    *,
    frameworks: QuerySet[Framework] | list[Framework] | None = None,
    today: date | None = None,
) -> list[FrameworkCoverage]:
    """The assessment's coverage of each framework (default: the current version of each)."""
    states = assessment_item_states(assessment, today=today)
    chosen = current_frameworks() if frameworks is None else frameworks
    return [framework_coverage(framework, states) for framework in chosen]


EXPORT_HEADER = [
    "framework",
    "version",
    "requirement",
    "title",
    "parent",
    "status",
    "until",
    "mapped items",
    "why",
]


def coverage_export_rows(coverages: list[FrameworkCoverage]) -> list[list[str]]:
    """One row per assessable requirement for the CSV and XLSX exports (header first)."""
    rows = [EXPORT_HEADER]
    for coverage in coverages:
        for row in coverage.rows:
            if not row.assessable:
                continue
            rows.append(
                [
                    coverage.framework.slug,
                    coverage.framework.version,
                    row.ref,
                    row.title,
                    row.parent or "",
                    row.status or "",
                    row.until.isoformat() if row.until else "",
                    "; ".join(f"{m.code} ({m.relationship}, {m.item.state})" for m in row.items),
                    "; ".join(row.verdict.reasons) if row.verdict else "",
                ]
            )
    return rows


def subject_assessment(*, vendor_slug: str, offering_id: int | None = None) -> Assessment | None:
    """The review that stands for a vendor (or offering): the live one, else the latest."""
    reviews = Assessment.objects.filter(vendor__slug=vendor_slug, offering_id=offering_id)
    live = reviews.filter(status__in=[AssessmentStatus.APPROVED, AssessmentStatus.IN_REVIEW])
    return live.order_by("-opened_at").first() or reviews.order_by("-opened_at").first()
