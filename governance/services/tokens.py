"""Service-account tokens: created with scopes, shown once, revocable."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from governance.choices import TokenScope
from governance.models import ServiceToken
from governance.models.tokens import DEFAULT_LIFETIME, hash_key, new_key
from vendors.kit.audit import audited
from vendors.kit.errors import DomainError
from vendors.kit.services import require


@audited
@transaction.atomic
def service_token_create(
    *,
    name: str,
    scopes: list[str],
    actor: Any,
    expires_at: datetime | None = None,
    never_expires: bool = False,
    pilots: list | None = None,
) -> tuple[ServiceToken, str]:
    """Create a token and its service account; return the token and its key (shown once).

    Without `expires_at` the token lasts DEFAULT_LIFETIME; a token that never expires must be
    asked for by name (`never_expires=True`), never be the result of leaving a field empty.
    """
    require(actor, "governance.add_servicetoken")
    if never_expires and expires_at is not None:
        raise DomainError({"expires_at": "Give an expiry or choose never expires, not both."})
    if expires_at is None and not never_expires:
        expires_at = timezone.now() + DEFAULT_LIFETIME
    unknown = sorted(set(scopes) - set(TokenScope.values))
    if not scopes or unknown:
        raise DomainError(
            {"scopes": f"Choose scopes from {', '.join(TokenScope.values)} (unknown: {unknown})."}
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError({"expires_at": "The expiry must be in the future."})
    account = User(username=f"svc-{name}"[:150], is_active=True)
    account.set_unusable_password()
    account.full_clean(exclude=["password"])
    account.save()  # an unusable password is not validated as a password
    key = new_key()
    token = ServiceToken(
        name=name,
        user=account,
        key_hash=hash_key(key),
        key_prefix=key[:10],
        scopes=sorted(set(scopes)),
        created_by=actor,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    if pilots:
        token.pilots.set(pilots)
    return token, key


@audited
@transaction.atomic
def service_token_revoke(*, token: ServiceToken, actor: Any) -> ServiceToken:
    """Revoke a token at once; its service account is deactivated with it."""
    require(actor, "governance.change_servicetoken")
    # Locked: two revocations at once must not both pass the check and move the time.
    token = ServiceToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise DomainError(f"{token.name} was already revoked on {token.revoked_at:%Y-%m-%d %H:%M}.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    User.objects.filter(pk=token.user_id).update(is_active=False)
    return token
