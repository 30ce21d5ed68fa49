"""Reads of users: their roles and effective permissions."""

from django.contrib.auth.models import User

from governance.choices import Role


def user_roles(*, user: User) -> list[str]:
    """The role names the user holds, in the canonical order."""
    names = set(user.groups.values_list("name", flat=True))
    return [role.value for role in Role if role.value in names]


def user_profile(*, user: User) -> dict:
    """Identity, roles and effective permissions of a user."""
    return {
        "username": user.get_username(),
        "full_name": user.get_full_name(),
        "roles": user_roles(user=user),
        "is_superuser": user.is_superuser,
        "permissions": sorted(user.get_all_permissions()),
    }
