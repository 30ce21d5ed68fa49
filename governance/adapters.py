"""django-allauth adapters: SSO sign-ins sync roles; no local self-service accounts."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings

from governance.services.sso import sso_roles_sync
from governance.sso import groups_from_claims


class AccountAdapter(DefaultAccountAdapter):
    """Local accounts are made by administrators; every SSO sign-in syncs the person's roles."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def post_login(self, request, user, **kwargs):
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        if sociallogin is not None:
            sso_roles_sync(
                user=user,
                groups=groups_from_claims(
                    sociallogin.account.extra_data, settings.TOLLGATE_SSO_GROUPS_CLAIM
                ),
                provider=sociallogin.account.provider,
            )
        return super().post_login(request, user, **kwargs)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Whoever the identity provider vouches for may sign in; their groups decide their roles."""

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True
