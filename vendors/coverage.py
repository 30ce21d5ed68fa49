"""Coverage rules (no ORM): where a checklist item stands, and what it means for a requirement.

An item counts for a requirement only while its verdict is current: satisfied, not past its
expiry, with evidence when the item needs evidence; or excepted under a live exception.

How much a satisfied item proves depends on how it relates to the requirement (the mapping's
relationship, in NIST OLIR's set-theory terms): an item equal to the requirement or a superset
of it covers it; a subset or an intersecting item covers only part of it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from vendors.choices import CoverageStatus, MappingRelationship, ResponseStatus

R = ResponseStatus
C = CoverageStatus
FULL = {MappingRelationship.EQUAL, MappingRelationship.SUPERSET}

SATISFIED = "satisfied"
EXCEPTED = "excepted"
UNMET = "unmet"


@dataclass(frozen=True)
class ItemState:
    """Where one checklist item stands in an assessment today: satisfied, excepted or unmet."""

    state: str
    until: date | None = None  # the verdict's or the exception's last day, when it has one
    problem: str = ""  # why it is unmet, in plain words


# An item mapped to a requirement but not applicable to this review (no response at all).
NOT_IN_ASSESSMENT = ItemState(UNMET, problem="not part of this assessment")


# Why a satisfied item only partly covers a requirement, by how the two relate.
PARTLY = {
    "subset": "covers only part of the requirement",
    "intersect": "overlaps the requirement only in part",
}


def item_state(
    *,
    status: str | None,
    expires_on: date | None,
    evidence_required: bool,
    evidence_count: int,
    exception_expiries: Sequence[date],
    reason: str = "",
    today: date,
) -> ItemState:
    """Classify a response (None: the item is not part of the assessment)."""
    if status is None:
        return NOT_IN_ASSESSMENT
    if status == R.SATISFIED:
        if expires_on is not None and expires_on < today:
            return ItemState(UNMET, problem=f"verdict expired on {expires_on.isoformat()}")
        if evidence_required and evidence_count == 0:
            return ItemState(UNMET, problem="satisfied without the required evidence")
        return ItemState(SATISFIED, until=expires_on)
    if status == R.EXCEPTED:
        live = [d for d in exception_expiries if d >= today]
        if live:
            return ItemState(EXCEPTED, until=max(live))
        return ItemState(UNMET, problem="the exception has expired")
    problems = {
        R.OPEN: "no verdict yet",
        R.NEEDS_REVIEW: "needs review",
        R.NOT_SATISFIED: "not satisfied",
        R.NOT_APPLICABLE: f"not applicable: {reason}" if reason else "not applicable",
    }
    return ItemState(UNMET, problem=problems.get(status, status))


@dataclass(frozen=True)
class MappedItem:
    """A checklist item mapped to a requirement, with where the item stands."""

    code: str
    relationship: str
    item: ItemState


@dataclass(frozen=True)
class Verdict:
    """A requirement's coverage: status, the day it lapses (when known) and why."""

    status: str
    until: date | None
    reasons: tuple[str, ...]


def _last_day(days: Sequence[date | None]) -> date | None:
    """The latest of the days; None when any of them never lapses."""
    if not days or any(d is None for d in days):
        return None
    return max(d for d in days if d is not None)


def coverage_status(mapped: Sequence[MappedItem]) -> Verdict:
    """covered, partial, excepted or gap for one requirement, from its mapped items."""
    if not mapped:
        return Verdict(C.GAP, None, ("no checklist item maps to it",))
    satisfied = [m for m in mapped if m.item.state == SATISFIED]
    full = [m for m in satisfied if m.relationship in FULL]
    if full:
        return Verdict(
            C.COVERED,
            _last_day([m.item.until for m in full]),
            tuple(f"{m.code} satisfied ({m.relationship})" for m in full),
        )
    if satisfied:
        return Verdict(
            C.PARTIAL,
            _last_day([m.item.until for m in satisfied]),
            tuple(f"{m.code} satisfied but {PARTLY[m.relationship]}" for m in satisfied),
        )
    excepted = [m for m in mapped if m.item.state == EXCEPTED]
    if excepted:
        until = max(m.item.until for m in excepted if m.item.until is not None)
        return Verdict(
            C.EXCEPTED,
            until,
            tuple(f"{m.code} excepted until {m.item.until.isoformat()}" for m in excepted),
        )
    return Verdict(C.GAP, None, tuple(f"{m.code}: {m.item.problem}" for m in mapped))
