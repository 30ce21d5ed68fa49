"""Anonymous requests: pages redirect to login, the API answers 401/403, on every route."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Routes meant for anonymous users.
PUBLIC = {
    "/accounts/login/",
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/done/",
    "/accounts/reset/x/x/",
    "/api/v1/auth/token/",
    "/admin/login/",
    # Single sign-on's own steps (docs/sso.md): a person not signed in yet lands on them.
    "/accounts/inactive/",
    "/accounts/sso/login/cancelled/",
    "/accounts/sso/login/error/",
    # SAML's steps (allauth): 404 for an organization that is not configured ("1" is not);
    # the IdP posts to the ACS before anyone is signed in.
    "/accounts/saml/1/acs/",
    "/accounts/saml/1/acs/finish/",
    "/accounts/saml/1/sls/",
    "/accounts/saml/1/metadata/",
    "/accounts/saml/1/login/",
    # Asked by load balancers; /readyz shows operators' details only to a signed-in operator.
    "/healthz",
    "/readyz",
    # The tab icon, asked by the login page and the admin.
    "/favicon.ico",
    # A vendor contact's questionnaire link: the token in the path is checked instead of a
    # sign-in (tests/vendors/test_questionnaires.py); "1" opens nothing.
    "/questionnaire/1/",
    "/questionnaire/1/items/1/answer/",
    "/questionnaire/1/items/1/files/",
}


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def _concrete(route: str) -> str:
    """Turn a route or regex into a URL with sample arguments."""
    route = re.sub(r"<(?:\w+:)?(\w+)>", "1", route)
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", "1", route)
    route = route.replace("^", "").replace("$", "").replace("\\.", ".").replace("\\Z", "")
    route = re.sub(r"\.\(\?P.*", "", route)
    return "/" + route.lstrip("/")


def all_urls() -> list[str]:
    urls = {_concrete(route) for route in _walk(get_resolver().url_patterns)}
    return sorted(u for u in urls if "(" not in u and "[" not in u)


def private_urls() -> list[str]:
    return [u for u in all_urls() if u not in PUBLIC and not u.startswith("/accounts/reset/")]


@pytest.mark.django_db
@pytest.mark.parametrize("url", private_urls())
def test_anonymous_users_are_kept_out(client, url):
    response = client.get(url)
    if url.startswith("/api/"):
        assert response.status_code in (401, 403), url
    else:
        assert response.status_code == 302, url
        assert "/login/" in response["Location"], url


@pytest.mark.django_db
def test_a_questionnaire_route_with_no_valid_token_opens_nothing(client):
    assert client.get("/questionnaire/1/").status_code == 404
    assert client.post("/questionnaire/1/items/1/answer/", {"answer": "x"}).status_code == 404
    assert client.get("/questionnaire/1/items/1/files/").status_code == 405


def test_the_route_list_is_not_empty():
    urls = all_urls()
    assert "/" in urls
    assert "/api/v1/vendors/" in urls
    assert "/admin/vendors/vendor/" in urls


@pytest.mark.django_db
def test_the_login_page_is_open(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in to Tollgate" in response.content


@pytest.mark.django_db
def test_anonymous_api_writes_are_refused(api):
    response = api.post("/api/v1/vendors/", {"name": "X"}, format="json")
    assert response.status_code in (401, 403)
    assert response.json()["message"]


def test_the_favicon_is_served_to_anyone(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("governance/favicon.svg")
