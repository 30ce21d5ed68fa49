"""Audit-trail wiring on top of django-auditlog.

Models of the domain apps are tracked automatically (AUDITLOG_INCLUDE_ALL_MODELS); this
module only makes sure every entry names the acting user, whatever the entry point.
"""

from contextlib import AbstractContextManager

from auditlog.context import set_actor
from auditlog.middleware import AuditlogMiddleware
from django.utils.functional import SimpleLazyObject


class ActorMiddleware(AuditlogMiddleware):
    """auditlog's middleware, but resolving the actor when an entry is written.

    The stock middleware reads request.user before DRF's token authentication has run, so
    API writes would be logged without an actor; a lazy actor sees the DRF-authenticated user.
    """

    @staticmethod
    def _get_actor(request):
        def resolve():
            user = getattr(request, "user", None)
            return user if user is not None and user.is_authenticated else None

        return SimpleLazyObject(resolve)


def acting_as(user) -> AbstractContextManager:
    """Attribute audit entries written inside the block to `user` (tasks, commands, shells)."""
    return set_actor(user)
