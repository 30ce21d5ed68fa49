"""Request middleware: sign-in required for pages, and the audit trail's actor."""

from auditlog.middleware import AuditlogMiddleware
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.utils.functional import SimpleLazyObject


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a signed-in user; the API answers 401/403 itself instead of redirecting."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


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
