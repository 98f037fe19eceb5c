from __future__ import annotations

from django.db import models
from django.utils import timezone


class OpState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# The one meaning of "open": recorded and not finished. A FAILED operation is finished
# (it waits for a person); nothing waits on it except what needs the Auth0 id it creates.
OPEN_STATES = (OpState.QUEUED, OpState.RUNNING)
# Open, or failed and still showing on its target.
UNSETTLED_STATES = (OpState.QUEUED, OpState.RUNNING, OpState.FAILED)


class Priority(models.TextChoices):
    """Who is waiting for an operation: a person in the portal, or a batch."""

    INTERACTIVE = "interactive", "Interactive"
    BULK = "bulk", "Bulk"


class Origin(models.TextChoices):
    """Who recorded an operation; customer admins may only retry or cancel their own kind."""

    STAFF = "staff", "Staff"
    CUSTOMER = "customer", "Customer admin"
    SYSTEM = "system", "System"


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
    # The natural identity of what the operation changes in Auth0 (organization +
    # connection for a link, not the link row's id): the per-target lock and every
    # "is something else open on this target" question use it, so a row deleted and
    # made again is still the same target.
    target_key = models.CharField(max_length=200, db_index=True, default="")
    priority = models.CharField(
        max_length=16, choices=Priority.choices, default=Priority.INTERACTIVE
    )
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.SYSTEM)
    payload = models.JSONField(default=dict, blank=True)
    # kind + target_key: at most one QUEUED operation per key (a second request for the
    # same change merges into it, since the handler reads the wish when it runs).
    idempotency_key = models.CharField(max_length=200)
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
            models.Index(fields=["organization", "state"], name="syncop_org_state"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=models.Q(state="queued"),
                name="one_queued_operation_per_key",
            ),
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
        return self.state in OPEN_STATES

    @property
    def covered_by(self) -> int | None:
        """The operation whose call carried this one's change (it made no call itself)."""
        by = (self.result or {}).get("covered_by")
        return int(by) if by else None

    @property
    def waiting_on(self) -> SyncOperation | None:
        parent = self.depends_on
        if parent is not None and parent.state != OpState.SUCCEEDED:
            return parent
        return None


class ArchivedOperation(models.Model):
    """A succeeded operation past `SYNC_ARCHIVE_DAYS`, kept compact (no payload or result)
    so the live table stays small while the history of what was sent remains."""

    operation_id = models.BigIntegerField(unique=True)
    kind = models.CharField(max_length=64)
    organization_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    priority = models.CharField(max_length=16, choices=Priority.choices)
    origin = models.CharField(max_length=16, choices=Origin.choices)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.operation_id} (archived)"
