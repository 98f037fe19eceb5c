from __future__ import annotations

import uuid

from django.db import models


class SyncState(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_SYNC = "in_sync", "In sync"
    FAILED = "failed", "Failed"
    DRIFTED = "drifted", "Drifted"


class Synced(models.Model):
    """An Auth0-backed row: our id (sent to Auth0 as metadata.portal_id) and its sync state."""

    portal_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sync_state = models.CharField(
        max_length=16, choices=SyncState.choices, default=SyncState.PENDING
    )
    sync_error = models.TextField(blank=True)
    drift = models.JSONField(
        default=dict, blank=True, help_text="What reconcile found different in Auth0."
    )
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
