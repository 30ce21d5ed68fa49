"""Audit-trail wiring on top of django-auditlog.

Models of the domain apps are tracked automatically (AUDITLOG_INCLUDE_ALL_MODELS); this
module only makes sure every entry names the acting user, whatever the entry point.
"""

from auditlog.middleware import AuditlogMiddleware
from django.utils.functional import SimpleLazyObject

from vendors.audit import acting_as, audited

__all__ = ["ActorMiddleware", "acting_as", "audited"]


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
