"""The audit trail records create, update and delete with the actor and changed fields."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from tests.factories import VendorFactory
from vendors.kit.audit import acting_as
from vendors.models import Vendor
from vendors.services.registry import vendor_create, vendor_delete, vendor_update


def _entries_for(pk):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Vendor), object_pk=str(pk)
    ).order_by("id")


@pytest.mark.django_db
def test_a_service_write_is_recorded_with_its_actor(security):
    with acting_as(security):
        vendor = vendor_create(name="Acme AI", slug="acme", hosting_model="cloud_api")
        vendor_update(vendor=vendor, notes="Reviewed in Q3")
        pk = vendor.pk
        vendor_delete(vendor=vendor)

    create, update, delete = _entries_for(pk)
    assert [e.action for e in (create, update, delete)] == [
        LogEntry.Action.CREATE,
        LogEntry.Action.UPDATE,
        LogEntry.Action.DELETE,
    ]
    assert {create.actor, update.actor, delete.actor} == {security}
    assert create.changes_dict["name"] == ["None", "Acme AI"]
    assert update.changes_dict == {"notes": ["", "Reviewed in Q3"]}


@pytest.mark.django_db
def test_an_api_write_with_a_token_is_recorded_with_its_actor(api, security):
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(user=security)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    created = api.post(
        "/api/v1/vendors/",
        {"name": "Beta Code", "slug": "beta", "hosting_model": "cloud_api"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    changed = api.patch("/api/v1/vendors/beta/", {"notes": "Legal asked"}, format="json")
    assert changed.status_code == 200

    entries = list(_entries_for(created.json()["id"]))
    assert [e.actor for e in entries] == [security, security]
    assert entries[1].changes_dict == {"notes": ["", "Legal asked"]}


@pytest.mark.django_db
def test_an_admin_delete_is_recorded_with_its_actor(client, security):
    security.is_superuser = True  # deletion is not in any role's table yet
    security.save()
    vendor = VendorFactory()
    client.force_login(security)
    response = client.post(f"/admin/vendors/vendor/{vendor.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    (entry,) = _entries_for(vendor.pk).filter(action=LogEntry.Action.DELETE)
    assert entry.actor == security


@pytest.mark.django_db
def test_secrets_are_not_written_to_the_trail(security):
    security.set_password("another long passphrase")
    security.save()
    for entry in LogEntry.objects.all():
        assert "password" not in entry.changes_dict


@pytest.mark.django_db
def test_the_trail_is_read_only_in_admin(client, auditor):
    entry_vendor = VendorFactory()
    entry = _entries_for(entry_vendor.pk).get()
    client.force_login(auditor)
    page = client.get(f"/admin/auditlog/logentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert page.context["original"] == entry
    html = page.content.decode()
    assert "View log entry" in html
    assert entry_vendor.name in html
    assert 'name="_save"' not in html
    assert client.get(f"/admin/auditlog/logentry/{entry.pk}/delete/").status_code == 403
    assert client.get("/admin/auditlog/logentry/add/").status_code == 403


@pytest.mark.django_db
def test_the_trail_is_read_only_in_the_api(api_as, security):
    VendorFactory()
    entry = LogEntry.objects.first()
    client = api_as(security)
    listed = client.get("/api/v1/audit/")
    assert listed.status_code == 200
    assert entry.pk in [row["id"] for row in listed.json()["results"]]
    assert client.delete(f"/api/v1/audit/{entry.pk}/").status_code in (403, 405)
    assert LogEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_the_trail_api_is_forbidden_without_the_role(api_as, ai_pm):
    assert api_as(ai_pm).get("/api/v1/audit/").status_code == 403


@pytest.mark.django_db
def test_the_trail_filters_by_model_and_actor(api_as, security, auditor):
    with acting_as(security):
        VendorFactory(name="Filtered")
    body = api_as(auditor).get("/api/v1/audit/?model=vendors.vendor&actor=security").json()
    assert body["count"] == 1
    assert body["results"][0]["object_repr"] == "Filtered"
    assert body["results"][0]["actor"] == "security"


@pytest.mark.django_db
def test_the_trail_exports_as_csv_for_auditors(client, auditor, security):
    with acting_as(security):
        VendorFactory(name="Exported")
    client.force_login(auditor)
    response = client.get("/audit/export.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0].startswith("timestamp,action,model")
    assert "Exported" in text and "security" in text


@pytest.mark.django_db
def test_the_csv_export_is_forbidden_without_the_role(client, finance):
    client.force_login(finance)
    assert client.get("/audit/export.csv").status_code == 403


@pytest.mark.django_db
def test_a_vendor_with_a_status_history_is_retired_not_deleted(security):
    from vendors.kit.errors import DomainError
    from vendors.services.registry import vendor_set_status

    vendor = vendor_create(name="Acme AI", slug="acme", hosting_model="cloud_api")
    vendor_set_status(vendor=vendor, to="under_review", actor=security)
    # Deleting it would delete its history, which is sealed (PostgreSQL refuses the DELETE).
    with pytest.raises(DomainError, match="a status history; retire it instead"):
        vendor_delete(vendor=vendor)
    assert Vendor.objects.filter(pk=vendor.pk).exists()
