"""Moving old succeeded operations out of the live table into `ArchivedOperation`.

The live table is what the engine, the sweeper and every organization page read; a
succeeded operation is finished for good (nothing retries it), so once it is older than
`SYNC_ARCHIVE_DAYS` only its history matters. The archive keeps that history compact:
no payload, no result.

Only succeeded operations move. Queued, running, failed and cancelled ones stay where a
person or the engine can act on them, and so does a succeeded one that an open
operation still depends on (deleting it would clear the child's `depends_on` and change
when it runs). Organizations' open/failed counts are unaffected: nothing moved was open
or failed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from orgs.models import OPEN_STATES, ArchivedOperation, OpState, SyncOperation

BATCH_SIZE = 500
# Copied into the archive; payload and result (the bulky part) are not read at all.
_ARCHIVED_FIELDS = (
    "id",
    "kind",
    "organization_id",
    "target_type",
    "target_id",
    "priority",
    "origin",
    "attempts",
    "created_at",
    "finished_at",
)


def archive_operations(*, older_than_days: int | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Move succeeded operations finished more than `older_than_days` (default
    `SYNC_ARCHIVE_DAYS`) ago into the archive, one transaction per batch, so a run cut
    short keeps what it finished. Returns how many moved; running it again moves nothing."""
    days = settings.SYNC_ARCHIVE_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    moved, after_id = 0, 0
    while True:
        count, last_id = _archive_batch(cutoff=cutoff, after_id=after_id, size=batch_size)
        if last_id is None:
            return moved
        moved, after_id = moved + count, last_id


def archivable(cutoff: datetime) -> QuerySet[SyncOperation]:
    """Succeeded before `cutoff`, and nothing open waits on it."""
    open_dependents = SyncOperation.objects.filter(depends_on=OuterRef("pk"), state__in=OPEN_STATES)
    return SyncOperation.objects.filter(state=OpState.SUCCEEDED, finished_at__lt=cutoff).exclude(
        Exists(open_dependents)
    )


def _archive_batch(*, cutoff: datetime, after_id: int, size: int) -> tuple[int, int | None]:
    """One batch in id order after `after_id`: (how many moved, the last id looked at,
    or None when nothing is left)."""
    with transaction.atomic():
        rows = list(
            archivable(cutoff)
            .filter(pk__gt=after_id)
            .order_by("pk")
            .select_for_update()
            .values(*_ARCHIVED_FIELDS)[:size]
        )
        if not rows:
            return 0, None
        ids = [row["id"] for row in rows]
        # ignore_conflicts: a row already archived (operation_id is unique) is not an
        # error; its live copy is deleted below all the same.
        ArchivedOperation.objects.bulk_create(
            [ArchivedOperation(**_archived(row)) for row in rows], ignore_conflicts=True
        )
        # The states are checked again in the DELETE itself, so nothing that changed
        # since the read is lost. Finished dependents keep their row, depends_on cleared.
        _, per_model = archivable(cutoff).filter(pk__in=ids).only("pk").delete()
        return per_model.get(SyncOperation._meta.label, 0), ids[-1]


def _archived(row: dict[str, object]) -> dict[str, object]:
    fields = {key: value for key, value in row.items() if key != "id"}
    return {"operation_id": row["id"], **fields}
