"""The role sync behind every SSO sign-in, called directly (the flow is in test_sso_oidc.py)."""

import pytest
from auditlog.models import LogEntry

from governance.choices import Role
from governance.services.sso import SSO_ROLES_SYNCED, sso_roles_sync
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _role_map(settings):
    settings.TOLLGATE_SSO_ROLE_MAP = {"sec": {Role.SECURITY}, "fin": {Role.FINANCE}}


def _synced_entries(user):
    return LogEntry.objects.filter(object_pk=str(user.pk), additional_data__event=SSO_ROLES_SYNCED)


def test_the_same_groups_again_change_nothing_and_audit_nothing_more():
    user = UserFactory(username="pat", is_staff=False)

    assert sso_roles_sync(user=user, groups=["sec"], provider="okta") == ({Role.SECURITY}, set())
    assert sso_roles_sync(user=user, groups=["sec"], provider="okta") == (set(), set())

    assert _synced_entries(user).count() == 1


def test_losing_every_role_ends_admin_access():
    user = UserFactory(username="pat", role=Role.FINANCE)
    assert user.is_staff

    sso_roles_sync(user=user, groups=["marketing"], provider="okta")

    user.refresh_from_db()
    assert not user.is_staff
    assert not user.groups.exists()
    assert not user.has_perm("governance.view_spend")


def test_a_superuser_keeps_admin_access_without_a_mapped_role():
    user = UserFactory(username="root", is_superuser=True)

    sso_roles_sync(user=user, groups=[], provider="okta")

    user.refresh_from_db()
    assert user.is_staff
