"""Authentication backends: passwords only while local passwords are on."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class LocalPasswordBackend(ModelBackend):
    """Django's password and group-permission backend, refusing passwords when they are off.

    The login page, the admin and the token endpoint refuse password posts themselves; this is
    the floor under them, so no other form that calls authenticate() can sign anyone in.
    Its get_user() stays as it is: allauth records this backend in SSO sessions (the first
    listed that can load a user), so they go on working with passwords off.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.TOLLGATE_LOCAL_PASSWORDS:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
