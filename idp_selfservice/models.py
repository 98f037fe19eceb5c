"""Self-service SSO: one `SsoSetup` per enterprise connection a customer admin configures,
its test sign-ins, and what the certificate watch has told whom.

A setup walks draft -> tested -> active (-> disabled). Editing an active setup makes a
second setup, a *draft copy* (`replaces` = the live one) with a connection of its own,
tested while the live one keeps working; the swap copies the draft's options onto the live
connection in one write and retires the copy (docs/sso.md).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from orgs.models import Connection, Organization
from portal.models import User


class SetupState(models.TextChoices):
    DRAFT = "draft", "Draft"
    TESTED = "tested", "Tested"
    ACTIVE = "active", "Active"
    DISABLED = "disabled", "Disabled"
    SWAPPED = "swapped", "Swapped in"  # a draft copy after its options went live
    DELETED = "deleted", "Deleted"


LIVE_STATES = (SetupState.DRAFT, SetupState.TESTED, SetupState.ACTIVE, SetupState.DISABLED)


class MetadataSource(models.TextChoices):
    URL = "url", "Metadata URL"
    FILE = "file", "Metadata file"
    MANUAL = "manual", "Entered by hand"
    DISCOVERY = "discovery", "Discovery URL"
    FIELDS = "fields", "Provider settings"


class SsoSetup(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="sso_setups"
    )
    provider = models.CharField(max_length=16)  # idp_selfservice.providers.PROVIDERS key
    state = models.CharField(max_length=16, choices=SetupState.choices, default=SetupState.DRAFT)
    connection_name = models.CharField(max_length=128)
    connection = models.OneToOneField(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="sso_setup"
    )
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="draft_copies"
    )
    source = models.CharField(max_length=16, choices=MetadataSource.choices, blank=True)
    metadata_url = models.URLField(max_length=2048, blank=True)
    # What the portal found in the IdP's details, for display: entity id, endpoints with
    # bindings, certificates (subject, fingerprint, validity), warnings. Never secrets.
    idp_summary = models.JSONField(default=dict, blank=True)
    # Profile field -> IdP attribute or claim name ("email", "given_name", "family_name",
    # "name", "user_id").
    attribute_map = models.JSONField(default=dict, blank=True)
    # How it behaves once active (organization flags, IdP-initiated sign-in).
    show_as_button = models.BooleanField(default=True)
    assign_membership_on_login = models.BooleanField(default=True)
    idp_initiated = models.BooleanField(default=False)
    idp_initiated_client_id = models.CharField(max_length=64, blank=True)
    # A new signing certificate the IdP's metadata URL published, waiting for the swap.
    staged_certificate = models.JSONField(default=dict, blank=True)
    metadata_checked_at = models.DateTimeField(null=True, blank=True)
    metadata_check_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    tested_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.connection_name} ({self.get_state_display()})"

    @property
    def is_draft_copy(self) -> bool:
        return self.replaces_id is not None

    @property
    def has_passed_test(self) -> bool:
        return self.state in (SetupState.TESTED, SetupState.ACTIVE, SetupState.DISABLED)

    def certificates(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.idp_summary.get("certificates", [])
        return found


class TestOutcome(models.TextChoices):
    PENDING = "pending", "Waiting for the sign-in"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


class SsoTest(models.Model):
    """One test sign-in: started in the portal, finished on the portal's callback."""

    setup = models.ForeignKey(SsoSetup, on_delete=models.CASCADE, related_name="tests")
    started_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=16, choices=TestOutcome.choices, default=TestOutcome.PENDING
    )
    reason = models.TextField(blank=True)  # plain words, on failure
    hint = models.TextField(blank=True)  # what to change in the IdP
    user_id = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=320, blank=True)
    claims = models.JSONField(default=dict, blank=True)  # ID token claims
    attributes = models.JSONField(default=dict, blank=True)  # the profile Auth0 kept

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Test of {self.setup.connection_name}: {self.get_outcome_display()}"


class CertificateNotice(models.Model):
    """An expiry warning sent for one certificate at one threshold (30, 14, 7, 1 days): the
    unique constraint makes the daily job send each at most once."""

    setup = models.ForeignKey(SsoSetup, on_delete=models.CASCADE, related_name="notices")
    fingerprint = models.CharField(max_length=128)
    threshold_days = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["setup", "fingerprint", "threshold_days"], name="unique_certificate_notice"
            )
        ]

    def __str__(self) -> str:
        return f"{self.threshold_days}-day notice for {self.fingerprint[:11]}"


class SsoPolicy(models.Model):
    """Whether an organization requires single sign-on (idp_selfservice/enforcement.py).

    Required: its own password database no longer serves its applications, only the
    portal's login application, while `break_glass` is on, so an admin can still reach
    the portal to repair single sign-on when the identity provider is down. Only staff
    change `break_glass`. `withheld_applications` are the applications the portal took
    the password database away from, so allowing passwords again gives back exactly
    those."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="sso_policy"
    )
    require_sso = models.BooleanField(default=False)
    break_glass = models.BooleanField(default=True)
    withheld_applications = models.ManyToManyField("orgs.Application", blank=True, related_name="+")
    changed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        state = "SSO required" if self.require_sso else "passwords allowed"
        return f"{self.organization}: {state}"


class SetupLinkScope(models.TextChoices):
    SSO = "sso", "Single sign-on setup"
    DOMAINS = "domains", "Domain verification"
    SCIM = "scim", "Directory provisioning (SCIM)"


class SetupLink(models.Model):
    """A link that lets someone with no portal account (the customer's IT contact) do a
    scoped part of the setup (idp_selfservice/setup_links.py). Only the token's sha256 is
    kept: the URL `/setup/<token>` is shown once and emailed, never stored."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="setup_links"
    )
    scopes = models.JSONField(default=list)  # SetupLinkScope values
    token_hash = models.CharField(max_length=64, unique=True)
    invitee_email = models.EmailField(blank=True)  # as the creator typed it
    lifetime_days = models.PositiveSmallIntegerField(default=7)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Setup link for {self.invitee_email or 'an IT contact'} ({self.organization})"


class SetupLinkUse(models.Model):
    """One opening of a setup link: who said they were, when, from where."""

    link = models.ForeignKey(SetupLink, on_delete=models.CASCADE, related_name="uses")
    email = models.EmailField()
    opened_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.email} at {self.opened_at:%Y-%m-%d %H:%M}"


class SsoTicket(models.Model):
    """An Auth0 Self-Service SSO ticket staff issued for an organization. Never its URL:
    the URL is a bearer link, shown once to the staff member who issued it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="sso_tickets"
    )
    profile_id = models.CharField(max_length=64)
    ticket_id = models.CharField(max_length=255)
    connection_name = models.CharField(max_length=128)
    domain_verification = models.CharField(max_length=16, default="none")
    expires_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket_id"], name="sso_ticket_unique_ticket_id")
        ]

    def __str__(self) -> str:
        return f"SSO ticket for {self.connection_name} ({self.organization})"
