"""Roles: six groups with the permissions of governance/roles.py; auditor changes nothing."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from governance.choices import Role
from governance.roles import AUDITED_APPS, ROLE_PERMISSIONS, sync_role_groups


@pytest.mark.django_db
def test_every_role_has_a_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in Role if r != Role.AUDITOR])
def test_each_group_holds_exactly_its_table_row(role):
    group = Group.objects.get(name=role)
    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    wanted = {
        f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
        for label, actions in ROLE_PERMISSIONS[role].items()
        for action in actions
    }
    assert held == wanted


@pytest.mark.django_db
def test_the_auditor_reads_every_domain_model_and_changes_nothing():
    group = Group.objects.get(name=Role.AUDITOR)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert all(c.startswith("view_") for c in codenames)
    for app in AUDITED_APPS:
        for model in apps.get_app_config(app).get_models():
            assert f"view_{model._meta.model_name}" in codenames


@pytest.mark.django_db
def test_a_sync_removes_a_permission_granted_by_hand():
    group = Group.objects.get(name=Role.AI_PM)
    group.permissions.add(Permission.objects.get(codename="delete_vendor"))
    sync_role_groups(apps)
    assert not group.permissions.filter(codename="delete_vendor").exists()


@pytest.mark.django_db
def test_the_auditor_cannot_change_anything_in_admin(client, auditor):
    from tests.factories import VendorFactory

    vendor = VendorFactory()
    client.force_login(auditor)
    listing = client.get("/admin/vendors/vendor/")
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [vendor]
    assert "Select vendor to view" in listing.content.decode()
    page = client.get(f"/admin/vendors/vendor/{vendor.pk}/change/")
    assert page.status_code == 200
    assert page.context["original"] == vendor
    assert f"{vendor.name} | View vendor" in page.content.decode()
    assert b'name="_save"' not in page.content
    assert client.post(f"/admin/vendors/vendor/{vendor.pk}/change/", {"name": "X"}).status_code == (
        403
    )
    assert client.get("/admin/vendors/vendor/add/").status_code == 403


@pytest.mark.django_db
def test_the_auditor_cannot_write_through_the_api(api_as, auditor):
    response = api_as(auditor).post(
        "/api/v1/vendors/", {"name": "A", "slug": "a", "hosting_model": "cloud_api"}
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_user_without_a_role_sees_no_records(api_as, nobody):
    assert api_as(nobody).get("/api/v1/vendors/").status_code == 403


@pytest.mark.django_db
def test_me_lists_the_callers_roles_and_permissions(api_as, platform):
    body = api_as(platform).get("/api/v1/me/").json()
    assert body["roles"] == ["platform"]
    assert "vendors.change_vendor" in body["permissions"]
    assert "vendors.delete_vendor" not in body["permissions"]


def test_a_session_signed_in_by_the_retired_backend_stays_signed_in(client, ai_pm):
    """Sessions from the page-cache era name RolePermissionBackend: they must not be dropped."""
    from django.contrib.auth import BACKEND_SESSION_KEY

    client.force_login(ai_pm, backend="governance.permissions.RolePermissionBackend")
    assert client.session[BACKEND_SESSION_KEY] == "governance.permissions.RolePermissionBackend"
    response = client.get("/pilots/")
    assert response.status_code == 200
    assert response.wsgi_request.user == ai_pm


def test_the_retired_backend_signs_no_one_in(ai_pm):
    from governance.permissions import RolePermissionBackend
    from tests.factories import PASSWORD

    assert RolePermissionBackend().authenticate(None, username="ai_pm", password=PASSWORD) is None
