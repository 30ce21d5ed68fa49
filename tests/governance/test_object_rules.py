"""The object-level layer: one rule, enforced the same in admin, pages and API."""

import pytest
import rules
from django.core.exceptions import PermissionDenied

from governance.permissions import get_object_for_user
from tests.factories import VendorFactory
from vendors.models import Vendor

RULE = "vendors.change_vendor"


@pytest.fixture
def frozen_vendors_rule():
    """A temporary object rule: vendors named 'Frozen…' may not be changed by anyone."""
    previous = rules.permissions.permissions.get(RULE) if rules.perm_exists(RULE) else None
    rules.set_perm(RULE, ~rules.predicate(lambda user, vendor: vendor.name.startswith("Frozen")))
    yield
    if previous is None:
        rules.remove_perm(RULE)
    else:
        rules.set_perm(RULE, previous)


@pytest.mark.django_db
def test_a_role_permission_alone_allows_objects_without_a_rule(security):
    vendor = VendorFactory()
    assert security.has_perm(RULE)
    assert security.has_perm(RULE, vendor)


@pytest.mark.django_db
def test_an_object_rule_narrows_the_role_permission(security, frozen_vendors_rule):
    assert security.has_perm(RULE, VendorFactory(name="Open"))
    assert not security.has_perm(RULE, VendorFactory(name="Frozen One"))


@pytest.mark.django_db
def test_an_object_rule_never_widens_a_role(ai_pm, frozen_vendors_rule):
    assert not ai_pm.has_perm(RULE, VendorFactory(name="Open"))


@pytest.mark.django_db
def test_the_admin_obeys_the_object_rule(client, security, frozen_vendors_rule):
    vendor = VendorFactory(name="Frozen Two")
    client.force_login(security)
    response = client.post(
        f"/admin/vendors/vendor/{vendor.pk}/change/",
        {"name": "Renamed", "slug": vendor.slug, "hosting_model": "cloud_api"},
    )
    assert response.status_code == 403
    assert Vendor.objects.get(pk=vendor.pk).name == "Frozen Two"


@pytest.mark.django_db
def test_the_api_obeys_the_object_rule(api_as, security, frozen_vendors_rule):
    vendor = VendorFactory(name="Frozen Three")
    response = api_as(security).patch(f"/api/v1/vendors/{vendor.slug}/", {"notes": "x"})
    assert response.status_code == 403
    assert api_as(security).get(f"/api/v1/vendors/{vendor.slug}/").status_code == 200


@pytest.mark.django_db
def test_pages_obey_the_object_rule(security, frozen_vendors_rule):
    vendor = VendorFactory(name="Frozen Four")
    assert get_object_for_user(security, Vendor.objects.all(), "view", pk=vendor.pk) == vendor
    with pytest.raises(PermissionDenied) as error:
        get_object_for_user(security, Vendor.objects.all(), "change", pk=vendor.pk)
    # The refusal is the object rule's (get_object_for_user raises it without a message), not
    # some other check: the same role changes a vendor the rule does not freeze.
    assert error.value.args == ()
    open_vendor = VendorFactory(name="Open Four")
    assert (
        get_object_for_user(security, Vendor.objects.all(), "change", pk=open_vendor.pk)
        == open_vendor
    )
