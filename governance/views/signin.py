"""The login page and the password pages, which exist only while local passwords are on."""

import functools
from collections.abc import Callable

from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


def sso_providers(request: HttpRequest) -> list[dict]:
    """The configured identity providers, each with the URL that starts its sign-in."""
    return [
        {"name": provider.name, "login_url": provider.get_login_url(request)}
        for provider in get_social_adapter().list_providers(request)
    ]


class SignInView(auth_views.LoginView):
    """Django's login page, offering SSO and, only while they are on, local passwords."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.TOLLGATE_LOCAL_PASSWORDS:
            # Refused before any password is checked: nothing to guess, nothing to count.
            context = self.get_context_data(form=None, refused=True)
            return render(request, self.template_name, context, status=403)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["local_passwords"] = settings.TOLLGATE_LOCAL_PASSWORDS
        context["sso_providers"] = sso_providers(self.request)
        return context


def local_passwords_required(view: Callable) -> Callable:
    """A password page (reset, change) that does not exist while local passwords are off."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.TOLLGATE_LOCAL_PASSWORDS:
            raise Http404(
                "Local passwords are off: passwords are managed by the identity provider."
            )
        return view(request, *args, **kwargs)

    return wrapper
