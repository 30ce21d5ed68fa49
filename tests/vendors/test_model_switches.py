"""Model switches reopen the model-dependent verdicts; the gateway check refuses the new
version until they are judged and signed again; a rollback answers at the gateway check."""

from datetime import date

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied

from governance.models import Notification
from governance.services.signoffs import assessment_approve
from tests.factories import ModelVersionFactory, OfferingFactory
from vendors.kit.errors import DomainError
from vendors.models import Assessment, ModelRollback, ModelSwitch
from vendors.selectors.registry import model_update_times
from vendors.selectors.shortlist import shortlist_check
from vendors.services.model_switches import (
    model_switch_record,
    model_switch_settle,
    model_version_rollback,
)

pytestmark = pytest.mark.django_db

MODEL_DEPENDENT = {
    "model-versioning-rollback",
    "training-opt-out",
    "prompt-injection-defenses",
}


@pytest.fixture
def helix(published):
    """Helix approved and shortlisted, with an IDE offering and two approved core versions."""
    vendor = published.entries.get(vendor__slug="helix").vendor
    offering = OfferingFactory(vendor=vendor, name="Helix Code")
    old = ModelVersionFactory(
        vendor=vendor,
        family="helix-core",
        version="3.0",
        status="approved",
        released_on=date(2026, 1, 10),
        approved_on=date(2026, 2, 1),
    )
    new = ModelVersionFactory(
        vendor=vendor,
        family="helix-core",
        version="3.5",
        status="approved",
        released_on=date(2026, 6, 2),
        approved_on=date(2026, 6, 23),
        rollback_target=old,
    )
    return {"vendor": vendor, "offering": offering, "old": old, "new": new}


def _switch(helix, **extra):
    fields = {
        "offering": helix["offering"],
        "from_version": helix["old"],
        "to_version": helix["new"],
        "detected_on": date(2026, 7, 2),
        "detected_from": "gateway",
        "detail": "helix-core:3.5 served 60% of the helix-core requests",
    }
    fields.update(extra)
    return model_switch_record(**fields)


def _check(model: str | None = None):
    return shortlist_check(vendor_slug="helix", use="completion", model=model)


def test_it_reopens_the_model_dependent_items_and_revokes_the_approval(helix):
    assert _check("helix-core:3.5").allowed
    switch, created = _switch(helix)
    assert created
    assessment = Assessment.objects.get(vendor=helix["vendor"])
    flagged = set(
        assessment.responses.filter(status="needs_review").values_list("item__code", flat=True)
    )
    # Helix is not agentic: its review has no sandboxing item; residency stays (same regions).
    assert flagged == MODEL_DEPENDENT
    assert set(switch.reopened.values_list("item__code", flat=True)) == MODEL_DEPENDENT
    assessment.refresh_from_db()
    assert assessment.status == "in_review"
    assert switch.days_to_adopt == (date(2026, 7, 2) - date(2026, 6, 2)).days


def test_it_is_recorded_once(helix):
    first, _ = _switch(helix)
    again, created = _switch(helix, detected_on=date(2026, 7, 9))
    assert (again.pk, created) == (first.pk, False)
    assert ModelSwitch.objects.count() == 1


def test_a_move_to_other_regions_also_reopens_data_residency(helix):
    helix["new"].regions = ["us-east"]
    helix["new"].save()
    switch, _ = _switch(helix)
    assert "data-residency" in set(switch.reopened.values_list("item__code", flat=True))


def test_the_gateway_check_refuses_the_new_version_and_says_why(helix):
    _switch(helix)
    result = _check("helix-core:3.5")
    assert not result.allowed
    assert any(
        r.startswith("Model switch helix-core:3.0 → helix-core:3.5 on 2026-07-02 (Helix Code)")
        and "model-versioning-rollback" in r
        for r in result.reasons
    )
    # A question without a model still names the open re-review.
    assert any(r.startswith("Model switch") for r in _check().reasons)


def test_it_notifies_security_and_platform(helix, security, platform):
    _switch(helix)
    for user in (security, platform):
        assert Notification.objects.filter(
            user=user, kind="model_switch", title__contains="helix-core:3.5, re-review needed"
        ).exists()


def test_signing_the_judged_items_again_settles_it_and_the_check_allows(
    helix, judge, sign, security
):
    switch, _ = _switch(helix)
    assessment = Assessment.objects.get(vendor=helix["vendor"])
    with pytest.raises(DomainError, match="not judged again"):
        model_switch_settle(switch=switch, actor=security, reason="looked at it")
    for response in assessment.responses.filter(status="needs_review"):
        judge(response)
    switch.refresh_from_db()
    assert switch.status == "open"  # judged, not yet signed
    assert not _check("helix-core:3.5").allowed
    sign(assessment)
    assessment_approve(assessment=assessment, actor=security)
    switch.refresh_from_db()
    assert switch.status == "settled"
    assert switch.history.get().reason.startswith("re-review signed in")
    assert _check("helix-core:3.5").allowed
    assert not [r for r in _check().reasons if r.startswith("Model switch")]


