from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

from orgs.models.base import Synced

organization_name_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]{0,49}$",
    "Use 1 to 50 lowercase letters, digits, '-' or '_', starting with a letter or digit.",
)
hex_color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1a2b3c.")


class OrgStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    DELETING = "deleting", "Deleting"
    DELETED = "deleted", "Deleted"


class MembershipModel(models.TextChoices):
    SHARED_DATABASE = "shared_db", "Shared database connection"
    OWN_DATABASE = "own_db", "Its own database connection"
    ENTERPRISE_ONLY = "enterprise", "Enterprise connections only"


class Organization(Synced):
    auth0_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    name = models.CharField(
        max_length=50,
        validators=[organization_name_validator],
        help_text="Auth0 organization name, also the portal's slug.",
    )
    display_name = models.CharField(max_length=255)
    logo_url = models.URLField(blank=True)
    primary_color = models.CharField(max_length=7, blank=True, validators=[hex_color_validator])
    page_background_color = models.CharField(
        max_length=7, blank=True, validators=[hex_color_validator]
    )
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=OrgStatus.choices, default=OrgStatus.PENDING)
    membership_model = models.CharField(
        max_length=16, choices=MembershipModel.choices, default=MembershipModel.SHARED_DATABASE
    )
    is_staff_organization = models.BooleanField(default=False)
    # Kept with the operations' states (orgs.sync.counts), so lists never count the
    # whole operations table.
    open_operations = models.PositiveIntegerField(default=0, editable=False)
    failed_operations = models.PositiveIntegerField(default=0, editable=False)
    # Bumped by every edit: a form carries the version it was opened at, so a second
    # person's save over a change they never saw is refused, not silently applied.
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=~models.Q(status="deleted"),
                name="unique_live_organization_name",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.name

    @property
    def is_live(self) -> bool:
        return self.status not in (OrgStatus.DELETING, OrgStatus.DELETED)

    def branding(self) -> dict[str, object]:
        """The Auth0 `branding` object for this organization (empty when unset)."""
        branding: dict[str, object] = {}
        if self.logo_url:
            branding["logo_url"] = self.logo_url
        if self.primary_color and self.page_background_color:
            branding["colors"] = {
                "primary": self.primary_color,
                "page_background": self.page_background_color,
            }
        return branding


class DomainStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting staff approval"
    PENDING = "pending", "Pending verification"
    VERIFIED = "verified", "Verified"
    FAILED = "failed", "Verification failed"


class DomainProof(models.TextChoices):
    DNS = "dns", "DNS TXT record"
    HTTPS = "https", "well-known file over https"


class Domain(models.Model):
    """An email domain an organization claims (verified by DNS in the self-service flow)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)
    verification_token = models.CharField(max_length=64)
    status = models.CharField(
        max_length=20, choices=DomainStatus.choices, default=DomainStatus.PENDING
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # How the last successful check proved it, and what the last check found (shown).
    verified_by = models.CharField(max_length=8, choices=DomainProof.choices, blank=True)
    last_check_detail = models.CharField(max_length=1000, blank=True)
    # The first failing daily re-check of a verified domain in the current run of them.
    failing_since = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)  # staff approved a subdomain

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain"],
                condition=models.Q(status="verified"),
                name="unique_verified_domain",
            ),
            models.UniqueConstraint(fields=["organization", "domain"], name="unique_org_domain"),
        ]

    def __str__(self) -> str:
        return self.domain
