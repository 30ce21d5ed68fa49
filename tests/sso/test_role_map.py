"""SSO settings from the environment: the providers, the group-to-role map, where groups are."""

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from governance.sso import (
    groups_from_claims,
    oidc_apps,
    parse_role_map,
    roles_for_groups,
    saml_apps,
    sign_in_origins,
)


def test_it_reads_a_role_or_a_list_of_roles_per_group():
    mapping = parse_role_map('{"sec": "security", "money": ["finance", "auditor"]}')

    assert mapping == {"sec": {"security"}, "money": {"finance", "auditor"}}
    assert roles_for_groups(["sec", "money", "other"], mapping) == {
        "security",
        "finance",
        "auditor",
    }


def test_an_empty_mapping_grants_nothing():
    assert parse_role_map("") == {}
    assert roles_for_groups(["sec"], {}) == set()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"sec": "securty"}', "unknown roles ['securty']"),
        ("sec=security", "not JSON"),
        ('["security"]', "must be a JSON object"),
        ('{"sec": 3}', "must be a role or a list of roles"),
    ],
)
def test_a_bad_mapping_stops_the_process_with_a_clear_message(raw, message):
    with pytest.raises(ImproperlyConfigured, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_role_map(raw)


def test_groups_come_from_userinfo_first_then_the_id_token():
    claims = {"userinfo": {"groups": ["a"]}, "id_token": {"groups": ["b"]}}

    assert groups_from_claims(claims, "groups") == ["a"]
    assert groups_from_claims({"id_token": {"groups": ["b"]}}, "groups") == ["b"]


def test_saml_attributes_give_every_value_of_the_groups_attribute():
    attributes = {"memberOf": ["cn=sec", "cn=fin"], "email": ["a@example.com"]}

    assert groups_from_claims(attributes, "memberOf") == ["cn=sec", "cn=fin"]


def test_a_missing_claim_means_no_groups():
    assert groups_from_claims({"userinfo": {"sub": "1"}}, "groups") == []
    assert groups_from_claims({"userinfo": {"groups": "single"}}, "groups") == ["single"]
    assert groups_from_claims({"userinfo": {"groups": None}}, "groups") == []


def test_oidc_is_off_until_an_issuer_is_set(monkeypatch):
    monkeypatch.delenv("TOLLGATE_OIDC_SERVER_URL", raising=False)
    assert oidc_apps(environ.Env()) == []


def test_an_oidc_provider_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("TOLLGATE_OIDC_SERVER_URL", "https://corp.okta.com/oauth2/default")
    monkeypatch.setenv("TOLLGATE_OIDC_CLIENT_ID", "0oa1")
    monkeypatch.setenv("TOLLGATE_OIDC_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("TOLLGATE_OIDC_PROVIDER_ID", "okta")
    monkeypatch.setenv("TOLLGATE_OIDC_NAME", "Okta")
    monkeypatch.setenv("TOLLGATE_OIDC_SCOPES", "openid,profile,email,groups")

    [app] = oidc_apps(environ.Env())

    assert app["provider_id"] == "okta"
    assert app["name"] == "Okta"
    assert (app["client_id"], app["secret"]) == ("0oa1", "s3cret")
    assert app["settings"]["server_url"] == "https://corp.okta.com/oauth2/default"
    assert app["settings"]["scope"] == ["openid", "profile", "email", "groups"]


def test_an_issuer_without_a_client_id_stops_the_process(monkeypatch):
    monkeypatch.setenv("TOLLGATE_OIDC_SERVER_URL", "https://corp.okta.com")
    monkeypatch.delenv("TOLLGATE_OIDC_CLIENT_ID", raising=False)

    with pytest.raises(ImproperlyConfigured, match="TOLLGATE_OIDC_CLIENT_ID"):
        oidc_apps(environ.Env())


def test_a_saml_provider_is_read_from_the_environment_with_signed_assertions(monkeypatch):
    monkeypatch.setenv("TOLLGATE_SAML_METADATA_URL", "https://idp.example.com/metadata")
    monkeypatch.setenv("TOLLGATE_SAML_ORGANIZATION", "corp")
    monkeypatch.setenv("TOLLGATE_SAML_IDP_ENTITY_ID", "https://idp.example.com/")

    [app] = saml_apps(environ.Env())

    assert app["client_id"] == "corp"
    assert app["settings"]["idp"] == {
        "entity_id": "https://idp.example.com/",
        "metadata_url": "https://idp.example.com/metadata",
    }
    assert app["settings"]["advanced"]["want_assertion_signed"] is True
    assert app["settings"]["advanced"]["reject_idp_initiated_sso"] is True


def test_saml_is_off_until_a_metadata_url_is_set(monkeypatch):
    monkeypatch.delenv("TOLLGATE_SAML_METADATA_URL", raising=False)
    assert saml_apps(environ.Env()) == []


def test_the_login_page_may_send_its_forms_on_to_each_configured_idp():
    providers = {
        "openid_connect": {
            "APPS": [{"settings": {"server_url": "https://corp.okta.com/oauth2/default"}}]
        },
        "saml": {"APPS": [{"settings": {"idp": {"metadata_url": "https://idp.example:8443/m"}}}]},
    }

    assert sign_in_origins(providers) == ["https://corp.okta.com", "https://idp.example:8443"]
    assert sign_in_origins({"openid_connect": {"APPS": []}}) == []
