"""How a migration is going, for its page: counts by outcome (one grouped query), its
jobs, whether its task has stopped, and the time left."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from orgs.usermigration.models import (
    ChunkStatus,
    MigrationChunk,
    MigrationStatus,
    RowStatus,
    UserMigration,
)

STALLED_AFTER = timedelta(minutes=2)
RUNNING = (MigrationStatus.CHECKING, MigrationStatus.IMPORTING)


@dataclass(frozen=True)
class MigrationProgress:
    total: int
    invalid: int
    waiting: int  # in a job not finished yet
    imported: int
    updated: int
    failed: int
    members_added: int
    links_mailed: int
    links_due: int
    jobs: list[MigrationChunk] = field(default_factory=list)
    eta_seconds: int | None = None
    stalled: bool = False

    @property
    def done(self) -> int:
        return self.imported + self.updated + self.failed

    @property
    def sent(self) -> int:
        return self.done + self.waiting

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.sent) if self.sent else 0

    @property
    def jobs_finished(self) -> int:
        finished = (ChunkStatus.COMPLETED, ChunkStatus.DONE, ChunkStatus.FAILED)
        return sum(1 for job in self.jobs if job.status in finished)

    @property
    def failed_jobs(self) -> int:
        return sum(1 for job in self.jobs if job.status == ChunkStatus.FAILED)


def migration_progress(migration: UserMigration) -> MigrationProgress:
    counts = migration.rows.aggregate(
        total=Count("pk"),
        invalid=Count("pk", filter=Q(status=RowStatus.INVALID)),
        waiting=Count("pk", filter=Q(status=RowStatus.SENT)),
        imported=Count("pk", filter=Q(status=RowStatus.IMPORTED)),
        updated=Count("pk", filter=Q(status=RowStatus.UPDATED)),
        failed=Count("pk", filter=Q(status=RowStatus.FAILED)),
        members_added=Count("pk", filter=Q(member_added_at__isnull=False)),
        links_mailed=Count("pk", filter=Q(link_mailed_at__isnull=False)),
        links_due=Count(
            "pk",
            filter=Q(needs_password_link=True) & Q(status__in=[RowStatus.SENT, RowStatus.IMPORTED]),
        ),
    )
    jobs = list(migration.chunks.order_by("number"))
    progress = MigrationProgress(**counts, jobs=jobs, stalled=is_stalled(migration))
    return _with_eta(migration, progress)


def is_stalled(migration: UserMigration) -> bool:
    """The task should be running but has not shown a sign of life for a while."""
    if migration.status not in RUNNING:
        return False
    last = migration.heartbeat_at or migration.confirmed_at or migration.created_at
    return timezone.now() - last > STALLED_AFTER


def _with_eta(migration: UserMigration, progress: MigrationProgress) -> MigrationProgress:
    """Time left at the pace so far (users finished per second since confirmation)."""
    if migration.status != MigrationStatus.IMPORTING or migration.confirmed_at is None:
        return progress
    left = progress.waiting + (progress.imported + progress.updated - progress.members_added)
    elapsed = (timezone.now() - migration.confirmed_at).total_seconds()
    if progress.done == 0 or elapsed <= 0:
        return progress
    rate = progress.done / elapsed
    return MigrationProgress(
        **{**progress.__dict__, "eta_seconds": int(left / rate) if left else 0}
    )
