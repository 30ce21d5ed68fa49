"""Authentication for service-account tokens (`Authorization: Token tgs_...`)."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from governance.models import ServiceToken
from governance.models.tokens import PREFIX, hash_key


class ServiceTokenAuthentication(authentication.TokenAuthentication):
    """Accepts scoped service tokens; leaves user tokens to DRF's TokenAuthentication."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() != b"token":
            return None
        key = header[1].decode(errors="replace")
        if not key.startswith(PREFIX):
            return None  # an ordinary user token
        token = ServiceToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None or not token.usable or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked service token.")
        # Recorded at most once a minute: a busy gateway must not write on every request.
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ServiceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    """Documents service tokens as their own security scheme in the OpenAPI schema."""

    target_class = "governance.api.auth.ServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Scoped service token: `Token tgs_...` (see /admin/governance/).",
        }
