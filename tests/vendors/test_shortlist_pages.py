"""Shortlist pages for everyone signed in, and the shortlist and token admin."""

import pytest

from governance.models import ServiceToken
from vendors.models import ShortlistEntry, ShortlistVersion
from vendors.services.shortlist import shortlist_draft_create, shortlist_entry_remove

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]


@pytest.mark.parametrize("role", ["security", "legal", "ai_pm", "finance", "platform", "auditor"])
def test_every_role_sees_the_current_shortlist(client, persona, published, role):
    client.force_login(persona(role))
    page = client.get("/vendors/shortlist/").content.decode()
    assert "Version 1" in page
    assert "Meridian" in page and "Open-weights on-prem" in page
    assert "In force" in page


def test_a_suspended_entry_is_shown_with_its_reason(client, finance, published, judge):
    assessment = published.entries.get(vendor__slug="cirrus").vendor.assessments.get()
    judge(assessment.responses.get(item__code="per-request-tracing"), "not_satisfied")
    client.force_login(finance)
    page = client.get("/vendors/shortlist/").content.decode()
    assert "Suspended" in page
    assert "Cirrus is not approved (status: under review)." in page


def test_a_version_page_shows_its_history(client, auditor, published):
    client.force_login(auditor)
    page = client.get("/vendors/shortlist/v1/").content.decode()
    assert "Draft → Published" in page


def test_the_diff_page_compares_two_versions(client, legal, security, published):
    second = shortlist_draft_create(actor=security)
    shortlist_entry_remove(entry=second.entries.get(vendor__slug="cirrus"), actor=security)
    client.force_login(legal)
    page = client.get("/vendors/shortlist/diff/?old=1&new=2").content.decode()
    assert "<strong>removed</strong>: Cirrus" in page


@pytest.mark.parametrize(
    "url", ["/vendors/shortlist/", "/vendors/shortlist/v1/", "/vendors/shortlist/diff/"]
)
def test_shortlist_pages_are_forbidden_without_a_role(client, nobody, published, url):
    client.force_login(nobody)
    assert client.get(url).status_code == 403


def test_security_starts_a_draft_in_the_admin(client, security, published):
    client.force_login(security)
    response = client.post("/admin/vendors/shortlistversion/add/", {"notes": "Q1 review"})
    assert response.status_code == 302
    draft = ShortlistVersion.objects.get(number=2)
    assert draft.entries.count() == 3
    page = client.get(f"/admin/vendors/shortlistversion/{draft.pk}/change/").content.decode()
    assert "Publishing is blocked by 2 problems" in page
    assert "needs an approve sign-off from security" in page


def test_an_entry_on_a_published_version_cannot_be_changed_in_the_admin(
    client, security, published
):
    entry = published.entries.first()
    client.force_login(security)
    response = client.post(
        f"/admin/vendors/shortlistentry/{entry.pk}/change/",
        {
            "version": published.pk,
            "vendor": entry.vendor_id,
            "offering": "",
            "role": entry.role,
            "allow_completion": "on",
            "notes": "edited",
        },
    )
    assert response.status_code == 200
    assert "is not a draft" in response.content.decode()
    assert ShortlistEntry.objects.get(pk=entry.pk).notes != "edited"


def test_sign_and_publish_with_admin_actions(client, security, legal, published):
    second = shortlist_draft_create(actor=security)
    url = "/admin/vendors/shortlistversion/"
    for user in (security, legal):
        client.force_login(user)
        client.post(url, {"action": "sign_approve", "_selected_action": [second.pk]})
    client.force_login(security)
    client.post(url, {"action": "publish", "_selected_action": [second.pk]})
    second.refresh_from_db()
    published.refresh_from_db()
    assert (second.status, published.status) == ("published", "superseded")


def test_platform_creates_a_token_and_sees_the_key_once(client, platform):
    client.force_login(platform)
    response = client.post(
        "/admin/governance/servicetoken/add/",
        {"name": "gateway", "scopes": ["shortlist:read"]},
        follow=True,
    )
    text = response.content.decode()
    assert "Copy its key now; it is not shown again: tgs_" in text
    token = ServiceToken.objects.get(name="gateway")
    assert token.key_prefix in text
    listing = client.get("/admin/governance/servicetoken/").content.decode()
    assert "Copy its key now" not in listing


def test_security_cannot_create_tokens(client, security):
    client.force_login(security)
    assert client.get("/admin/governance/servicetoken/add/").status_code == 403


def test_the_demo_publishes_a_three_provider_shortlist():
    from django.core.management import call_command

    call_command("seed_demo", password="demo-pass-1", no_packets=True)
    version = ShortlistVersion.objects.get(status="published")
    roles = sorted(version.entries.values_list("role", flat=True))
    assert roles == ["frontier_cloud", "frontier_cloud", "open_weights_on_prem"]
