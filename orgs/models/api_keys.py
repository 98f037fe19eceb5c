"""Organization-scoped API keys for the offboarding API (orgs.api).

A key reads `oap_<id>_<secret>`: the id finds the row, the secret proves it. Only an HMAC
(SECRET_KEY) of the secret is kept, so a database leak gives no usable key; the whole key
is shown once, when it is made (orgs.api.keys)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from orgs.models.organizations import Organization


class ApiScope(models.TextChoices):
    MEMBERS_READ = "members:read", "Read members"
    MEMBERS_WRITE = "members:write", "Invite, block, unblock, sign out and remove members"


class ApiKey(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    secret_hash = models.CharField(max_length=128, help_text="HMAC-SHA256 of the secret.")
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_from = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def active(self) -> bool:
        return not self.revoked and not self.expired

    @property
    def label(self) -> str:
        """Who the audit trail says acted: the key, by name."""
        return f"API key “{self.name}”"[:255]
