"""One pass of a migration's task: check, send jobs, read jobs, add members, finish.

A pass holds the migration's lock (one pass at a time, whatever the queue redelivers) and
works for at most `PASS_SECONDS`; it returns when the next pass should run. Every step
commits before it calls Auth0 and again right after, so a restarted worker resumes where
the last one stopped:

- a chunk is `submitting` (committed) while its job is sent, `submitted` with the job's id
  right after. A pass that finds one still `submitting` knows the worker died inside that
  call (the lock says no pass is running) and sends it again; its users carry the ids this
  portal gave them, so a user the first job did import is recognised, not duplicated
  (`jobs_results.py`);
- members and password links are recorded per row (`membership.py`).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orgs.auth0.errors import Auth0Error, LockBusy, RateLimited
from orgs.auth0.locks import resource_lock
from orgs.auth0.operations import jobs
from orgs.secrets import decrypt_options
from orgs.usermigration.chunking import job_file
from orgs.usermigration.connection_check import check_step
from orgs.usermigration.jobs_results import record_completed_job, record_failed_job
from orgs.usermigration.membership import finish_members
from orgs.usermigration.models import (
    ChunkStatus,
    MigrationChunk,
    MigrationStatus,
    RowStatus,
    UserMigration,
)

PASS_SECONDS = 20.0
POLL_SECONDS = 2.0
LOCK_KIND = "user_migration"
SUBMIT_REFUSED = "Auth0 refused the import job: {reason}"
STOPPED = (
    "Auth0 refused a step of this migration, so it has stopped. Nothing is lost: "
    "Continue picks it up where it stopped."
)
log = logging.getLogger(__name__)


def migration_advance(migration_id: int, *, pass_seconds: float = PASS_SECONDS) -> float | None:
    """Run one pass; seconds until the next pass, or None when nothing is left to do."""
    try:
        with resource_lock(LOCK_KIND, str(migration_id)):
            return _pass(migration_id, time.monotonic() + pass_seconds)
    except LockBusy:
        return None  # another pass runs, and its chain goes on: this extra one ends
    except RateLimited as exc:
        return max((exc.retry_at or 0) - time.time(), 0.5)
    except Auth0Error as exc:
        if exc.retryable:
            return POLL_SECONDS * 5
        # A refusal that waiting will not cure: the migration stops and says so; a person
        # continues it once the cause is fixed (staff see Auth0's words in the log).
        log.warning("user migration %s stopped: %s", migration_id, exc)
        UserMigration.objects.filter(pk=migration_id).update(problem=STOPPED)
        return None


def _pass(migration_id: int, deadline: float) -> float | None:
    migration = (
        UserMigration.objects.select_related("connection", "organization")
        .filter(pk=migration_id)
        .first()
    )
    if migration is None:
        return None
    UserMigration.objects.filter(pk=migration_id).update(heartbeat_at=timezone.now())
    if migration.status == MigrationStatus.CHECKING:
        return check_step(migration)
    if migration.status != MigrationStatus.IMPORTING:
        return None
    _read_jobs(migration)
    _send_jobs(migration)
    members_due = finish_members(migration, deadline)
    if _finish_if_done(migration):
        return None
    return POLL_SECONDS if members_due is None else members_due


def _read_jobs(migration: UserMigration) -> None:
    for chunk in migration.chunks.filter(status=ChunkStatus.SUBMITTED).order_by("number"):
        job = jobs.read_job(chunk.job_id)
        if not job.finished:
            progress = {
                "status": job.status,
                "percentage_done": job.percentage_done,
                "time_left_seconds": job.time_left_seconds,
            }
            MigrationChunk.objects.filter(pk=chunk.pk).update(progress=progress)
        elif job.status == "completed":
            record_completed_job(chunk, job, jobs.read_import_errors(chunk.job_id))
        else:
            record_failed_job(chunk, job.status_details)


def _send_jobs(migration: UserMigration) -> None:
    """Send waiting chunks (and one left `submitting` by a dead worker) while the tenant
    has room for more import jobs."""
    limit = settings.USER_MIGRATION_CONCURRENT_JOBS
    waiting = migration.chunks.filter(status__in=[ChunkStatus.SUBMITTING, ChunkStatus.READY])
    for chunk in waiting.order_by("-status", "number"):  # "submitting" ones first
        if migration.chunks.filter(status=ChunkStatus.SUBMITTED).count() >= limit:
            return
        if not _send(migration, chunk):
            return


def _send(migration: UserMigration, chunk: MigrationChunk) -> bool:
    """Send one chunk's job; False when Auth0 has no room for it now (try next pass)."""
    records = [
        decrypt_options(token)
        for token in chunk.rows.filter(status=RowStatus.SENT)
        .order_by("number")
        .values_list("payload_encrypted", flat=True)
    ]
    MigrationChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.SUBMITTING, attempts=chunk.attempts + 1
    )
    try:
        job = jobs.start_import(
            connection_id=str(migration.connection.auth0_id),
            users_file=job_file(records),
            upsert=migration.upsert,
            external_id=f"portal-migration-{migration.pk}-{chunk.number}",
        )
    except RateLimited:
        # Auth0's "too many import jobs" is a 429 too: nothing was created.
        MigrationChunk.objects.filter(pk=chunk.pk).update(status=ChunkStatus.READY)
        return False
    except Auth0Error as exc:
        if exc.retryable:
            raise  # the pass ends; "submitting" makes the next one send it again
        record_failed_job(chunk, SUBMIT_REFUSED.format(reason=_plain(exc)))
        return True
    MigrationChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.SUBMITTED, job_id=job.id, submitted_at=timezone.now()
    )
    return True


def _plain(exc: Auth0Error) -> str:
    if exc.status == 413:
        return "the file was larger than Auth0 accepts."
    if exc.status == 400:
        return "Auth0 did not accept the file or the connection."
    return "Auth0 gave an unexpected answer."


@transaction.atomic
def _finish_if_done(migration: UserMigration) -> bool:
    locked = UserMigration.objects.select_for_update().get(pk=migration.pk)
    open_chunks = locked.chunks.exclude(status__in=[ChunkStatus.DONE, ChunkStatus.FAILED])
    if locked.status != MigrationStatus.IMPORTING or open_chunks.exists():
        return False
    locked.status = MigrationStatus.FINISHED
    locked.finished_at = timezone.now()
    locked.save(update_fields=["status", "finished_at"])
    return True
