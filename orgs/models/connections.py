from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

from orgs.models.base import Synced
from orgs.models.organizations import Organization

connection_name_validator = RegexValidator(
    r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,127}$",
    "Use letters, digits and single hyphens, starting and ending with a letter or digit "
    "(128 characters at most).",
)


class Strategy(models.TextChoices):
    DATABASE = "auth0", "Database"
    SAML = "samlp", "SAML"
    OIDC = "oidc", "OpenID Connect"
    ENTRA_ID = "waad", "Microsoft Entra ID"
    GOOGLE_WORKSPACE = "google-apps", "Google Workspace"
    OKTA = "okta", "Okta"
    ADFS = "adfs", "ADFS"
    PING = "pingfederate", "PingFederate"


class Connection(Synced):
    """An Auth0 connection: shared (organization null) or owned by one organization."""

    auth0_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    name = models.CharField(max_length=128, unique=True, validators=[connection_name_validator])
    display_name = models.CharField(max_length=255, blank=True)
    strategy = models.CharField(max_length=32, choices=Strategy.choices)
    options = models.JSONField(
        default=dict, blank=True, help_text="Options the portal manages, without secrets."
    )
    encrypted_secrets = models.TextField(
        blank=True, editable=False, help_text="Fernet-encrypted secret options."
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_connections",
    )
    is_domain_connection = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_database(self) -> bool:
        return self.strategy == Strategy.DATABASE

    @property
    def is_shared(self) -> bool:
        return self.organization_id is None


class OrganizationConnection(Synced):
    """A connection enabled on an organization, with Auth0's three flags."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="organization_connections"
    )
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="organization_links"
    )
    assign_membership_on_login = models.BooleanField(default=False)
    show_as_button = models.BooleanField(default=True)
    is_signup_enabled = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "connection"], name="unique_organization_connection"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.connection} on {self.organization}"

    def flags(self) -> dict[str, bool]:
        flags = {"assign_membership_on_login": self.assign_membership_on_login}
        if self.connection.is_database:
            flags["is_signup_enabled"] = self.is_signup_enabled
        else:
            flags["show_as_button"] = self.show_as_button
        return flags


class ConnectionApplication(Synced):
    """An application (Auth0 client) a connection is enabled for."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="application_links"
    )
    application = models.ForeignKey(
        "orgs.Application", on_delete=models.CASCADE, related_name="connection_links"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "application"], name="unique_connection_application"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.connection} for {self.application}"
