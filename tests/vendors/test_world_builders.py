"""The suite's direct-row builders leave the same state as the services they stand in for."""

import pytest

from governance.models import SignOff
from tests.governance.tamper import guards_off
from vendors.kit.canonical import digest
from vendors.models import ShortlistVersion
from vendors.selectors.assessments import assessment_digest
from vendors.selectors.shortlist import shortlist_canonical

pytestmark = pytest.mark.django_db


def _state(vendor) -> dict:
    """Everything about an approved vendor that a later rule reads, without ids and times."""
    assessment = vendor.assessments.get()
    return {
        "vendor": (vendor.status, vendor.approved_until),
        "vendor_history": [
            (t.from_status, t.to_status, t.reason.replace(str(assessment), "A"))
            for t in vendor.history.all()
        ],
        "assessment": (
            assessment.status,
            assessment.approved_until,
            assessment.approved_digest == assessment_digest(assessment),
        ),
        "assessment_history": [
            (t.from_status, t.to_status, t.reason) for t in assessment.history.all()
        ],
        "responses": sorted(
            (
                r.item.code,
                r.status,
                r.reason,
                r.comment,
                r.expires_on,
                r.verdict_by.username,
                sorted((e.kind, e.size, e.sha256) for e in r.evidence.all()),
                [(t.from_status, t.to_status, t.actor.username, t.reason) for t in r.history.all()],
            )
            for r in assessment.responses.select_related("item", "verdict_by")
        ),
        "signoffs": sorted(
            (s.role, s.user.username, s.decision, s.digest == assessment.approved_digest)
            for s in SignOff.objects.filter(subject_kind="assessment", subject_id=assessment.pk)
        ),
    }


@pytest.mark.parametrize(
    ("hosting", "offering_kwargs"),
    [("cloud_api", None), ("on_prem", {"name": "Agent", "kind": "coding_agent", "agentic": True})],
)
def test_approve_vendor_equals_the_service_path(
    approve_vendor, approve_vendor_through_services, hosting, offering_kwargs
):
    built = approve_vendor("Built", hosting=hosting, offering_kwargs=offering_kwargs)
    served = approve_vendor_through_services(
        "Served", hosting=hosting, offering_kwargs=offering_kwargs
    )
    built_state, served_state = _state(built), _state(served)
    assert built_state["assessment"][2] is True
    assert built_state == served_state


def _shortlist_state(version) -> dict:
    return {
        "version": (version.number, version.status, version.published_digest != ""),
        "entries": sorted(
            (e.vendor.slug, e.offering_id, e.role, e.allow_completion, e.allow_agentic)
            for e in version.entries.select_related("vendor")
        ),
        "history": [(t.from_status, t.to_status, t.reason) for t in version.history.all()],
        "signoffs": sorted(
            (s.role, s.user.username, s.decision, s.digest == version.published_digest)
            for s in SignOff.objects.filter(subject_kind="shortlist", subject_id=version.pk)
        ),
        "digest_is_current": version.published_digest == digest(shortlist_canonical(version)),
    }


def test_published_equals_the_service_path(request):
    served = _shortlist_state(request.getfixturevalue("published_through_services"))
    # The same world again, built directly: a fresh database state for the second path (its
    # sealed history rows go too, which only a database owner may do).
    with guards_off():
        ShortlistVersion.objects.all().delete()
    built = _shortlist_state(request.getfixturevalue("published"))
    assert built["digest_is_current"] is True
    assert built == served
