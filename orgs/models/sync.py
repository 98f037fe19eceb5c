from __future__ import annotations

from django.db import models
from django.utils import timezone


class OpState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class SyncOperation(models.Model):
    """One Management API change: the outbox entry and the journal of its attempts."""

    kind = models.CharField(max_length=64)
    organization = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sync_operations",
    )
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=16, choices=OpState.choices, default=OpState.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=128, blank=True)
    depends_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="dependents"
    )
    last_error = models.TextField(blank=True)
    last_error_code = models.CharField(max_length=64, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="syncop_due"),
            models.Index(fields=["state", "lease_expires_at"], name="syncop_lease"),
            models.Index(fields=["target_type", "target_id"], name="syncop_target"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def target_pk(self) -> int:
        """The target row's id (every operation has one)."""
        if self.target_id is None:
            raise ValueError(f"operation {self.pk} has no target")
        return self.target_id

    @property
    def is_open(self) -> bool:
        return self.state in (OpState.QUEUED, OpState.RUNNING)

    @property
    def waiting_on(self) -> SyncOperation | None:
        parent = self.depends_on
        if parent is not None and parent.state != OpState.SUCCEEDED:
            return parent
        return None
