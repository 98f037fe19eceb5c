"""Bulk provisioning: a CSV of organizations checked row by row (a BulkRun and its
BulkRows), then, once a person confirms, created by a task in the bulk lane.

The report is stored, so leaving the page loses nothing; each row records the
organization it made in the same transaction that made it, so a restarted run skips it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from orgs.models.organizations import MembershipModel


class BulkRunStatus(models.TextChoices):
    CHECKED = "checked", "Waiting for confirmation"
    CREATING = "creating", "Creating organizations"
    # Every ready row was handled (created or refused); their operations may still run.
    CREATED = "created", "Organizations created"


class BulkRun(models.Model):
    """One uploaded file: who sent it, which application its URLs and invitations use,
    and how far its creation got."""

    file_name = models.CharField(max_length=255)
    application = models.ForeignKey(
        "orgs.Application", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=BulkRunStatus.choices, default=BulkRunStatus.CHECKED
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept at upload, so the runs list never counts the rows table.
    total_rows = models.PositiveIntegerField(default=0)
    ready_rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Touched after every row the task handles: a run whose task stopped (a lost message,
    # a worker gone) shows as stalled and can be continued.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_creating_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def problem_rows(self) -> int:
        return self.total_rows - self.ready_rows


class BulkRowStatus(models.TextChoices):
    READY = "ready", "Ready"
    INVALID = "invalid", "Has problems"  # skipped: never created
    CREATED = "created", "Created"
    FAILED = "failed", "Could not be created"


class BulkRow(models.Model):
    """One row of the file: what it asked for (`data`, cleaned), what is wrong with it
    (`errors`: [{"field", "message"}]) and, once created, its organization."""

    run = models.ForeignKey(BulkRun, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(help_text="The row's line in the file (header: 1).")
    data = models.JSONField(default=dict)
    errors = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=BulkRowStatus.choices, default=BulkRowStatus.READY
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bulk_rows",
    )

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="unique_bulk_row_number"),
        ]
        indexes = [models.Index(fields=["run", "status"], name="bulkrow_run_status")]

    def __str__(self) -> str:
        return f"row {self.number} of run {self.run_id}"

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    @property
    def display_name(self) -> str:
        return str(self.data.get("display_name", ""))

    @property
    def membership_label(self) -> str:
        value = str(self.data.get("membership_model", ""))
        return str(MembershipModel(value).label) if value in MembershipModel.values else value
