"""Vendor registry API: who may read and write."""

import pytest

from tests.factories import VendorFactory
from vendors.models import Vendor

NEW = {"name": "Gamma Labs", "slug": "gamma", "hosting_model": "on_prem", "data_regions": ["eu"]}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["security", "legal", "ai_pm", "finance", "platform", "auditor"])
def test_every_role_can_read_vendors(api_as, persona, role):
    VendorFactory(slug="delta")
    client = api_as(persona(role))
    assert client.get("/api/v1/vendors/").json()["count"] == 1
    detail = client.get("/api/v1/vendors/delta/")
    assert detail.status_code == 200
    assert detail.json()["slug"] == "delta"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["security", "legal", "platform"])
def test_registry_roles_can_create_and_change_vendors(api_as, persona, role):
    client = api_as(persona(role))
    created = client.post("/api/v1/vendors/", NEW, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "prospect"
    changed = client.patch("/api/v1/vendors/gamma/", {"website": "https://gamma.example"})
    assert changed.status_code == 200
    assert Vendor.objects.get(slug="gamma").website == "https://gamma.example"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["ai_pm", "finance", "auditor"])
def test_other_roles_cannot_write_vendors(api_as, persona, role):
    VendorFactory(slug="delta")
    client = api_as(persona(role))
    assert client.post("/api/v1/vendors/", NEW, format="json").status_code == 403
    assert client.patch("/api/v1/vendors/delta/", {"notes": "x"}).status_code == 403
    assert not Vendor.objects.filter(slug="gamma").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["security", "legal", "ai_pm", "finance", "platform", "auditor"])
def test_no_role_can_delete_a_vendor(api_as, persona, role):
    VendorFactory(slug="delta")
    assert api_as(persona(role)).delete("/api/v1/vendors/delta/").status_code == 403
    assert Vendor.objects.filter(slug="delta").exists()


@pytest.mark.django_db
def test_status_cannot_be_set_through_the_api(api_as, security):
    VendorFactory(slug="delta")
    api_as(security).patch("/api/v1/vendors/delta/", {"status": "approved"})
    assert Vendor.objects.get(slug="delta").status == "prospect"


@pytest.mark.django_db
def test_data_regions_must_be_a_list_of_names(api_as, security):
    response = api_as(security).post(
        "/api/v1/vendors/", {**NEW, "data_regions": None}, format="json"
    )
    assert response.status_code == 400
    assert "data_regions" in response.json()["details"]


@pytest.mark.django_db
def test_the_service_refuses_a_null_region_list():
    from django.core.exceptions import ValidationError

    from vendors.services.registry import vendor_create

    with pytest.raises(ValidationError) as error:
        vendor_create(name="N", slug="n", hosting_model="cloud_api", data_regions=None)
    assert "data_regions" in error.value.message_dict
