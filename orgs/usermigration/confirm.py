"""Confirming a checked migration: the person's choices, and the split into import jobs.

The rows ready to go are grouped, in file order, into job files under Auth0's size limit
(`chunking.job_files`), each a `MigrationChunk`; from here on the migration's task sends
them (`advance.py`).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from orgs.models import Role
from orgs.secrets import decrypt_options
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.services.invitations import invitation_application
from orgs.usermigration.chunking import job_file, job_files
from orgs.usermigration.models import (
    MigrationChunk,
    MigrationRow,
    MigrationStatus,
    RowStatus,
    UserMigration,
)
from orgs.usermigration.targets import refusal_for
from portal.models import User

LEFT_OUT_NO_HASH = "No usable password hash, and you chose not to import users without one."


@transaction.atomic
def migration_confirm(
    *,
    actor: User | None,
    migration: UserMigration,
    role_names: list[str],
    send_password_links: bool,
) -> UserMigration:
    locked = UserMigration.objects.select_for_update().get(pk=migration.pk)
    if locked.status != MigrationStatus.CHECKED:
        raise ServiceError("This migration is not waiting for confirmation.")
    refusal = refusal_for(locked.organization, locked.connection)
    if refusal:
        raise ServiceError(refusal)
    roles = _roles(role_names)
    if not send_password_links:
        _leave_out_rows_without_hash(locked)
    ready = locked.rows.filter(status=RowStatus.READY)
    if not ready.exists():
        raise ServiceError("No row is ready to import: fix the file and upload it again.")
    if send_password_links and ready.filter(needs_password_link=True).exists():
        locked.application = invitation_application(role_names, None)
    locked.ready_rows = ready.count()
    chunk_count = _plan_chunks(locked)
    locked.roles.set(roles)
    locked.send_password_links = send_password_links
    locked.status = MigrationStatus.IMPORTING
    locked.confirmed_by = actor
    locked.confirmed_at = locked.heartbeat_at = timezone.now()
    locked.save()
    audit(
        actor=actor,
        action="users.migrate",
        organization=locked.organization,
        target=locked.file_name,
        migration=locked.pk,
        connection=locked.connection.name,
        users=locked.ready_rows,
        jobs=chunk_count,
        upsert=locked.upsert,
        roles=sorted(role_names),
        password_links=send_password_links,
    )
    from orgs.usermigration.tasks import send_migration_task

    transaction.on_commit(lambda: send_migration_task(locked.pk))
    return locked


def _roles(role_names: list[str]) -> list[Role]:
    roles = list(Role.objects.filter(name__in=role_names))
    unknown = sorted(set(role_names) - {role.name for role in roles})
    if unknown:
        raise ServiceError(f"Unknown role '{unknown[0]}'.", field="roles")
    return roles


def _leave_out_rows_without_hash(migration: UserMigration) -> None:
    # A ready row has no errors, so one UPDATE gives every such row the same one.
    migration.rows.filter(status=RowStatus.READY, needs_password_link=True).update(
        errors=[{"field": "password", "message": LEFT_OUT_NO_HASH}],
        status=RowStatus.INVALID,
        payload_encrypted="",
    )


def _plan_chunks(migration: UserMigration) -> int:
    """Group the ready rows into job files and record each as a chunk; returns how many."""
    ready = migration.rows.filter(status=RowStatus.READY).order_by("number")
    records = [
        (pk, decrypt_options(token)) for pk, token in ready.values_list("pk", "payload_encrypted")
    ]
    by_pk = dict(records)
    for number, pks in enumerate(job_files(records), start=1):
        chunk = MigrationChunk.objects.create(
            migration=migration,
            number=number,
            row_count=len(pks),
            size_bytes=len(job_file([by_pk[pk] for pk in pks])),
        )
        MigrationRow.objects.filter(pk__in=pks).update(chunk=chunk, status=RowStatus.SENT)
    return migration.chunks.count()
