"""Notifications: an in-app list per user, plus e-mail through the configured backend."""

from collections.abc import Iterable
from typing import Any, NamedTuple

from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from governance.models import Notification


class Notice(NamedTuple):
    """One message for some users."""

    users: Iterable[User]
    kind: str
    title: str
    body: str
    link: str = ""


def notify(*, users: Iterable[User], kind: str, title: str, body: str, link: str = "") -> int:
    """Store a notification for each user and e-mail those with an address, after commit."""
    return notify_all(notices=[Notice(users, kind, title, body, link)])


def notify_all(*, notices: Iterable[Notice]) -> int:
    """Store every notice for its active users in one insert; e-mail each notice after commit."""
    rows = []
    for notice in notices:
        users = {u.pk: u for u in notice.users if u.is_active}.values()
        rows += [
            Notification(
                user=u,
                kind=notice.kind,
                title=notice.title[:200],
                body=notice.body,
                link=notice.link,
            )
            for u in users
        ]
        recipients = sorted({u.email for u in users if u.email})
        if recipients:
            transaction.on_commit(
                lambda n=notice, r=recipients: send_mail(
                    subject=f"[Tollgate] {n.title}",
                    message=f"{n.body}\n\n{n.link}".strip(),
                    from_email=None,
                    recipient_list=r,
                )
            )
    Notification.objects.bulk_create(rows)
    return len(rows)


def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """Mark one of the user's own notifications read."""
    if notification.user_id != user.pk:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Not your notification.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_done(*, user: Any, link: str) -> int:
    """Mark read the user's unread notifications about what they just acted on (same page)."""
    if user is None or not link:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True, link=link).update(
        read_at=timezone.now()
    )
