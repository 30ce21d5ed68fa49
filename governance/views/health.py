"""Health endpoints for load balancers and orchestrators: no sign-in, JSON, never cached."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from governance.selectors.health import readiness


@never_cache
@require_GET
@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers (it checks nothing else, so a restart is never needed for
    a dependency's outage)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
@login_not_required
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: every dependency this node needs, one entry per check; 503 while any fails."""
    checks = readiness()
    ready = all(check.ok for check in checks)
    # Anyone (a load balancer) learns what is down; only operators read hosts and errors.
    detail = request.user.has_perm("governance.view_workerheartbeat")
    return JsonResponse(
        {
            "status": "ready" if ready else "not ready",
            "checks": {c.name: c.as_dict(detail=detail) for c in checks},
        },
        status=200 if ready else 503,
    )
