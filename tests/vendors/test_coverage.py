"""Coverage: the status rule on hand-built cases, and the selector on a real assessment."""

from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import TODAY
from vendors.coverage import (
    EXCEPTED,
    NOT_IN_ASSESSMENT,
    SATISFIED,
    UNMET,
    ItemState,
    MappedItem,
    coverage_status,
    item_state,
)
from vendors.models import Framework
from vendors.selectors.frameworks import assessment_coverage
from vendors.services.assessments import exception_grant

LATER = date(2027, 3, 1)
OK = ItemState(SATISFIED, until=LATER)
WAIVED = ItemState(EXCEPTED, until=date(2027, 1, 31))
MISSING = ItemState(UNMET, problem="no verdict yet")


def _m(code, relationship, state):
    return MappedItem(code, relationship, state)


# --- the status rule --------------------------------------------------------------------------


@pytest.mark.parametrize("relationship", ["equal", "superset"])
def test_a_satisfied_equal_or_superset_item_covers(relationship):
    verdict = coverage_status([_m("a", relationship, OK), _m("b", "subset", MISSING)])
    assert verdict.status == "covered"
    assert verdict.until == LATER
    assert verdict.reasons == (f"a satisfied ({relationship})",)


@pytest.mark.parametrize(
    ("relationship", "why"),
    [
        ("subset", "covers only part of the requirement"),
        ("intersect", "overlaps the requirement only in part"),
    ],
)
def test_a_satisfied_subset_or_intersect_item_is_partial(relationship, why):
    verdict = coverage_status([_m("a", relationship, OK), _m("b", "equal", MISSING)])
    assert verdict.status == "partial"
    assert verdict.reasons == (f"a satisfied but {why}",)


def test_an_excepted_item_makes_it_excepted_with_the_exception_expiry():
    verdict = coverage_status([_m("a", "equal", WAIVED), _m("b", "subset", MISSING)])
    assert verdict.status == "excepted"
    assert verdict.until == date(2027, 1, 31)


def test_satisfied_beats_excepted():
    verdict = coverage_status([_m("a", "intersect", OK), _m("b", "equal", WAIVED)])
    assert verdict.status == "partial"


def test_nothing_satisfied_or_excepted_is_a_gap_saying_why():
    verdict = coverage_status([_m("a", "equal", MISSING), _m("b", "subset", NOT_IN_ASSESSMENT)])
    assert verdict.status == "gap"
    assert verdict.reasons == ("a: no verdict yet", "b: not part of this assessment")


def test_an_unmapped_requirement_is_a_gap():
    verdict = coverage_status([])
    assert (verdict.status, verdict.reasons) == ("gap", ("no checklist item maps to it",))


def test_covered_lasts_while_the_longest_lived_full_item_lasts_and_forever_wins():
    soon = ItemState(SATISFIED, until=date(2026, 12, 31))
    forever = ItemState(SATISFIED, until=None)
    assert coverage_status([_m("a", "equal", soon), _m("b", "equal", OK)]).until == LATER
    assert coverage_status([_m("a", "equal", soon), _m("b", "equal", forever)]).until is None


def _state(status, **kw):
    args = {
        "status": status,
        "expires_on": LATER,
        "evidence_required": True,
        "evidence_count": 1,
        "exception_expiries": (),
        "today": TODAY,
    }
    args.update(kw)
    return item_state(**args)


def test_an_item_is_satisfied_with_a_current_verdict_and_its_evidence():
    assert _state("satisfied") == ItemState(SATISFIED, until=LATER)
    assert _state("satisfied", evidence_required=False, evidence_count=0).state == SATISFIED


def test_an_expired_verdict_or_missing_evidence_is_unmet():
    expired = _state("satisfied", expires_on=TODAY - timedelta(days=1))
    assert expired == ItemState(UNMET, problem="verdict expired on 2026-11-24")
    assert _state("satisfied", expires_on=TODAY).state == SATISFIED  # the last day still counts
    assert (
        _state("satisfied", evidence_count=0).problem == "satisfied without the required evidence"
    )


