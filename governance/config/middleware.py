"""Request middleware: request ids and request log lines, sign-in for pages, the audit actor."""

import logging
import time

from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.utils.functional import SimpleLazyObject, empty

from governance.config.logging import (
    REQUEST_ID_HEADER,
    new_request_id,
    request_id,
    safe_request_id,
)

request_logger = logging.getLogger("tollgate.request")


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


class RequestIdMiddleware:
    """Give every request an id, answer it in X-Request-ID, and log one line per request.

    A safe incoming X-Request-ID (from the load balancer or the caller) is kept, so one id
    follows the work across the proxy, this node and the Celery tasks it enqueues; anything
    else is replaced. The line names the route (the URL pattern's name, never the raw path,
    which may carry ids or secrets), the user, the status and the duration in milliseconds.
    Outermost, so it times everything and even a redirect or a static file gets the header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER)
        rid = safe_request_id(incoming) or new_request_id()
        request.request_id = rid
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = rid
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            route = _route(request)
            user = _username(request)
            request_logger.info(
                "%s %s %s %s ms",
                request.method,
                route or "(unresolved)",
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "user": user,
                    "request_id_reused": rid == incoming,
                },
            )
            return response
        finally:
            request_id.reset(token)


def _route(request) -> str | None:
    """The matched URL pattern's name (namespaced), else its route; None when nothing matched."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    return match.view_name or match.route or None


def _username(request) -> str | None:
    # request.user is the DRF-authenticated user too (DRF sets it on the Django request). A
    # lazy user nothing has looked at (a health check) stays unread: reading it costs queries.
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    if user is None or not user.is_authenticated:
        return None
    return user.get_username()


class PermissionsPolicyMiddleware:
    """Send settings.PERMISSIONS_POLICY on every response (Django has no setting for it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        return response


class DebugErrorPagesMiddleware:
    """Under DEBUG, show people the site's 404 and 500 pages instead of Django's debug pages.

    Django answers a 404 or an uncaught error with its technical page whenever DEBUG is on
    (make run) and never calls handler404/handler500 then; demo users walking the pages met
    a URL dump or a traceback. Superusers (developers) keep the debug pages; the API keeps its
    JSON errors. Without DEBUG this does nothing: the handlers render the same templates.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code in (404, 500)
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith("/api/")
            and not getattr(getattr(request, "user", None), "is_superuser", False)
        ):
            from governance.views.errors import error_page

            return error_page(request, response.status_code)
        return response
