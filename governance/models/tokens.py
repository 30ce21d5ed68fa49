"""Service-account API tokens with scopes (the gateway, telemetry pipelines)."""

import hashlib
import secrets

from django.conf import settings
from django.db import models

PREFIX = "tgs_"


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
    scopes = models.JSONField(default=list)
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
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def usable(self) -> bool:
        """Not revoked and not expired."""
        from django.utils import timezone

        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
