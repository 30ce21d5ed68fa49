"""Notifications: an in-app list per user, plus e-mail through the configured backend."""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from governance.models import Notification


def notify(*, users: Iterable[User], kind: str, title: str, body: str, link: str = "") -> int:
    """Store a notification for each user and e-mail those with an address, after commit."""
    users = {u.pk: u for u in users if u.is_active}.values()
    Notification.objects.bulk_create(
        Notification(user=u, kind=kind, title=title[:200], body=body, link=link) for u in users
    )
    recipients = sorted({u.email for u in users if u.email})
    if recipients:
        transaction.on_commit(
            lambda: send_mail(
                subject=f"[Tollgate] {title}",
                message=f"{body}\n\n{link}".strip(),
                from_email=None,
                recipient_list=recipients,
            )
        )
    return len(users)


def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """Mark one of the user's own notifications read."""
    if notification.user_id != user.pk:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Not your notification.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
