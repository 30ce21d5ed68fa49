"""The approved-provider shortlist: policy, publishing, suspension and the gateway check."""

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from governance.services.signoffs import shortlist_publish
from tests.conftest import TODAY
from tests.factories import ModelVersionFactory, VendorFactory
from vendors.kit.canonical import digest
from vendors.models import ShortlistVersion
from vendors.selectors.shortlist import shortlist_canonical, shortlist_check
from vendors.services.shortlist import (
    shortlist_draft_create,
    shortlist_entry_add,
    shortlist_entry_update,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]


def _publish_errors(version, actor) -> list[str]:
    with pytest.raises(ValidationError) as error:
        shortlist_publish(version=version, actor=actor)
    return error.value.messages


# --- policy ---------------------------------------------------------------------------------


def test_a_signed_compliant_draft_is_published(published_through_services):
    published = published_through_services
    assert published.status == "published"
    assert published.number == 1
    assert re.fullmatch(r"[0-9a-f]{64}", published.published_digest)
    assert published.published_digest == digest(shortlist_canonical(published))


def test_too_few_providers_is_named(providers, security, legal, sign_shortlist):
    draft = shortlist_draft_create(actor=security)
    shortlist_entry_add(
        version=draft, vendor=providers["meridian"], role="open_weights_on_prem", actor=security
    )
    sign_shortlist(draft)
    assert "The shortlist has 1 providers; at least 2 needed." in _publish_errors(draft, security)


def test_too_many_providers_is_named(draft, approve_vendor, security, legal, sign_shortlist):
    shortlist_entry_add(version=draft, vendor=approve_vendor("Delta"), role="other", actor=security)
    sign_shortlist(draft)
    assert "The shortlist has 4 providers; at most 3 allowed." in _publish_errors(draft, security)


def test_the_provider_limit_comes_from_settings(
    draft, approve_vendor, security, legal, settings, sign_shortlist
):
    settings.TOLLGATE_SHORTLIST_MAX_PROVIDERS = 4
    shortlist_entry_add(version=draft, vendor=approve_vendor("Delta"), role="other", actor=security)
    sign_shortlist(draft)
    assert shortlist_publish(version=draft, actor=security).status == "published"


def test_a_missing_on_prem_provider_is_named(providers, security, legal, sign_shortlist):
    draft = shortlist_draft_create(actor=security)
    for slug in ("helix", "cirrus"):
        shortlist_entry_add(
            version=draft, vendor=providers[slug], role="frontier_cloud", actor=security
        )
    sign_shortlist(draft)
    assert "The shortlist has no open-weights on-prem provider." in _publish_errors(draft, security)


def test_a_cloud_vendor_listed_as_on_prem_is_named(providers, security, legal, sign_shortlist):
    draft = shortlist_draft_create(actor=security)
    shortlist_entry_add(
        version=draft, vendor=providers["helix"], role="open_weights_on_prem", actor=security
    )
    shortlist_entry_add(
        version=draft, vendor=providers["cirrus"], role="frontier_cloud", actor=security
    )
    sign_shortlist(draft)
    assert "Helix is listed as open-weights on-prem but is hosted as Cloud API." in _publish_errors(
        draft, security
    )


def test_an_unapproved_vendor_is_named(draft, security, legal, sign_shortlist):
    shortlist_entry_add(
        version=draft, vendor=VendorFactory(name="Prospect Co"), role="other", actor=security
    )
    sign_shortlist(draft)
    assert "Prospect Co is not approved (status: prospect)." in _publish_errors(draft, security)


def test_agentic_use_needs_an_assessment_covering_the_agentic_items(
    draft, security, legal, sign_shortlist
):
    entry = draft.entries.get(vendor__slug="helix")
    shortlist_entry_update(entry=entry, allow_agentic=True, actor=security)
    sign_shortlist(draft)
    errors = _publish_errors(draft, security)
    assert any("no approved assessment covered the agentic checklist items" in e for e in errors)


def test_agentic_use_is_fine_when_the_offerings_review_covered_it(
    approve_vendor, providers, security, legal, sign_shortlist
):
    agent_vendor = approve_vendor(
        "Agentco", offering_kwargs={"name": "Agent", "kind": "coding_agent", "agentic": True}
    )
    draft = shortlist_draft_create(actor=security)
    shortlist_entry_add(
        version=draft,
        vendor=agent_vendor,
        offering=agent_vendor.offerings.get(),
        role="frontier_cloud",
        allow_agentic=True,
        actor=security,
    )
    shortlist_entry_add(
        version=draft, vendor=providers["meridian"], role="open_weights_on_prem", actor=security
    )
    sign_shortlist(draft)
    assert shortlist_publish(version=draft, actor=security).status == "published"


def test_every_violation_is_reported_at_once(providers, security):
    draft = shortlist_draft_create(actor=security)
    shortlist_entry_add(
        version=draft, vendor=VendorFactory(name="Lonely"), role="frontier_cloud", actor=security
    )
    errors = _publish_errors(draft, security)
    assert errors == [
        "The shortlist has 1 providers; at least 2 needed.",
        "The shortlist has no open-weights on-prem provider.",
        "Lonely is not approved (status: prospect).",
        "Needs an approve sign-off from security.",
        "Needs an approve sign-off from legal.",
    ]


def test_publishing_needs_both_sign_offs_on_the_drafts_digest(
    draft, security, legal, sign_shortlist
):
    sign_shortlist(draft)
    shortlist_entry_update(
        entry=draft.entries.first(), notes="changed after signing", actor=security
    )
    errors = _publish_errors(draft, security)
    assert "Security's sign-off covers an earlier version; security must sign again." in errors


