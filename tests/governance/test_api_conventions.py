"""API conventions: schema, pagination, filters, and one error shape."""

import pytest
from django.core.management import call_command

from tests.factories import VendorFactory


def test_the_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "openapi.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/auth/token/" in out.read_text()


@pytest.mark.django_db
def test_signed_in_users_get_the_schema_and_the_docs(client, ai_pm):
    client.force_login(ai_pm)
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert text.startswith("openapi: 3")
    assert "title: Tollgate API" in text
    assert "/api/v1/vendors/" in text
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "<title>Tollgate API</title>" in html
    # The page has no inline script (CSP): its start-up script, a file, loads the schema above.
    assert '<script src="/api/v1/docs/?script=">' in html
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert "/api/v1/schema/" in script.content.decode()
    # Swagger UI from our static files, not a CDN: the docs work offline.
    assert "drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn.jsdelivr.net" not in html


@pytest.mark.django_db
def test_lists_are_paginated(api_as, security):
    VendorFactory.create_batch(3)
    body = api_as(security).get("/api/v1/vendors/?page_size=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]


@pytest.mark.django_db
def test_lists_are_filterable(api_as, security):
    VendorFactory(name="Onprem Llama", hosting_model="on_prem")
    VendorFactory(name="Cloud One")
    body = api_as(security).get("/api/v1/vendors/?hosting_model=on_prem").json()
    assert [v["name"] for v in body["results"]] == ["Onprem Llama"]


@pytest.mark.django_db
def test_a_model_rule_violation_is_a_400_with_field_details(api_as, security):
    VendorFactory(name="Acme")
    response = api_as(security).post(
        "/api/v1/vendors/", {"name": "ACME", "slug": "acme-2", "hosting_model": "cloud_api"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "A vendor with this name already exists."
    assert body["details"] == {"non_field_errors": ["A vendor with this name already exists."]}


@pytest.mark.django_db
def test_a_domain_error_from_a_service_is_a_400_never_a_500(api_as, security, monkeypatch):
    from vendors.kit.errors import DomainError

    def refuse(**kwargs):
        raise DomainError({"hosting_model": "On-prem vendors need a region."})

    monkeypatch.setattr("vendors.api.serializers.vendor_create", refuse)
    response = api_as(security).post(
        "/api/v1/vendors/", {"name": "X", "slug": "x", "hosting_model": "on_prem"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "On-prem vendors need a region.",
        "details": {"hosting_model": ["On-prem vendors need a region."]},
    }


@pytest.mark.django_db
def test_a_serializer_error_uses_the_same_shape(api_as, security):
    response = api_as(security).post("/api/v1/vendors/", {"name": "X", "hosting_model": "moon"})
    body = response.json()
    assert response.status_code == 400
    assert set(body) == {"message", "details"}
    assert set(body["details"]) == {"slug", "hosting_model"}


@pytest.mark.django_db
def test_a_not_found_uses_the_same_shape(api_as, security):
    response = api_as(security).get("/api/v1/vendors/nope/")
    assert response.status_code == 404
    assert response.json() == {"message": "No Vendor matches the given query.", "details": {}}


def test_no_page_shares_its_url_name_with_an_api_route():
    # A shared name made {% url %} in page templates resolve to the API: "Evaluate now", "Sign
    # as finance" and the control-teams form posted to DRF and showed raw JSON.
    from collections import defaultdict

    from django.urls import URLResolver, get_resolver

    routes: dict[str, set[bool]] = defaultdict(set)

    def walk(patterns, prefix: str, namespaced: bool) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(
                    pattern.url_patterns,
                    prefix + str(pattern.pattern),
                    namespaced or bool(pattern.namespace),
                )
            elif pattern.name and not namespaced:
                routes[pattern.name].add(prefix.startswith("api/"))

    walk(get_resolver().url_patterns, "", False)
    shared = sorted(name for name, kinds in routes.items() if kinds == {True, False})
    assert shared == []
