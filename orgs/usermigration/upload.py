"""Receiving a users file: read it, check every row, store the report (nothing sent yet).

The file is kept encrypted until the migration's task has read it (a CSV first waits for
its column mapping); the task checks every row, then compares them with the connection's
own users (`connection_check.py`), so the report shows duplicates there too.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import transaction

from orgs.models import Connection, Organization
from orgs.secrets import decrypt_bytes, encrypt_bytes, encrypt_options
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.usermigration import reading
from orgs.usermigration.checks import RowCheck, check_users
from orgs.usermigration.foreign import foreign_problems
from orgs.usermigration.mapping import CsvMapping, mapping_problems, users_from_csv
from orgs.usermigration.models import MigrationRow, MigrationStatus, RowStatus, UserMigration
from orgs.usermigration.targets import refusal_for
from portal.models import User

ROW_BATCH = 2_000


def migration_upload(
    *,
    actor: User | None,
    organization: Organization,
    connection: Connection,
    file_name: str,
    data: bytes,
    upsert: bool,
) -> UserMigration:
    """Store an uploaded file (encrypted) as a migration: a JSON file goes to its checks
    at once, a CSV waits for its column mapping. Refused as a whole (ServiceError, nothing
    stored) when the connection cannot take the organization's users or the file cannot
    be read; its rows are read and checked by the migration's task (`read_rows`), so a
    file of 100,000 users never holds a request up."""
    refusal = refusal_for(organization, connection)
    if refusal:
        raise ServiceError(refusal, field="connection")
    try:
        file_format = reading.file_format(file_name, data)
        if file_format == "json":
            reading.read_json_users(data)
        else:
            reading.read_csv(data)
    except reading.FileRefused as exc:
        raise ServiceError(exc.message, field="file") from exc
    with transaction.atomic():
        migration = UserMigration.objects.create(
            organization=organization,
            connection=connection,
            file_name=file_name[:255],
            source_format=file_format,
            upsert=upsert,
            uploaded_by=actor,
            status=MigrationStatus.CHECKING if file_format == "json" else MigrationStatus.MAPPING,
            upload_encrypted=encrypt_bytes(data),
        )
        audit(
            actor=actor,
            action="users.migration_upload",
            organization=organization,
            target=migration.file_name,
            connection=connection.name,
            migration=migration.pk,
        )
        if file_format == "json":
            _send_task_on_commit(migration)
    return migration


def migration_map(*, actor: User | None, migration: UserMigration, mapping: CsvMapping) -> None:
    """Read a CSV's rows with the person's column mapping and check them."""
    with transaction.atomic():
        locked = UserMigration.objects.select_for_update().get(pk=migration.pk)
        if locked.status != MigrationStatus.MAPPING:
            raise ServiceError("This file's columns have already been matched.")
        csv_file = reading.read_csv(decrypt_bytes(locked.upload_encrypted))
        problems = mapping_problems(mapping, csv_file.headers)
        if problems:
            raise ServiceError(problems[0][1], field=problems[0][0])
        locked.mapping = mapping.to_json()
        locked.status = MigrationStatus.CHECKING
        locked.save(update_fields=["mapping", "status"])
        _send_task_on_commit(locked)
        audit(
            actor=actor,
            action="users.migration_mapped",
            organization=locked.organization,
            target=locked.file_name,
            migration=locked.pk,
        )


def migration_discard(*, actor: User | None, migration: UserMigration) -> None:
    """Drop a migration that was never confirmed (its rows and their hashes go)."""
    with transaction.atomic():
        locked = UserMigration.objects.select_for_update().get(pk=migration.pk)
        if locked.status not in (
            MigrationStatus.MAPPING,
            MigrationStatus.CHECKING,
            MigrationStatus.CHECKED,
        ):
            raise ServiceError("This migration has started; it can no longer be discarded.")
        locked.rows.all().delete()
        locked.status = MigrationStatus.DISCARDED
        locked.upload_encrypted = ""
        locked.save(update_fields=["status", "upload_encrypted"])
        audit(
            actor=actor,
            action="users.migration_discard",
            organization=locked.organization,
            target=locked.file_name,
            migration=locked.pk,
        )


def read_rows(migration: UserMigration) -> None:
    """The task's first step: read the stored file's users, check each, store the report's
    rows (adding the refusals only the database knows: addresses of other organizations)
    and erase the file, all in one transaction: a pass cut short leaves the file for the
    next one."""
    with transaction.atomic():
        locked = UserMigration.objects.select_for_update().get(pk=migration.pk)
        if not locked.upload_encrypted or locked.status != MigrationStatus.CHECKING:
            return
        data = decrypt_bytes(locked.upload_encrypted)
        if locked.source_format == "json":
            users = reading.read_json_users(data)
        else:
            users = users_from_csv(reading.read_csv(data), CsvMapping.from_json(locked.mapping))
        checks = check_users(users)
        foreign = foreign_problems(locked.organization, (c.email for c in checks))
        ready = 0
        for batch in _batches(checks, ROW_BATCH):
            rows = [_row(locked, check, foreign.get(check.email, "")) for check in batch]
            ready += sum(1 for row in rows if row.status == RowStatus.READY)
            MigrationRow.objects.bulk_create(rows)
        locked.total_rows, locked.ready_rows = len(checks), ready
        locked.upload_encrypted = ""  # the rows hold what is needed from here on
        locked.save(update_fields=["total_rows", "ready_rows", "upload_encrypted"])


def _send_task_on_commit(migration: UserMigration) -> None:
    from orgs.usermigration.tasks import send_migration_task

    transaction.on_commit(lambda: send_migration_task(migration.pk))


def _row(migration: UserMigration, check: RowCheck, foreign: str) -> MigrationRow:
    errors = list(check.errors)
    if foreign:
        errors.append({"field": "email", "message": foreign})
    record = dict(check.record)
    if not errors and not record.get("user_id"):
        # Our own id for the user (Auth0 makes it auth0|<id>): the proof, after a lost
        # answer, that a user in the connection came from this row.
        record["user_id"] = secrets.token_hex(12)
    return MigrationRow(
        migration=migration,
        number=check.number,
        email=check.email[:320],
        name=check.name[:300],
        errors=errors,
        status=RowStatus.INVALID if errors else RowStatus.READY,
        payload_encrypted="" if errors else encrypt_options(record),
        needs_password_link=check.needs_password_link and not errors,
    )


def _batches(items: list[RowCheck], size: int) -> Iterable[list[RowCheck]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
