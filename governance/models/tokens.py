"""Service-account API tokens with scopes (the gateway, telemetry pipelines)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

PREFIX = "tgs_"
# A token nobody rotates outlives the people who knew where it went; a year unless said otherwise.
DEFAULT_LIFETIME = timedelta(days=365)


def hash_key(key: str) -> str:
    """Tokens are stored as SHA-256 hashes; the key itself is shown once, at creation."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """A fresh, recognisable service-token key."""
    return PREFIX + secrets.token_urlsafe(32)


class ServiceToken(models.Model):
    """A named, scoped, revocable token for a machine client."""

    name = models.CharField(max_length=100, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="service_token",
        help_text="The service account the audit trail names; it holds no role.",
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(max_length=12, editable=False, help_text="To recognise it.")
    scopes = models.JSONField(
        default=list, help_text="What the token may do (vendors.choices.TokenScope)."
    )
    pilots = models.ManyToManyField(
        "governance.Pilot",
        blank=True,
        related_name="+",
        help_text="For measurements:write, the only pilots this token may write to.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: never expires (a year from creation by default)."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Recorded at most once a minute."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def usable(self) -> bool:
        """Not revoked and not expired."""
        return self.state == "active"

    @property
    def state(self) -> str:
        """ "revoked", "expired" or "active", as the token pages say it."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"