def test_only_publishers_publish(draft, security, legal, ai_pm, sign_shortlist):
    sign_shortlist(draft)
    with pytest.raises(PermissionDenied, match=re.escape("(vendors.publish_shortlistversion)")):
        shortlist_publish(version=draft, actor=ai_pm)


# --- versions -------------------------------------------------------------------------------


def test_publishing_a_new_version_supersedes_the_old_one(
    published, security, legal, sign_shortlist
):
    second = shortlist_draft_create(actor=security)
    assert second.number == 2
    assert second.entries.count() == 3  # copied from the published version
    sign_shortlist(second)
    shortlist_publish(version=second, actor=security)
    published.refresh_from_db()
    assert published.status == "superseded"
    assert ShortlistVersion.objects.filter(status="published").get() == second
    assert published.history.last().reason == "superseded by v2"


def test_a_published_version_cannot_be_edited(published, security):
    with pytest.raises(ValidationError, match="is not a draft"):
        shortlist_entry_update(entry=published.entries.first(), notes="x", actor=security)


def test_the_database_refuses_two_published_versions(published, security):
    from django.db import IntegrityError

    other = shortlist_draft_create(actor=security)
    # SQLite names the partial unique index's column, PostgreSQL the constraint.
    with pytest.raises(
        IntegrityError, match=r"shortlist_one_published|vendors_shortlistversion\.status"
    ):
        ShortlistVersion.objects.filter(pk=other.pk).update(status="published")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_publishes_leave_exactly_one_published(
    draft, security, legal, sign_shortlist
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; CI runs this on PostgreSQL")
    second = shortlist_draft_create(actor=security, copy_from=draft)
    sign_shortlist(draft)
    sign_shortlist(second)
    barrier = threading.Barrier(2)
    outcomes = []

    def publish(version):
        from django.db import connections

        try:
            barrier.wait()
            shortlist_publish(version=version, actor=security)
            outcomes.append("published")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        except Exception as error:
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=(v,)) for v in (draft, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ShortlistVersion.objects.filter(status="published").count() == 1, outcomes
    assert outcomes.count("published") >= 1, outcomes


# --- suspension and the check ---------------------------------------------------------------


def test_the_check_allows_a_listed_approved_vendor(published):
    result = shortlist_check(vendor_slug="helix", use="completion")
    assert result.allowed is True
    assert result.shortlist_version == 1
    assert result.valid_until == TODAY + timedelta(days=180)
    assert result.reasons[0] == "Helix is on shortlist v1 as frontier cloud for completion use."


def test_the_check_denies_an_unlisted_vendor(published):
    VendorFactory(name="Outsider", slug="outsider")
    result = shortlist_check(vendor_slug="outsider", use="completion")
    assert (result.allowed, result.reasons) == (False, ["Outsider is not on shortlist v1."])


def test_the_check_denies_a_use_not_approved(published):
    result = shortlist_check(vendor_slug="helix", use="agentic")
    assert result.allowed is False
    assert result.reasons == ["Helix is on shortlist v1 but not approved for agentic use."]


def test_a_lapsed_approval_suspends_the_entry_and_notifies_security(
    published, judge, security, django_capture_on_commit_callbacks
):
    security.email = "security@example.com"
    security.save()
    assessment = published.entries.get(vendor__slug="cirrus").vendor.assessments.get()
    with django_capture_on_commit_callbacks(execute=True):
        judge(assessment.responses.get(item__code="per-request-tracing"), "not_satisfied")
    result = shortlist_check(vendor_slug="cirrus", use="completion")
    assert result.allowed is False
    assert result.reasons == ["Suspended: Cirrus is not approved (status: under review)."]
    assert [m.subject for m in mail.outbox] == ["[Tollgate] Shortlist entry suspended: Cirrus"]


def test_an_expired_approval_is_denied_even_before_the_sweep(published):
    with time_machine.travel(TODAY + timedelta(days=181), tick=False):
        result = shortlist_check(vendor_slug="helix", use="completion")
    assert result.allowed is False
    assert "lapsed on" in result.reasons[0]


def test_the_check_denies_a_deprecated_model_version(published, providers):
    ModelVersionFactory(
        vendor=providers["helix"],
        family="helix-core",
        version="3.0",
        status="deprecated",
        deprecated_on=TODAY - timedelta(days=1),
    )
    result = shortlist_check(vendor_slug="helix", use="completion", model="helix-core:3.0")
    assert result.allowed is False
    assert result.reasons == ["Model helix-core:3.0 is deprecated (since 2026-11-24)."]


def test_the_check_denies_a_model_not_yet_approved(published, providers):
    ModelVersionFactory(vendor=providers["helix"], family="helix-core", version="4.0")
    result = shortlist_check(vendor_slug="helix", use="completion", model="helix-core:4.0")
    assert result.reasons == ["Model helix-core:4.0 is not approved (candidate)."]


def test_an_approved_model_with_a_planned_deprecation_bounds_valid_until(published, providers):
    ModelVersionFactory(
        vendor=providers["helix"],
        family="helix-core",
        version="3.5",
        status="approved",
        approved_on=TODAY,
        released_on=TODAY - timedelta(days=10),
        deprecated_on=TODAY + timedelta(days=20),
    )
    result = shortlist_check(vendor_slug="helix", use="completion", model="helix-core:3.5")
    assert result.allowed is True
    assert result.valid_until == TODAY + timedelta(days=19)


def test_without_a_published_shortlist_everything_is_denied(providers):
    result = shortlist_check(vendor_slug="helix", use="completion")
    assert (result.allowed, result.reasons) == (False, ["No shortlist is published."])
