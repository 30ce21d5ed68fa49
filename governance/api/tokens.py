"""API sign-in for people: a username and password exchanged for an expiring, hashed token.

Each sign-in makes a new token (django-rest-knox stores only its hash) that lasts
REST_KNOX["TOKEN_TTL"]; POST /api/v1/auth/logout/ revokes the one in use and
/api/v1/auth/logout-all/ every token of the caller. Service tokens (tgs_...) are separate
(governance/models/tokens.py). Guessing is stopped by django-axes like on the login page.
While local passwords are off (docs/sso.md) a person signed in on the pages, through single
sign-on, asks for a token with that session instead (CSRF-checked like any session POST).
"""

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from knox.settings import knox_settings
from knox.views import LogoutAllView as KnoxLogoutAllView
from knox.views import LogoutView as KnoxLogoutView
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.api.errors import ErrorSerializer


class TokenRequestSerializer(serializers.Serializer):
    """Credentials exchanged for an API token."""

    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    def validate(self, attrs: dict) -> dict:
        request = self.context.get("request")
        user = authenticate(
            # django-axes marks the Django request it is given as locked out; DRF's wrapper
            # would keep the mark from its middleware, which answers the lockout.
            request=getattr(request, "_request", request),
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                "Unable to log in with the provided username and password.",
                code="authorization",
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    """An API token to send as `Authorization: Token <key>`, and when it expires."""

    token = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)


class TokenObtainView(APIView):
    """Exchange a username and password, or a signed-in session, for a new API token.

    The token is shown once and stored hashed.
    """

    # Only the page session: a token must not mint further tokens.
    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            429: ErrorSerializer,
        },
        auth=[],
    )
    def post(self, request):
        sent_credentials = isinstance(request.data, dict) and (
            "username" in request.data or "password" in request.data
        )
        if request.user.is_authenticated and not sent_credentials:
            user = request.user
        elif not settings.TOLLGATE_LOCAL_PASSWORDS:
            raise PermissionDenied(
                "Local passwords are off: sign in through single sign-on, then ask for a token "
                "with that session."
            )
        else:
            serializer = TokenRequestSerializer(data=request.data, context={"request": request})
            serializer.is_valid(raise_exception=True)
            user = serializer.validated_data["user"]
        instance, key = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
        # A sign-in like the login page's: last_login moves and django-axes clears the failures.
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response(TokenSerializer({"token": key, "expiry": instance.expiry}).data)


class TokenLogoutView(KnoxLogoutView):
    """Revoke the token this request is signed with."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, 401: ErrorSerializer})
    def post(self, request, format=None):
        return super().post(request, format)


class TokenLogoutAllView(KnoxLogoutAllView):
    """Revoke every token of the signed-in user (all their API sign-ins)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, 401: ErrorSerializer})
    def post(self, request, format=None):
        return super().post(request, format)
