"""How a migration is going, for its page: counts by outcome (one grouped query), its
jobs, whether its task has stopped, and the time left."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from orgs.bulk.eta import seconds_left
from orgs.usermigration.membership import MEMBERS_PER_CALL
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
    """Time left: the import jobs at their pace so far, and the members, roles and links
    after them at the bulk lane's share of the rate limits (`orgs.bulk.eta`); the two
    overlap (a job's users join while the next job runs), so the longer one is the answer."""
    if migration.status != MigrationStatus.IMPORTING:
        return progress
    jobs = _jobs_seconds_left(progress)
    after = seconds_left(membership_calls(migration, progress))
    eta = None if jobs is None else int(max(jobs, after))
    return MigrationProgress(**{**progress.__dict__, "eta_seconds": eta})


def _jobs_seconds_left(progress: MigrationProgress) -> float | None:
    """Users still in jobs at the pace Auth0 has processed them so far; before a job
    finished, the longest time left a running job reports (None when none says)."""
    if not progress.waiting:
        return 0.0
    finished = [
        job
        for job in progress.jobs
        if job.completed_at and job.submitted_at and job.status != ChunkStatus.FAILED
    ]
    if finished:
        first = min(job.submitted_at for job in finished if job.submitted_at)
        last = max(job.completed_at for job in finished if job.completed_at)
        span = max((last - first).total_seconds(), 1.0)
        pace = sum(job.row_count for job in finished) / span
        return progress.waiting / pace
    reported = [
        job.progress["time_left_seconds"]
        for job in progress.jobs
        if isinstance(job.progress.get("time_left_seconds"), int)
    ]
    return float(max(reported)) if reported else None


def membership_calls(migration: UserMigration, progress: MigrationProgress) -> Counter[str]:
    """Management API calls per bucket still due after the jobs: members added 50 a call,
    one role assignment per user when roles were chosen, a ticket per password link."""
    joining = progress.waiting + progress.imported + progress.updated - progress.members_added
    links = max(progress.links_due - progress.links_mailed, 0)
    return join_calls(joining, with_roles=migration.roles.exists(), links=links)


def join_calls(users: int, *, with_roles: bool, links: int = 0) -> Counter[str]:
    calls: Counter[str] = Counter()
    calls["global"] = math.ceil(users / MEMBERS_PER_CALL) + links
    if with_roles:
        calls["global"] += users
        calls["member_roles"] = users
    return calls


def roles_seconds(users: int) -> float:
    """How long giving `users` users roles takes at the bulk lane's share (one call each):
    said on the confirmation, since it can be far longer than the import itself."""
    return seconds_left({"global": users, "member_roles": users})
