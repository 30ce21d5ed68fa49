"""Shortlist API: the gateway check with a scoped service token, versions, diff, publish."""

import hashlib
import re

import pytest

from governance.services.tokens import service_token_create, service_token_revoke

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]


@pytest.fixture
def gateway(api, platform):
    token, key = service_token_create(name="gateway", scopes=["shortlist:read"], actor=platform)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    api.token = token
    return api


def test_the_gateway_checks_with_its_token(gateway, published):
    response = gateway.get("/api/v1/shortlist/check/?vendor=helix&use=completion")
    assert response.status_code == 200
    assert response.json() == {
        "allowed": True,
        "reasons": [
            "Helix is on shortlist v1 as frontier cloud for completion use.",
            "Helix is approved until 2027-05-24.",
        ],
        "shortlist_version": 1,
        "valid_until": "2027-05-24",
        "rollback_target": None,
    }


def test_the_gateway_reads_the_current_shortlist(gateway, published):
    body = gateway.get("/api/v1/shortlist/current/").json()
    assert body["number"] == 1
    assert [e["vendor"] for e in body["entries"]] == ["cirrus", "helix", "meridian"]
    assert all(e["suspended"] is False for e in body["entries"])


def test_a_bad_question_is_a_400(gateway, published):
    response = gateway.get("/api/v1/shortlist/check/?vendor=helix&use=everything&model=nocolon")
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"use", "model"}


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/v1/shortlist/versions/", {"notes": "x"}),
        ("post", "/api/v1/shortlist/versions/1/publish/", None),
        ("post", "/api/v1/shortlist/entries/", {"version": 1}),
        ("delete", "/api/v1/shortlist/entries/1/", None),
        ("post", "/api/v1/vendors/", {"name": "X"}),
        ("post", "/api/v1/signoffs/", {"subject_kind": "shortlist"}),
        ("get", "/api/v1/vendors/", None),
        ("get", "/api/v1/me/", None),
        ("get", "/api/v1/audit/", None),
    ],
)
def test_a_shortlist_read_token_can_do_nothing_else(gateway, published, method, url, body):
    response = getattr(gateway, method)(url, body, format="json")
    assert response.status_code == 403


def test_a_revoked_token_is_refused(gateway, published, platform):
    service_token_revoke(token=gateway.token, actor=platform)
    assert gateway.get("/api/v1/shortlist/current/").status_code == 401


def test_a_wrong_service_token_is_refused(api, published):
    api.credentials(HTTP_AUTHORIZATION="Token tgs_not-a-real-key")
    assert api.get("/api/v1/shortlist/current/").status_code == 401


def test_the_token_key_is_stored_only_as_a_hash(gateway):
    from governance.models import ServiceToken

    token = ServiceToken.objects.get(name="gateway")
    key = gateway._credentials["HTTP_AUTHORIZATION"].removeprefix("Token ")
    assert token.key_prefix.startswith("tgs_")
    assert token.key_prefix == key[:10]
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in (token.key_hash, token.key_prefix, token.name)


def test_only_platform_creates_tokens(security):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match=re.escape("(governance.add_servicetoken)")):
        service_token_create(name="x", scopes=["shortlist:read"], actor=security)


def test_unknown_scopes_are_refused(platform):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="unknown: \\['everything'\\]"):
        service_token_create(name="x", scopes=["everything"], actor=platform)


def test_signed_in_users_read_the_shortlist(api_as, finance, published):
    assert api_as(finance).get("/api/v1/shortlist/current/").json()["number"] == 1


def test_no_published_shortlist_is_a_404(api_as, finance):
    response = api_as(finance).get("/api/v1/shortlist/current/")
    assert response.status_code == 404
    assert response.json()["message"] == "No shortlist is published."


def test_security_drafts_signs_and_publishes_through_the_api(api_as, security, legal, providers):
    client = api_as(security)
    draft = client.post("/api/v1/shortlist/versions/", {"notes": "Q4"}, format="json").json()
    for slug, role in (("helix", "frontier_cloud"), ("meridian", "open_weights_on_prem")):
        added = client.post(
            "/api/v1/shortlist/entries/",
            {"version": draft["id"], "vendor": slug, "role": role},
            format="json",
        )
        assert added.status_code == 201, added.json()
    for user, role in ((security, "security"), (legal, "legal")):
        api_as(user).post(
            "/api/v1/signoffs/",
            {
                "subject_kind": "shortlist",
                "subject_id": draft["id"],
                "role": role,
                "decision": "approve",
            },
            format="json",
        )
    published = client.post(f"/api/v1/shortlist/versions/{draft['id']}/publish/")
    assert published.status_code == 200, published.json()
    assert published.json()["status"] == "published"


def test_a_blocked_publish_lists_every_violation(api_as, security, providers):
    draft = api_as(security).post("/api/v1/shortlist/versions/", {}, format="json").json()
    response = api_as(security).post(f"/api/v1/shortlist/versions/{draft['id']}/publish/")
    assert response.status_code == 400
    assert response.json()["details"]["publish"][0] == (
        "The shortlist has 0 providers; at least 2 needed."
    )


def test_the_diff_between_versions(api_as, security, legal, published, providers):
    from vendors.services.shortlist import (
        shortlist_draft_create,
        shortlist_entry_remove,
        shortlist_entry_update,
    )

    second = shortlist_draft_create(actor=security)
    shortlist_entry_remove(entry=second.entries.get(vendor__slug="cirrus"), actor=security)
    shortlist_entry_update(
        entry=second.entries.get(vendor__slug="helix"), notes="preferred", actor=security
    )
    diff = api_as(legal).get(f"/api/v1/shortlist/versions/{second.pk}/diff/?against=1").json()
    assert diff == [
        {"change": "removed", "provider": "Cirrus", "details": "was Frontier cloud"},
        {"change": "changed", "provider": "Helix", "details": "notes changed"},
    ]
