from __future__ import annotations

from django.db import models


class OrganizationVersion(models.Model):
    """One version of an organization's configuration (orgs.history.snapshot's shape),
    recorded in the same transaction as the change that produced it."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(help_text="1, 2, ... per organization.")
    snapshot = models.JSONField()
    # The audit event that produced it: null when the event is gone, never for a new one.
    event = models.ForeignKey(
        "orgs.AuditEvent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="versions",
    )
    actor_label = models.CharField(max_length=255, help_text="Who, as the audit event said.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="unique_organization_version_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} version {self.number}"
