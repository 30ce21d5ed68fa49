"""Single sign-on: a person's Tollgate roles follow their identity provider's groups."""

from collections.abc import Iterable

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction

from governance.choices import Role
from governance.sso import roles_for_groups
from vendors.kit.audit import acting_as

# What an audit entry of a role sync says it is (LogEntry.additional_data["event"]).
SSO_ROLES_SYNCED = "sso_roles_synced"


@transaction.atomic
def sso_roles_sync(*, user: User, groups: Iterable[str], provider: str) -> tuple[set, set]:
    """Set the user's role groups to exactly those their IdP groups map to; audit any change.

    Runs at every SSO sign-in, so a group removed at the identity provider takes the role away
    at the next sign-in. Groups that are not roles are left alone. Returns (added, removed).
    """
    idp_groups = sorted(set(groups))
    wanted = roles_for_groups(idp_groups, settings.TOLLGATE_SSO_ROLE_MAP)
    # Locked: two sign-ins of one person at once must not interleave their adds and removes.
    User.objects.select_for_update().filter(pk=user.pk).first()
    current = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    added, removed = wanted - current, current - wanted
    with acting_as(user):
        if removed:
            user.groups.remove(*Group.objects.filter(name__in=removed))
        if added:
            user.groups.add(*Group.objects.filter(name__in=added))
        # Roles work in the admin (seed_demo's people are staff too); without one, no admin.
        staff = bool(wanted) or user.is_superuser
        if user.is_staff != staff:
            user.is_staff = staff
            user.save(update_fields=["is_staff"])
        if added or removed:
            LogEntry.objects.log_create(
                user,
                force_log=True,
                action=LogEntry.Action.UPDATE,
                changes={"roles": [sorted(current), sorted(wanted)]},
                additional_data={
                    "event": SSO_ROLES_SYNCED,
                    "provider": provider,
                    "idp_groups": idp_groups,
                    "added": sorted(added),
                    "removed": sorted(removed),
                },
                actor=user,
            )
    # The permission caches of this user object were filled under the old roles.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    return added, removed
