"""The group-to-role mapping read from the environment, and where the groups are found."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from governance.sso import groups_from_claims, parse_role_map, roles_for_groups


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
