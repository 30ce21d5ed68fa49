"""Single sign-on, pure parts: provider settings from the environment, groups to roles.

Imported by the settings module, so nothing here touches models or the app registry.
"""

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from vendors.choices import Role


def parse_role_map(raw: str) -> dict[str, frozenset[str]]:
    """Read TOLLGATE_SSO_ROLE_MAP (a JSON object: IdP group -> role or list of roles).

    Fails loudly on anything else: a typo in a role name would otherwise silently leave
    everyone in that group without the role.
    """
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TOLLGATE_SSO_ROLE_MAP is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ImproperlyConfigured(
            'TOLLGATE_SSO_ROLE_MAP must be a JSON object, e.g. {"tollgate-security": "security"}.'
        )
    mapping: dict[str, frozenset[str]] = {}
    for group, roles in data.items():
        names = [roles] if isinstance(roles, str) else roles
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ImproperlyConfigured(
                f"TOLLGATE_SSO_ROLE_MAP[{group!r}] must be a role or a list of roles."
            )
        unknown = sorted(set(names) - set(Role.values))
        if unknown:
            raise ImproperlyConfigured(
                f"TOLLGATE_SSO_ROLE_MAP[{group!r}] names unknown roles {unknown}; "
                f"roles are {', '.join(Role.values)}."
            )
        mapping[group] = frozenset(names)
    return mapping


def roles_for_groups(groups: Iterable[str], role_map: Mapping[str, Iterable[str]]) -> set[str]:
    """The Tollgate roles the given identity-provider groups map to (unmapped groups: none)."""
    roles: set[str] = set()
    for group in groups:
        roles.update(role_map.get(group, ()))
    return roles


def groups_from_claims(extra_data: Mapping[str, Any], claim: str) -> list[str]:
    """The IdP groups in a sign-in's claims (OIDC userinfo or ID token, or SAML attributes).

    A claim that is absent means "no groups": a person the IdP sends without groups keeps
    no role, rather than keeping yesterday's.
    """
    sources = [extra_data.get("userinfo"), extra_data.get("id_token"), extra_data]
    for source in sources:
        if isinstance(source, Mapping) and claim in source:
            value = source[claim]
            if isinstance(value, str):
                return [value]
            if isinstance(value, list | tuple):
                return [str(v) for v in value]
            return []
    return []


def oidc_apps(env) -> list[dict[str, Any]]:
    """The OpenID Connect provider configured by TOLLGATE_OIDC_* (none when no server URL)."""
    server_url = env.str("TOLLGATE_OIDC_SERVER_URL", default="").strip()
    if not server_url:
        return []
    client_id = env.str("TOLLGATE_OIDC_CLIENT_ID", default="").strip()
    if not client_id:
        raise ImproperlyConfigured(
            "TOLLGATE_OIDC_CLIENT_ID must be set with TOLLGATE_OIDC_SERVER_URL."
        )
    provider_id = env.str("TOLLGATE_OIDC_PROVIDER_ID", default="sso").strip()
    return [
        {
            "provider_id": provider_id,
            "name": env.str("TOLLGATE_OIDC_NAME", default="single sign-on"),
            "client_id": client_id,
            "secret": env.str("TOLLGATE_OIDC_CLIENT_SECRET", default=""),
            "settings": {
                # The issuer; allauth reads <server_url>/.well-known/openid-configuration.
                "server_url": server_url,
                "scope": env.list("TOLLGATE_OIDC_SCOPES", default=["openid", "profile", "email"]),
                # The ID token alone is enough when the IdP puts the groups claim in it; the
                # userinfo call is kept by default because Okta and Keycloak may not.
                "fetch_userinfo": env.bool("TOLLGATE_OIDC_FETCH_USERINFO", default=True),
            },
        }
    ]


def saml_apps(env) -> list[dict[str, Any]]:
    """The SAML identity provider configured by TOLLGATE_SAML_* (none when no metadata URL)."""
    metadata_url = env.str("TOLLGATE_SAML_METADATA_URL", default="").strip()
    if not metadata_url:
        return []
    organization = env.str("TOLLGATE_SAML_ORGANIZATION", default="sso").strip()
    return [
        {
            "provider_id": f"saml-{organization}",
            "name": env.str("TOLLGATE_SAML_NAME", default="single sign-on (SAML)"),
            # allauth's SAML provider keys its URLs (/accounts/saml/<client_id>/...) on this.
            "client_id": organization,
            "settings": {
                "attribute_mapping": {
                    "uid": env.str(
                        "TOLLGATE_SAML_UID_ATTRIBUTE",
                        default="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
                    ),
                    "email": env.str(
                        "TOLLGATE_SAML_EMAIL_ATTRIBUTE",
                        default="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
                    ),
                    "username": env.str("TOLLGATE_SAML_USERNAME_ATTRIBUTE", default="username"),
                },
                "idp": {
                    "entity_id": env.str("TOLLGATE_SAML_IDP_ENTITY_ID", default=""),
                    "metadata_url": metadata_url,
                },
                "sp": {"entity_id": env.str("TOLLGATE_SAML_SP_ENTITY_ID", default="") or None},
                "advanced": {
                    # Unsigned assertions would let anyone who can reach the ACS claim a role.
                    "want_assertion_signed": True,
                    "want_message_signed": env.bool("TOLLGATE_SAML_WANT_MESSAGE_SIGNED", False),
                    "reject_idp_initiated_sso": True,
                    "strict": True,
                },
            },
        }
    ]


def sign_in_origins(providers: Mapping[str, Mapping]) -> list[str]:
    """The IdP origins the login page's SSO buttons end up at (for CSP's form-action).

    Browsers apply form-action to the redirects after a form post too, so a policy of 'self'
    alone would stop the button's redirect to the IdP.
    """
    origins = []
    for config in providers.values():
        for app in config.get("APPS", []):
            app_settings = app.get("settings", {})
            url = app_settings.get("server_url") or app_settings.get("idp", {}).get("metadata_url")
            parts = urlsplit(url or "")
            if parts.scheme and parts.netloc:
                origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))
