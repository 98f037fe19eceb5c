"""What a person can do to a migration that stopped: continue it, check again, and try
its failed jobs again."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orgs.services.audit import acting_as, audit
from orgs.services.errors import ServiceError
from orgs.usermigration.membership import MAIL_REFUSED, NO_APPLICATION
from orgs.usermigration.models import (
    ChunkStatus,
    MigrationRow,
    MigrationStatus,
    RowStatus,
    UserMigration,
)
from orgs.usermigration.progress import is_stalled
from orgs.usermigration.tasks import send_migration_task
from orgs.usermigration.upload import migration_discard
from portal.models import User


def migration_continue(*, actor: User | None, migration: UserMigration) -> None:
    """Send the task again for a migration whose task stopped, or that stopped on a
    problem (a failed check, a refusal from Auth0)."""
    with transaction.atomic():
        locked = UserMigration.objects.select_for_update().get(pk=migration.pk)
        # A problem that ended the task's passes (a refusal, a failed check); the mail
        # server's or a missing application's leave them running, so they are not here.
        stopped = (
            bool(locked.problem)
            and locked.problem not in (MAIL_REFUSED, NO_APPLICATION)
            and locked.status in (MigrationStatus.CHECKING, MigrationStatus.IMPORTING)
        )
        if not (is_stalled(locked) or stopped):
            raise ServiceError("This migration is running; there is nothing to continue.")
        locked.problem = ""
        locked.save(update_fields=["problem"])
        audit(
            actor=actor,
            action="users.migration_continue",
            organization=locked.organization,
            target=locked.file_name,
            migration=locked.pk,
        )
        transaction.on_commit(lambda: send_migration_task(locked.pk))


def migration_retry_failed_jobs(*, actor: User | None, migration: UserMigration) -> int:
    """Send the jobs that failed as a whole again (their rows kept what they need);
    returns how many. Rows Auth0 refused one by one are not retried: the file must change."""
    with transaction.atomic():
        locked = UserMigration.objects.select_for_update().get(pk=migration.pk)
        # A migration still importing has its task running: it picks the chunks up.
        running = locked.status == MigrationStatus.IMPORTING and not is_stalled(locked)
        failed = list(locked.chunks.filter(status=ChunkStatus.FAILED))
        if not failed:
            raise ServiceError("No import job of this migration failed.")
        kept = locked.rows.filter(chunk__in=failed, status=RowStatus.FAILED)
        if not kept.exclude(payload_encrypted="").exists():
            raise ServiceError(
                f"These users' data was erased {settings.USER_MIGRATION_KEEP_DAYS} days after "
                "the import finished. Upload the file again to import them."
            )
        for chunk in failed:
            chunk.rows.filter(status=RowStatus.FAILED).exclude(payload_encrypted="").update(
                status=RowStatus.SENT, errors=[]
            )
            chunk.status, chunk.job_id, chunk.status_details = ChunkStatus.READY, "", ""
            chunk.save(update_fields=["status", "job_id", "status_details"])
        locked.status, locked.finished_at = MigrationStatus.IMPORTING, None
        locked.save(update_fields=["status", "finished_at"])
        audit(
            actor=actor,
            action="users.migration_retry",
            organization=locked.organization,
            target=locked.file_name,
            migration=locked.pk,
            jobs=len(failed),
        )
        if not running:
            transaction.on_commit(lambda: send_migration_task(locked.pk))
    return len(failed)


def expire_idle_migrations() -> int:
    """Beat, daily: what a migration keeps of its users' data (the file, the rows' users
    with their password hashes) goes once nobody can use it any more: a file never
    confirmed after USER_MIGRATION_KEEP_DAYS is discarded, and a finished migration's
    failed jobs can no longer be tried again after as long. Returns how many changed."""
    cutoff = timezone.now() - timedelta(days=settings.USER_MIGRATION_KEEP_DAYS)
    idle = UserMigration.objects.filter(
        status__in=[MigrationStatus.MAPPING, MigrationStatus.CHECKED], created_at__lt=cutoff
    )
    changed = 0
    for migration in idle.defer("upload_encrypted"):
        with acting_as("system (unconfirmed for too long)"):
            migration_discard(actor=None, migration=migration)
        changed += 1
    finished = UserMigration.objects.filter(
        status=MigrationStatus.FINISHED, finished_at__lt=cutoff
    ).values_list("pk", flat=True)
    changed += (
        MigrationRow.objects.filter(migration_id__in=list(finished))
        .exclude(payload_encrypted="")
        .update(payload_encrypted="")
    )
    return changed


STOPPED_BY_PERSON = (
    "The import was stopped before Auth0 reported on this user: they may be in the "
    "connection without being a member. Check the organization's members."
)


def migration_stop(*, actor: User | None, migration: UserMigration) -> None:
    """The way out of a migration that cannot go on (stopped on a refusal, or stalled):
    nothing more is sent; users Auth0 has not reported on are marked with what may have
    happened to them; the migration is finished and its users' data erased."""
    with transaction.atomic():
        locked = UserMigration.objects.select_for_update().get(pk=migration.pk)
        if locked.status != MigrationStatus.IMPORTING or not (is_stalled(locked) or locked.problem):
            raise ServiceError("Only an import that has stopped can be ended here.")
        locked.rows.filter(status=RowStatus.SENT).update(
            status=RowStatus.FAILED,
            errors=[{"field": "", "message": STOPPED_BY_PERSON}],
        )
        open_chunks = locked.chunks.exclude(status__in=[ChunkStatus.DONE, ChunkStatus.FAILED])
        open_chunks.update(status=ChunkStatus.FAILED, status_details="Stopped by a person.")
        locked.rows.exclude(payload_encrypted="").update(payload_encrypted="")
        locked.status, locked.finished_at = MigrationStatus.FINISHED, timezone.now()
        locked.save(update_fields=["status", "finished_at"])
        audit(
            actor=actor,
            action="users.migration_stop",
            organization=locked.organization,
            target=locked.file_name,
            migration=locked.pk,
        )