def test_only_security_settles_by_hand(helix, persona):
    switch, _ = _switch(helix)
    with pytest.raises(PermissionDenied):
        model_switch_settle(switch=switch, actor=persona("platform"), reason="fine")


def test_a_rollback_answers_at_the_gateway_check_with_its_target(helix, platform):
    rollback = model_version_rollback(
        model_version=helix["new"], actor=platform, reason="Latency regression on long diffs."
    )
    result = _check("helix-core:3.5")
    assert not result.allowed
    assert result.rollback_target == "helix-core:3.0"
    assert "rolled back" in result.reasons[0]
    assert "Use helix-core:3.0 instead." in result.reasons[0]
    assert _check("helix-core:3.0").allowed
    entry = LogEntry.objects.get_for_object(rollback).get()
    assert entry.actor == platform


def test_a_version_without_a_rollback_target_cannot_be_rolled_back(helix, security):
    with pytest.raises(DomainError, match="names no rollback target"):
        model_version_rollback(model_version=helix["old"], actor=security, reason="x")
    model_version_rollback(model_version=helix["new"], actor=security, reason="x")
    with pytest.raises(DomainError, match="already rolled back"):
        model_version_rollback(model_version=helix["new"], actor=security, reason="again")


def test_a_rollback_needs_a_reason(helix, security):
    with pytest.raises(DomainError, match="Say why"):
        model_version_rollback(model_version=helix["new"], actor=security, reason="  ")


URL = "/api/v1/model-versions/{}/rollback/"


@pytest.mark.parametrize("role", ["platform", "security"])
def test_the_rollback_api_records_the_decision(api_as, persona, helix, role):
    response = api_as(persona(role)).post(
        URL.format(helix["new"].pk), {"reason": "Regression in tests."}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["target"] == "helix-core:3.0"
    assert ModelRollback.objects.get().decided_by.username == persona(role).username


@pytest.mark.parametrize("role", ["legal", "ai_pm", "finance", "auditor"])
def test_the_rollback_api_is_forbidden_to(api_as, persona, helix, role):
    response = api_as(persona(role)).post(
        URL.format(helix["new"].pk), {"reason": "no"}, format="json"
    )
    assert response.status_code == 403
    assert not ModelRollback.objects.exists()


def test_the_rollback_api_is_forbidden_without_a_role(api_as, nobody, helix):
    response = api_as(nobody).post(URL.format(helix["new"].pk), {"reason": "no"}, format="json")
    assert response.status_code == 403


def test_the_gateway_check_api_names_the_rollback_target(api_as, auditor, helix, platform):
    model_version_rollback(model_version=helix["new"], actor=platform, reason="Regression.")
    body = (
        api_as(auditor)
        .get(
            "/api/v1/shortlist/check/",
            {"vendor": "helix", "use": "completion", "model": "helix-core:3.5"},
        )
        .json()
    )
    assert (body["allowed"], body["rollback_target"]) == (False, "helix-core:3.0")


def test_time_to_model_update_counts_release_to_approval_and_to_majority_traffic(helix):
    _switch(helix)
    times = model_update_times(vendor_ids=[helix["vendor"].pk])[helix["vendor"].pk]
    # 3.0: 22 days to approval; 3.5: 21 days to approval and 30 to majority traffic.
    assert (times.to_approval, times.to_majority) == (21.5, 30)
    assert ("helix-core:3.5", 21, 30) in times.versions


def test_the_vendor_admin_page_shows_both_figures(client, security, helix):
    _switch(helix)
    client.force_login(security)
    page = client.get(f"/admin/vendors/vendor/{helix['vendor'].pk}/change/").content.decode()
    assert "release to majority traffic: median 30 d (1 versions)" in page


def test_the_portfolio_shows_each_vendors_time_to_model_update(client, finance, helix):
    _switch(helix)
    client.force_login(finance)
    page = client.get("/finance/portfolio/").content.decode()
    section = page[page.index('id="model-updates"') :]
    row = section[section.index(f"<td>{helix['vendor'].name}</td>") :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">21.5 days</td>' in row and '<td class="num">30 days</td>' in row


def test_security_settles_by_hand_a_switch_that_reopened_nothing(helix, security):
    Assessment.objects.filter(vendor=helix["vendor"]).update(status="withdrawn")
    switch, _ = _switch(helix)
    assert not switch.reopened.exists()
    with pytest.raises(DomainError, match="Say how"):
        model_switch_settle(switch=switch, actor=security, reason=" ")
    settled = model_switch_settle(
        switch=switch, actor=security, reason="No live review: judged in the next one."
    )
    assert settled.status == "settled"
    assert settled.history.get().actor == security
