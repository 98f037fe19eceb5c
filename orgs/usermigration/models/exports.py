"""An export of an organization's users (`UserExport`): one Auth0 users-export job per
connection, merged into one file the person downloads.

What the work needs is stored as it goes (`jobs`: each connection's job id, committed
before the next call to Auth0), so a restarted worker reads the jobs it started instead
of starting them again. The finished file holds people's personal data: it is kept
encrypted (`file_encrypted`, FIELD_ENCRYPTION_KEYS) and erased after
USER_EXPORT_KEEP_DAYS (`expire_old_exports`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV (a header row, one user a line)"
    JSON = "json", "JSON (one array of users)"


class ExportStatus(models.TextChoices):
    EXPORTING = "exporting", "Exporting"
    READY = "ready", "Ready to download"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class UserExport(models.Model):
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="user_exports"
    )
    file_format = models.CharField(
        max_length=8, choices=ExportFormat.choices, default=ExportFormat.CSV
    )
    status = models.CharField(
        max_length=16, choices=ExportStatus.choices, default=ExportStatus.EXPORTING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Touched by every pass of the task: an export whose task stopped shows as stalled.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Why it failed, or what it is waiting for (Auth0 unreachable), in plain words.
    problem = models.TextField(blank=True)
    # One entry per connection: {connection, connection_id, shared, job_id, status,
    # percentage_done, time_left_seconds}; status is waiting (no job yet), pending,
    # processing, completed (Auth0 done, file not read yet), downloaded or failed.
    jobs = models.JSONField(default=list, blank=True)
    # Shared connections export only the organization's members: the Auth0 user ids read
    # so far from its member list, and where the next page starts
    # ({"user_ids": [...], "cursor": "", "complete": false}).
    members = models.JSONField(default=dict, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    # While exporting: the users taken so far (JSON lines); once ready: the file itself.
    file_encrypted = models.TextField(blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status"], name="userexport_org_status"),
            models.Index(fields=["status", "expires_at"], name="userexport_expiry"),
        ]

    def __str__(self) -> str:
        return f"users of {self.organization_id} as {self.file_format} ({self.created_at:%Y-%m-%d})"

    @property
    def is_exporting(self) -> bool:
        return self.status == ExportStatus.EXPORTING

    @property
    def downloadable(self) -> bool:
        # Ready means the file is there (expiry erases it and says EXPIRED), so lists
        # never load the file itself (`defer("file_encrypted")`) to tell.
        return self.status == ExportStatus.READY
