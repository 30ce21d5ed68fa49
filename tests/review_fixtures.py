"""Vendor review fixtures shared by the suite: an opened assessment, approvals, a shortlist."""

import pytest

from governance.choices import SubjectKind
from governance.services.signoffs import assessment_approve, shortlist_publish, signoff_record
from tests.factories import (
    OfferingFactory,
    VendorFactory,
    approved_vendor,
    make_pdf,
    published_shortlist,
)
from vendors.models import Response
from vendors.services.assessments import assessment_open, evidence_add, response_set_verdict
from vendors.services.shortlist import shortlist_draft_create, shortlist_entry_add


@pytest.fixture
def vendor(db):
    return VendorFactory(name="Acme AI", slug="acme")


@pytest.fixture
def assessment(vendor, security):
    return assessment_open(vendor=vendor, actor=security)


@pytest.fixture
def judge(security, legal):
    """judge(response, status, **kw): the item's owner sets the verdict (evidence if needed)."""

    def run(response: Response, status: str = "satisfied", **kwargs):
        owner = security if response.item.owner_role == "security" else legal
        needs_file = status == "satisfied" and response.item.evidence_required
        if needs_file and not response.evidence.exists():
            evidence_add(
                response=response,
                uploaded_file=make_pdf(f"{response.item.code}.pdf", response.item.code.encode()),
                actor=owner,
            )
        return response_set_verdict(response=response, status=status, actor=owner, **kwargs)

    return run


@pytest.fixture
def complete(judge):
    """Satisfy every response of an assessment."""

    def run(assessment):
        for response in assessment.responses.select_related("item"):
            judge(response)
        return assessment

    return run


@pytest.fixture
def sign(security, legal):
    """Approve sign-offs from security and legal on the assessment's current content."""

    def run(assessment, roles=("security", "legal"), decision="approve", comment=""):
        people = {"security": security, "legal": legal}
        return [
            signoff_record(
                kind=SubjectKind.ASSESSMENT,
                subject=assessment,
                role=role,
                decision=decision,
                actor=people[role],
                comment=comment,
            )
            for role in roles
        ]

    return run


@pytest.fixture
def agentic_offering(vendor):
    return OfferingFactory(vendor=vendor, name="Agent", kind="coding_agent", agentic=True)


@pytest.fixture
def approve_vendor(security, legal):
    """A new vendor approved by a complete, signed assessment (rows written directly)."""

    def run(name, hosting="cloud_api", offering_kwargs=None):
        return approved_vendor(
            name=name,
            security=security,
            legal=legal,
            hosting=hosting,
            offering_kwargs=offering_kwargs,
        )

    return run


@pytest.fixture
def approve_vendor_through_services(security, complete, sign):
    """Open, complete, sign and approve an assessment of a new vendor, through the services."""

    def run(name, hosting="cloud_api", offering_kwargs=None):
        vendor = VendorFactory(name=name, slug=name.lower(), hosting_model=hosting)
        offering = OfferingFactory(vendor=vendor, **offering_kwargs) if offering_kwargs else None
        assessment = assessment_open(vendor=vendor, offering=offering, actor=security)
        complete(assessment)
        sign(assessment)
        assessment_approve(assessment=assessment, actor=security)
        vendor.refresh_from_db()
        return vendor

    return run


@pytest.fixture
def providers(approve_vendor):
    return {
        "helix": approve_vendor("Helix"),
        "cirrus": approve_vendor("Cirrus"),
        "meridian": approve_vendor("Meridian", hosting="on_prem"),
    }


@pytest.fixture
def draft(providers, security):
    draft = shortlist_draft_create(actor=security)
    for slug, role in PROVIDER_ROLES:
        shortlist_entry_add(version=draft, vendor=providers[slug], role=role, actor=security)
    return draft


@pytest.fixture
def sign_shortlist(security, legal):
    """Approve sign-offs from security and legal on a shortlist version's current content."""

    def run(version):
        for user, role in ((security, "security"), (legal, "legal")):
            signoff_record(
                kind="shortlist", subject=version, role=role, decision="approve", actor=user
            )

    return run


PROVIDER_ROLES = (
    ("helix", "frontier_cloud"),
    ("cirrus", "frontier_cloud"),
    ("meridian", "open_weights_on_prem"),
)


@pytest.fixture
def published(providers, security, legal):
    """Shortlist v1 of the three providers, signed and published (rows written directly)."""
    return published_shortlist(
        entries=[(providers[slug], role) for slug, role in PROVIDER_ROLES],
        security=security,
        legal=legal,
    )


@pytest.fixture
def published_through_services(draft, security, sign_shortlist):
    """Shortlist v1 signed and published through the services."""
    sign_shortlist(draft)
    return shortlist_publish(version=draft, actor=security)
