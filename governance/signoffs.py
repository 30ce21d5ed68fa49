"""Which roles must sign which kind of subject: the one table, and how each subject is read.

Later subjects (shortlist versions, pilot charters, quarterly reviews) add a row here.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model

from governance.choices import PilotStatus, ReviewDecision, ReviewStatus, Role, SubjectKind
from governance.models import Pilot, QuarterlyReview
from governance.selectors import pilot_charter_canonical, review_canonical
from vendors.choices import AssessmentStatus, ShortlistStatus
from vendors.models import Assessment, ShortlistVersion
from vendors.selectors import assessment_canonical
from vendors.shortlist import shortlist_canonical


@dataclass(frozen=True)
class Requirement:
    """A role whose approve sign-off is required, optionally only when `when(subject)` holds."""

    role: str
    when: Callable[[Model], bool] | None = None

    def applies(self, subject: Model) -> bool:
        return self.when is None or self.when(subject)


@dataclass(frozen=True)
class Subject:
    """How to load, read and judge a kind of signed subject."""

    model: type[Model]
    canonical: Callable[[Model], dict]
    signable: Callable[[Model], bool]
    requirements: tuple[Requirement, ...]


SUBJECTS: dict[str, Subject] = {
    SubjectKind.ASSESSMENT: Subject(
        model=Assessment,
        canonical=assessment_canonical,
        signable=lambda a: a.status == AssessmentStatus.IN_REVIEW,
        requirements=(Requirement(Role.SECURITY), Requirement(Role.LEGAL)),
    ),
    SubjectKind.SHORTLIST: Subject(
        model=ShortlistVersion,
        canonical=shortlist_canonical,
        signable=lambda v: v.status == ShortlistStatus.DRAFT,
        requirements=(Requirement(Role.SECURITY), Requirement(Role.LEGAL)),
    ),
    SubjectKind.PILOT: Subject(
        model=Pilot,
        canonical=pilot_charter_canonical,
        signable=lambda p: p.status == PilotStatus.SUBMITTED,
        requirements=(
            Requirement(Role.SECURITY),
            Requirement(Role.FINANCE),
            # Agentic tools can run commands: legal signs their charters too.
            Requirement(Role.LEGAL, when=lambda p: p.agentic),
        ),
    ),
    SubjectKind.QUARTERLY_REVIEW: Subject(
        model=QuarterlyReview,
        canonical=review_canonical,
        signable=lambda r: r.status == ReviewStatus.DECIDED,
        requirements=(
            Requirement(Role.FINANCE),
            # Expanding an agentic use widens what tools may run: security signs that too.
            Requirement(Role.SECURITY, when=lambda r: expands_agentic_use(r)),
        ),
    ),
}


def expands_agentic_use(review: QuarterlyReview) -> bool:
    """An expand decision on an agentic pilot, or on a program of an agentic offering."""
    if review.decision != ReviewDecision.EXPAND:
        return False
    if review.pilot_id:
        return review.pilot.agentic
    # A pilot may be agentic on an offering that is not: any such pilot makes the program so.
    return (
        review.offering.agentic
        or review.offering.pilots.filter(agentic=True)
        .exclude(status__in=(PilotStatus.DRAFT, PilotStatus.WITHDRAWN))
        .exists()
    )


def required_roles(kind: str, subject: Model) -> list[str]:
    """Roles whose approval this subject needs."""
    return [r.role for r in SUBJECTS[kind].requirements if r.applies(subject)]