def test_an_excepted_item_counts_only_under_a_live_exception():
    assert _state("excepted", exception_expiries=[LATER]) == ItemState(EXCEPTED, until=LATER)
    lapsed = _state("excepted", exception_expiries=[TODAY - timedelta(days=1)])
    assert lapsed == ItemState(UNMET, problem="the exception has expired")


@pytest.mark.parametrize(
    ("status", "problem"),
    [
        ("open", "no verdict yet"),
        ("needs_review", "needs review"),
        ("not_satisfied", "not satisfied"),
        (None, "not part of this assessment"),
    ],
)
def test_other_verdicts_are_unmet(status, problem):
    assert _state(status) == ItemState(UNMET, problem=problem)


# --- the selector on a real assessment ------------------------------------------------------

FRAMEWORKS = Path(settings.BASE_DIR) / "vendors" / "frameworks"


@pytest.fixture
def frameworks(db):
    call_command("load_framework", *map(str, sorted(FRAMEWORKS.glob("*.json"))), stdout=None)
    return Framework.objects.filter(current=True)


def _row(coverages, slug, ref):
    coverage = next(c for c in coverages if c.framework.slug == slug)
    return next(r for r in coverage.rows if r.ref == ref)


@pytest.mark.django_db
def test_coverage_flips_to_covered_with_evidence_and_back_when_it_expires(
    today, frameworks, assessment, judge
):
    # ISO A.6.2.8 (event logs) maps audit-log-access as equal.
    assert _row(assessment_coverage(assessment), "iso-iec-42001", "A.6.2.8").status == "gap"
    response = assessment.responses.get(item__code="audit-log-access")
    judge(response, expires_on=TODAY + timedelta(days=30))

    row = _row(assessment_coverage(assessment), "iso-iec-42001", "A.6.2.8")
    assert (row.status, row.until) == ("covered", TODAY + timedelta(days=30))

    with time_machine.travel(TODAY + timedelta(days=31), tick=False):
        row = _row(assessment_coverage(assessment), "iso-iec-42001", "A.6.2.8")
    assert row.status == "gap"
    assert "audit-log-access: verdict expired on 2026-12-25" in row.verdict.reasons


@pytest.mark.django_db
def test_an_exception_shows_as_excepted_with_its_expiry(
    today, frameworks, assessment, judge, security
):
    response = assessment.responses.get(item__code="audit-log-access")
    judge(response, "not_satisfied")
    exception_grant(
        response=response,
        justification="vendor ships log export next quarter",
        compensating_controls="gateway keeps its own logs",
        expires_on=TODAY + timedelta(days=60),
        actor=security,
    )
    row = _row(assessment_coverage(assessment), "iso-iec-42001", "A.6.2.8")
    assert (row.status, row.until) == ("excepted", TODAY + timedelta(days=60))


@pytest.mark.django_db
def test_a_subset_item_alone_is_partial(today, frameworks, assessment, judge):
    # SOC 2 CC7.3 maps only per-request-tracing, as a subset.
    judge(assessment.responses.get(item__code="per-request-tracing"))
    assert _row(assessment_coverage(assessment), "soc2-tsc", "CC7.3").status == "partial"


@pytest.mark.django_db
def test_headings_have_no_status_and_counts_add_up(today, frameworks, assessment):
    (iso,) = [c for c in assessment_coverage(assessment) if c.framework.slug == "iso-iec-42001"]
    heading = next(r for r in iso.rows if r.ref == "A.6.2")
    assert heading.status is None and heading.depth == 1
    assert sum(iso.counts.values()) == sum(r.assessable for r in iso.rows)
    assert iso.counts["gap"] == sum(r.assessable for r in iso.rows)


@pytest.mark.django_db
def test_coverage_takes_a_fixed_number_of_queries_per_framework(
    today, frameworks, assessment, complete
):
    with CaptureQueriesContext(connection) as empty:
        assessment_coverage(assessment)
    complete(assessment)
    with CaptureQueriesContext(connection) as full:
        result = assessment_coverage(assessment)
    assert len(result) == 4
    # Item states (2) + the framework list (1) + requirements and mappings per framework (2).
    assert len(full) == len(empty) == 3 + 2 * 4
