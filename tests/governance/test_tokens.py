"""Service tokens: scopes chosen from described boxes, a default expiry, last use, revoke button."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from governance.models import ServiceToken
from governance.services.tokens import service_token_create, service_token_revoke
from vendors.choices import TOKEN_SCOPE_DESCRIPTIONS, TokenScope

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]

ADD = "/admin/governance/servicetoken/add/"


@pytest.fixture
def gateway(platform):
    token, key = service_token_create(name="gateway", scopes=["shortlist:read"], actor=platform)
    token.key = key
    return token


def test_it_expires_a_year_from_creation_unless_told_otherwise(gateway):
    assert gateway.expires_at - timezone.now() == pytest.approx(
        timedelta(days=365), abs=timedelta(minutes=1)
    )


def test_a_token_that_never_expires_must_be_asked_for(platform):
    token, _ = service_token_create(
        name="forever", scopes=["shortlist:read"], never_expires=True, actor=platform
    )
    assert token.expires_at is None
    with pytest.raises(ValidationError, match="not both"):
        service_token_create(
            name="both",
            scopes=["shortlist:read"],
            expires_at=timezone.now() + timedelta(days=3),
            never_expires=True,
            actor=platform,
        )


def test_an_expired_token_is_refused_and_says_so(api, gateway, time_machine):
    api.credentials(HTTP_AUTHORIZATION=f"Token {gateway.key}")
    time_machine.move_to(gateway.expires_at + timedelta(seconds=1))
    assert api.get("/api/v1/shortlist/current/").status_code == 401
    gateway.refresh_from_db()
    assert gateway.state == "expired"


def test_a_token_cannot_be_revoked_twice(gateway, platform):
    service_token_revoke(token=gateway, actor=platform)
    first = ServiceToken.objects.get(pk=gateway.pk).revoked_at
    with pytest.raises(ValidationError, match="already revoked"):
        service_token_revoke(token=gateway, actor=platform)
    assert ServiceToken.objects.get(pk=gateway.pk).revoked_at == first


def test_the_add_page_offers_scopes_as_described_checkboxes(client, platform):
    client.force_login(platform)
    html = client.get(ADD).content.decode()
    for scope in TokenScope:
        assert f'type="checkbox" name="scopes" value="{scope.value}"' in html
        assert TOKEN_SCOPE_DESCRIPTIONS[scope] in html
    # The default expiry is filled in: a year from today.
    assert f'value="{(timezone.localdate() + timedelta(days=365)).isoformat()}"' in html
    assert "Never expires" in html


def test_platform_chooses_the_last_day_a_token_works(client, platform):
    client.force_login(platform)
    client.post(ADD, {"name": "gw", "scopes": ["shortlist:read"], "expires_on": "2027-01-31"})
    token = ServiceToken.objects.get(name="gw")
    assert timezone.localtime(token.expires_at) == timezone.make_aware(datetime(2027, 2, 1))


def test_platform_may_ask_for_a_token_that_never_expires(client, platform):
    client.force_login(platform)
    client.post(ADD, {"name": "gw", "scopes": ["shortlist:read"], "never_expires": "on"})
    assert ServiceToken.objects.get(name="gw").expires_at is None


def test_the_add_form_reports_every_mistake_at_once(client, platform):
    client.force_login(platform)
    response = client.post(ADD, {"name": "", "expires_on": "2020-01-01"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"name", "scopes", "expires_on"}
    both = client.post(
        ADD,
        {
            "name": "x",
            "scopes": ["shortlist:read"],
            "expires_on": "2027-01-31",
            "never_expires": "on",
        },
    )
    assert "not both" in both.content.decode()
    assert not ServiceToken.objects.exists()


def test_the_token_page_shows_scopes_state_and_last_use_in_words(client, api, platform, gateway):
    client.force_login(platform)
    url = f"/admin/governance/servicetoken/{gateway.pk}/change/"
    page = client.get(url).content.decode()
    assert "Never used" in page
    assert "Active" in page
    assert TOKEN_SCOPE_DESCRIPTIONS[TokenScope.SHORTLIST_READ] in page
    assert '["shortlist:read"]' not in page
    api.credentials(HTTP_AUTHORIZATION=f"Token {gateway.key}")
    assert api.get("/api/v1/shortlist/check/?vendor=x&use=completion").status_code in (200, 400)
    used = timezone.localtime(ServiceToken.objects.get(pk=gateway.pk).last_used_at)
    page = client.get(url).content.decode()
    assert used.strftime("%Y-%m-%d %H:%M") in page
    listing = client.get("/admin/governance/servicetoken/").content.decode()
    assert used.strftime("%Y-%m-%d %H:%M") in listing
    assert "Read the shortlist (gateway)" in listing


def test_platform_revokes_a_token_with_the_button_on_its_page(client, platform, gateway):
    client.force_login(platform)
    url = f"/admin/governance/servicetoken/{gateway.pk}/change/"
    revoke = f"/admin/governance/servicetoken/{gateway.pk}/revoke/"
    assert f'href="{revoke}"' in client.get(url).content.decode()
    confirm = client.get(revoke).content.decode()
    assert "Yes, revoke it" in confirm
    assert ServiceToken.objects.get(pk=gateway.pk).revoked_at is None  # asking changes nothing
    done = client.post(revoke, follow=True)
    text = done.content.decode()
    assert "Service token gateway revoked" in text
    assert "Revoked" in text
    assert f'href="{revoke}"' not in text  # no button on a revoked token
    token = ServiceToken.objects.get(pk=gateway.pk)
    assert token.revoked_at is not None
    assert token.user.is_active is False


@pytest.mark.parametrize("role", ["security", "legal", "ai_pm", "finance", "auditor"])
def test_only_platform_revokes_tokens(client, persona, gateway, role):
    client.force_login(persona(role))
    revoke = f"/admin/governance/servicetoken/{gateway.pk}/revoke/"
    assert client.get(revoke).status_code in (302, 403)
    assert client.post(revoke).status_code in (302, 403)
    assert ServiceToken.objects.get(pk=gateway.pk).revoked_at is None
