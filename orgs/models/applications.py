from __future__ import annotations

from django.db import models

from orgs.models.base import Synced
from orgs.models.organizations import Organization


class Application(models.Model):
    """An Auth0 client the portal knows (imported from the tenant, never created here)."""

    client_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    app_type = models.CharField(max_length=32, blank=True)
    initiate_login_uri = models.URLField(blank=True)
    organization_usage = models.CharField(max_length=16, blank=True)
    is_portal_login = models.BooleanField(
        default=False, help_text="The portal's own login application."
    )
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def supports_invitations(self) -> bool:
        return bool(self.initiate_login_uri) and self.organization_usage in ("allow", "require")


class UrlKind(models.TextChoices):
    CALLBACK = "callbacks", "Callback URL"
    LOGOUT = "allowed_logout_urls", "Logout URL"
    WEB_ORIGIN = "web_origins", "Web origin"


class ApplicationURL(Synced):
    """A URL an organization needs on an application; `removing` until Auth0 drops it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="application_urls"
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="organization_urls"
    )
    kind = models.CharField(max_length=32, choices=UrlKind.choices)
    url = models.URLField(max_length=1024)
    removing = models.BooleanField(default=False)

    class Meta:
        ordering = ["application", "kind", "url"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "application", "kind", "url"],
                name="unique_org_application_url",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.url}"
