"""The provider's administration, as an IdP admin console would do it: for the tests only.

Guarded by IDP_ADMIN_TOKEN (a bearer secret the fixture made), never reachable without it.
"""

import json
import os
import secrets

from django.contrib.auth.models import Group, User
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_application_model


def _authorized(request) -> bool:
    sent = request.headers.get("Authorization", "")
    return secrets.compare_digest(sent, f"Bearer {os.environ['IDP_ADMIN_TOKEN']}")


@csrf_exempt
@require_POST
def admin_user(request) -> HttpResponse:
    """Create or update a person: password, e-mail and exactly these groups."""
    if not _authorized(request):
        return HttpResponseForbidden()
    data = json.loads(request.body)
    user, _ = User.objects.get_or_create(username=data["username"])
    user.email = data.get("email", "")
    user.set_password(data["password"])
    user.save()
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in data["groups"]])
    return JsonResponse({"sub": str(user.pk)})


@csrf_exempt
@require_POST
def admin_client(request) -> HttpResponse:
    """Register (or re-register) the relying party: its id, secret and redirect URI."""
    if not _authorized(request):
        return HttpResponseForbidden()
    data = json.loads(request.body)
    Application = get_application_model()
    Application.objects.filter(client_id=data["client_id"]).delete()
    Application.objects.create(
        name="Tollgate",
        client_id=data["client_id"],
        client_secret=data["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=data["redirect_uri"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    return JsonResponse({"client_id": data["client_id"]})
