"""Receiving a users file: read it, check every row, store the report (nothing sent yet).

A JSON file is checked at once; a CSV first waits for its column mapping (kept encrypted
until then). Either way the rows are then checked against the connection's own users by
the migration's task (`connection_check.py`), so the report shows duplicates there too.
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
    """Store an uploaded file as a migration: checked (JSON) or waiting for its mapping
    (CSV). Refused as a whole (ServiceError, nothing stored) when the connection cannot
    take the organization's users or the file cannot be read."""
    refusal = refusal_for(organization, connection)
    if refusal:
        raise ServiceError(refusal, field="connection")
    try:
        file_format = reading.file_format(file_name, data)
        users = reading.read_json_users(data) if file_format == "json" else None
        if users is None:
            reading.read_csv(data)  # refuse an unreadable CSV now, not after the mapping
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
            status=MigrationStatus.MAPPING if users is None else MigrationStatus.CHECKING,
            upload_encrypted=encrypt_bytes(data) if users is None else "",
        )
        audit(
            actor=actor,
            action="users.migration_upload",
            organization=organization,
            target=migration.file_name,
            connection=connection.name,
            migration=migration.pk,
        )
        if users is not None:
            _store_checked(migration, check_users(users))
    return migration


def csv_headers(migration: UserMigration) -> list[str]:
    """The headers of a migration's CSV waiting for its mapping."""
    return reading.read_csv(decrypt_bytes(migration.upload_encrypted)).headers


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
        locked.upload_encrypted = ""  # the rows hold what is needed from here on
        locked.status = MigrationStatus.CHECKING
        locked.save(update_fields=["mapping", "upload_encrypted", "status"])
        _store_checked(locked, check_users(users_from_csv(csv_file, mapping)))
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


def _store_checked(migration: UserMigration, checks: list[RowCheck]) -> None:
    """Store the checked rows, adding the refusals only the database knows (addresses of
    other organizations), and send the migration's task for the connection check."""
    from orgs.usermigration.tasks import send_migration_task

    foreign = foreign_problems(migration.organization, (c.email for c in checks))
    ready = 0
    for batch in _batches(checks, ROW_BATCH):
        rows = [_row(migration, check, foreign.get(check.email, "")) for check in batch]
        ready += sum(1 for row in rows if row.status == RowStatus.READY)
        MigrationRow.objects.bulk_create(rows)
    migration.total_rows = len(checks)
    migration.ready_rows = ready
    migration.save(update_fields=["total_rows", "ready_rows"])
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
