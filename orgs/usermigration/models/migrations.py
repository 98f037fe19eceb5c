"""A user migration: one uploaded file of users (a `UserMigration`), its rows as checked
(`MigrationRow`), and the Auth0 import jobs it was split into (`MigrationChunk`).

Everything the work needs is stored as it goes, so leaving the page loses nothing and a
restarted worker resumes where the last one stopped: a chunk is marked `submitting`
(committed) before its job is sent and `submitted` with the job's id right after, and each
row records its membership and its password-link mail the same way.

What a row sends to Auth0 (its password hash included) is kept encrypted
(`payload_encrypted`, FIELD_ENCRYPTION_KEYS) and erased once the migration has finished.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

DEFAULT_ROLE_HELP = "Roles every imported user gets in the organization."


class MigrationStatus(models.TextChoices):
    MAPPING = "mapping", "Waiting for the column mapping"
    CHECKING = "checking", "Checking against the connection"
    CHECKED = "checked", "Waiting for confirmation"
    IMPORTING = "importing", "Importing"
    FINISHED = "finished", "Finished"
    DISCARDED = "discarded", "Discarded"


class UserMigration(models.Model):
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="user_migrations"
    )
    connection = models.ForeignKey(
        "orgs.Connection", on_delete=models.PROTECT, related_name="user_migrations"
    )
    file_name = models.CharField(max_length=255)
    source_format = models.CharField(max_length=8, help_text="json or csv")
    # A CSV waiting for its column mapping, encrypted; erased once its rows are read.
    upload_encrypted = models.TextField(blank=True, editable=False)
    # {"columns": {field: header}, "hash": {...}}: how a CSV's columns became users.
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=MigrationStatus.choices, default=MigrationStatus.CHECKING
    )
    upsert = models.BooleanField(
        default=False, help_text="Update users already in the connection instead of failing."
    )
    send_password_links = models.BooleanField(
        default=True,
        help_text="Import rows without a usable hash without a password, and email each "
        "user a link to choose one.",
    )
    roles = models.ManyToManyField(
        "orgs.Role", blank=True, related_name="+", help_text=DEFAULT_ROLE_HELP
    )
    # Where a password link leads (the application an invitation would use).
    application = models.ForeignKey(
        "orgs.Application", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The check against the users already in the connection (an Auth0 export job).
    check_job_id = models.CharField(max_length=64, blank=True)
    existing_users = models.PositiveIntegerField(default=0)
    # The last thing that went wrong with the migration as a whole, in plain words.
    problem = models.TextField(blank=True)
    # Kept as rows are checked and handled, so lists never count the rows table.
    total_rows = models.PositiveIntegerField(default=0)
    ready_rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Touched by every pass of the task: a migration whose task stopped shows as stalled.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} into {self.connection_id} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def problem_rows(self) -> int:
        return self.total_rows - self.ready_rows


class RowStatus(models.TextChoices):
    READY = "ready", "Ready"
    INVALID = "invalid", "Has problems"  # never sent
    SENT = "sent", "Being imported"
    IMPORTED = "imported", "Imported"
    UPDATED = "updated", "Updated"
    FAILED = "failed", "Not imported"


class MigrationRow(models.Model):
    migration = models.ForeignKey(UserMigration, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(help_text="The user's line (CSV) or position (JSON).")
    email = models.CharField(max_length=320, blank=True)
    name = models.CharField(max_length=300, blank=True)
    # [{"field", "message"}]: why the row is not sent (checks) or not imported (Auth0).
    errors = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=RowStatus.choices, default=RowStatus.READY)
    # The user as Auth0's import file takes it (password hash included), encrypted.
    payload_encrypted = models.TextField(blank=True, editable=False)
    # No usable password hash: imported without a password, then mailed a link to set one.
    needs_password_link = models.BooleanField(default=False)
    chunk = models.ForeignKey(
        "MigrationChunk", null=True, blank=True, on_delete=models.SET_NULL, related_name="rows"
    )
    # The Auth0 user id: what the import assigns (auth0|<user_id>), or the user already there.
    auth0_user_id = models.CharField(max_length=255, blank=True)
    existing_user_id = models.CharField(max_length=255, blank=True)
    member_added_at = models.DateTimeField(null=True, blank=True)
    # Set (committed) before the link is mailed: a retry that finds it never mails twice.
    link_mail_started_at = models.DateTimeField(null=True, blank=True)
    link_mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["migration", "number"]
        constraints = [
            models.UniqueConstraint(fields=["migration", "number"], name="unique_migration_row"),
        ]
        indexes = [
            models.Index(fields=["migration", "status"], name="migrationrow_status"),
            models.Index(fields=["migration", "email"], name="migrationrow_email"),
            models.Index(fields=["chunk", "status"], name="migrationrow_chunk_status"),
        ]

    def __str__(self) -> str:
        return f"row {self.number} of migration {self.migration_id}"

    @property
    def imported(self) -> bool:
        return self.status in (RowStatus.IMPORTED, RowStatus.UPDATED)


class ChunkStatus(models.TextChoices):
    READY = "ready", "Waiting to be sent"
    # Marked (and committed) just before the job is sent: found so after a restart, the
    # job may or may not exist, and its users are looked up before anything is sent again.
    SUBMITTING = "submitting", "Being sent"
    SUBMITTED = "submitted", "Import job running"
    COMPLETED = "completed", "Import job completed"
    FAILED = "failed", "Import job failed"
    DONE = "done", "Members added"


class MigrationChunk(models.Model):
    """One Auth0 import job's worth of rows (a users file under Auth0's size limit)."""

    migration = models.ForeignKey(UserMigration, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=ChunkStatus.choices, default=ChunkStatus.READY)
    job_id = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    # Auth0's job summary {failed, updated, inserted, total} once completed.
    summary = models.JSONField(default=dict, blank=True)
    status_details = models.TextField(blank=True)
    # How the job was going when last read (percentage_done, time_left_seconds).
    progress = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["migration", "number"]
        constraints = [
            models.UniqueConstraint(fields=["migration", "number"], name="unique_migration_chunk"),
        ]

    def __str__(self) -> str:
        return f"job {self.number} of migration {self.migration_id}"
