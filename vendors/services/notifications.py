"""Notifying a role from the vendor registry, through the project's notifier."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.module_loading import import_string


def notify_role(*, role: str, kind: str, title: str, body: str, link: str = "") -> None:
    """Notify a role through the project's notifier (in-app list and e-mail).

    The notifier is named in settings because it lives in governance, which vendors may
    not import.
    """
    users = get_user_model().objects.filter(groups__name=role, is_active=True)
    import_string(settings.TOLLGATE_NOTIFIER)(
        users=users, kind=kind, title=title, body=body, link=link
    )
