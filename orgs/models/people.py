from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from orgs.models.base import Synced
from orgs.models.organizations import Organization


class Role(models.Model):
    auth0_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=50, unique=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Member(Synced):
    """A user's membership of an organization, with the roles we want them to have."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")
    user_id = models.CharField(max_length=255, help_text="The Auth0 user id (sub).")
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=255, blank=True)
    roles = models.ManyToManyField(Role, blank=True, related_name="members")
    removing = models.BooleanField(default=False)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user_id"], name="unique_member"),
        ]
        # Addresses compared case-blind (a users file against other organizations' people).
        indexes = [models.Index(Lower("email"), name="member_email_lower")]

    def __str__(self) -> str:
        return self.email or self.user_id

    def role_names(self) -> list[str]:
        return sorted(role.name for role in self.roles.all())


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


class Invitation(Synced):
    """An invitation to join an organization (an Auth0 invitation, or user + ticket)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    inviter_name = models.CharField(max_length=255)
    roles = models.ManyToManyField(Role, blank=True, related_name="invitations")
    application = models.ForeignKey(
        "orgs.Application", on_delete=models.PROTECT, related_name="invitations"
    )
    connection = models.ForeignKey(
        "orgs.Connection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    uses_ticket = models.BooleanField(
        default=False, help_text="Own-database organizations: a user plus a password ticket."
    )
    auth0_id = models.CharField(max_length=64, blank=True)
    auth0_user_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    ttl_seconds = models.PositiveIntegerField(default=7 * 24 * 3600)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Set (and committed) just before the portal mails a ticket: a retry that finds it
    # set never mails a second ticket (the first may have gone out).
    ticket_mail_started_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(Lower("email"), name="invitation_email_lower")]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization}"
