"""A sign-up: a prospective customer's request for an organization, from the form to the
organization it became. Nothing of it reaches Auth0 before the email address is verified."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class SignupStatus(models.TextChoices):
    AWAITING_VERIFICATION = "awaiting_verification", "Awaiting verification"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    # Verified, but the short name was taken by someone else before the link was
    # clicked: the person chooses another one on the progress page.
    NAME_TAKEN = "name_taken", "Needs another short name"
    # The organization exists; whether Auth0 has all of it yet is its operations' state.
    PROVISIONED = "provisioned", "Provisioning"
    REFUSED = "refused", "Refused"
    EXPIRED = "expired", "Abandoned"


# Sign-ups that still hold their person's attention: they count towards the per-email cap.
LIVE_STATUSES = (
    SignupStatus.AWAITING_VERIFICATION,
    SignupStatus.AWAITING_APPROVAL,
    SignupStatus.NAME_TAKEN,
    SignupStatus.PROVISIONED,
)


class Signup(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company_name = models.CharField(max_length=100)
    slug = models.CharField(max_length=50, help_text="The organization's short name.")
    admin_name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254, db_index=True)
    status = models.CharField(
        max_length=24, choices=SignupStatus.choices, default=SignupStatus.AWAITING_VERIFICATION
    )
    # Part of every verification link: signed with SECRET_KEY, so a link cannot be made
    # without it, and a link is only ever good for this sign-up.
    token_nonce = models.CharField(max_length=32, default=new_nonce, editable=False)
    terms_version = models.CharField(max_length=32)
    # sha256 of the address the form came from (abuse investigations), never the address.
    ip_hash = models.CharField(max_length=64, blank=True)
    verification_sent_at = models.DateTimeField(null=True, blank=True)
    verification_sends = models.PositiveIntegerField(default=0)
    # The mail server refused the last send: the page says so and offers to send again.
    verification_send_failed = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    organization = models.OneToOneField(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signup",
    )
    provisioned_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.CharField(max_length=500, blank=True)
    # Staff were told this sign-up's setup failed (once per failure, see orgs.signup.watch).
    failure_alerted_at = models.DateTimeField(null=True, blank=True)
    auto_retries = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            # One verified sign-up waiting per short name: two people cannot both be
            # promised "acme" while staff decide.
            models.UniqueConstraint(
                fields=["slug"],
                condition=Q(status="awaiting_approval"),
                name="unique_signup_slug_awaiting_approval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.email})"
