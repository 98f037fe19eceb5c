"""Our copy of the tenant's Auth0 logs, kept longer than Auth0 keeps them (2 to 30 days).

Each row is one event as Auth0 gave it (`raw`), with the fields staff search by lifted
into columns. `route` is ours: the Management API route an `api_limit` or `fapi` event
was about, with ids replaced by `{id}`, so the scan can group by it in SQL.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

# Auth0's log ids are 56 digits today; room to spare, since a truncated id would break
# both uniqueness and checkpoint paging.
LOG_ID_LENGTH = 128


class Auth0LogEntry(models.Model):
    log_id = models.CharField(max_length=LOG_ID_LENGTH, unique=True)
    date = models.DateTimeField(db_index=True)
    type = models.CharField(max_length=64, db_index=True)
    description = models.TextField(blank=True)
    client_id = models.CharField(max_length=255, blank=True)
    client_name = models.CharField(max_length=255, blank=True)
    connection = models.CharField(max_length=255, blank=True)
    user_id = models.CharField(max_length=255, blank=True)
    user_name = models.CharField(max_length=255, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    route = models.CharField(max_length=255, blank=True)
    raw = models.JSONField()
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-date", "-log_id")
        indexes = [
            # The scan counts one set of types over a date range.
            models.Index(fields=("type", "date"), name="auth0log_type_date"),
        ]
        verbose_name = "Auth0 log entry"
        verbose_name_plural = "Auth0 log entries"

    def __str__(self) -> str:
        return f"{self.type} {self.log_id}"


class LogArchiveCheckpoint(models.Model):
    """The archive's one row: where the next pull starts, and how the last run went.

    A row of its own rather than max(log_id) of the entries: retention deletes entries
    (an empty archive would start again from the oldest log Auth0 still has and re-import
    what we had deleted), and the pull moves the checkpoint with a conditional UPDATE from
    the `from` it read with, so two runs at once can never move it backwards."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    last_log_id = models.CharField(max_length=LOG_ID_LENGTH, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    # When a run last reached the end of Auth0's log (a short page).
    caught_up_at = models.DateTimeField(null=True, blank=True)
    last_run_stored = models.PositiveIntegerField(default=0)
    # Plain words for staff; the error as raised, for support.
    last_error = models.CharField(max_length=500, blank=True)
    last_error_detail = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="auth0log_checkpoint_single_row"),
        ]

    def __str__(self) -> str:
        return f"Auth0 log checkpoint {self.last_log_id or '(none)'}"
