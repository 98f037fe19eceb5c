"""The report's last check: which rows' addresses are already users of the connection.

Auth0's user search stops at 1,000 results, so a connection with users is read with an
export job (user_id and email only); an empty connection (the usual case for a new
customer) is known from one search's total. With "update existing users" a row found
there becomes an update of that user (it keeps its id); otherwise it is refused.
"""

from __future__ import annotations

import json

from django.db import transaction

from orgs.auth0.operations import jobs
from orgs.auth0.operations import users as users_api
from orgs.secrets import decrypt_options, encrypt_options
from orgs.usermigration.models import MigrationRow, MigrationStatus, RowStatus, UserMigration
from orgs.usermigration.upload import read_rows

POLL_SECONDS = 2.0
BATCH = 2_000
EXPORT_FAILED = (
    "Auth0 could not list the users already in {connection}, so the file could not be "
    "compared with them. Check again in a few minutes."
)


def check_step(migration: UserMigration) -> float | None:
    """One step of the check: seconds until the next, or None once the report is ready
    (or the check stopped with a problem a person must retry)."""
    connection = migration.connection
    if migration.upload_encrypted:
        read_rows(migration)
        return 0.0
    if not migration.check_job_id:
        if users_api.count_connection_users(connection.name) == 0:
            apply_existing(migration, {})
            return None
        job = jobs.start_export(
            connection_id=str(connection.auth0_id),
            file_format="json",
            fields=[{"name": "user_id"}, {"name": "email"}],
        )
        UserMigration.objects.filter(pk=migration.pk).update(check_job_id=job.id)
        return POLL_SECONDS
    job = jobs.read_job(migration.check_job_id)
    if not job.finished:
        return POLL_SECONDS
    if job.status != "completed" or not job.location:
        UserMigration.objects.filter(pk=migration.pk).update(
            check_job_id="", problem=EXPORT_FAILED.format(connection=connection.name)
        )
        return None
    apply_existing(migration, existing_users(jobs.download_export(job.location)))
    return None


def existing_users(ndjson: bytes) -> dict[str, str]:
    """{email (lower-case): user_id} from an export's JSON lines."""
    found: dict[str, str] = {}
    for line in ndjson.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        user = json.loads(line)
        email = str(user.get("email") or "").strip().lower()
        if email:
            found[email] = str(user.get("user_id") or "")
    return found


@transaction.atomic
def apply_existing(migration: UserMigration, existing: dict[str, str]) -> None:
    """Mark the rows whose address the connection already has, then the report is ready."""
    locked = UserMigration.objects.select_for_update().get(pk=migration.pk)
    if locked.status != MigrationStatus.CHECKING:
        return
    rows = locked.rows.exclude(email="").only(
        "pk", "email", "errors", "status", "payload_encrypted", "needs_password_link"
    )
    emails = [e for e in existing if e]
    for start in range(0, len(emails), BATCH):
        found = rows.filter(email__in=emails[start : start + BATCH])
        changed = [_mark_existing(row, existing[row.email], locked) for row in found]
        MigrationRow.objects.bulk_update(
            changed,
            ["errors", "status", "payload_encrypted", "existing_user_id", "needs_password_link"],
        )
    locked.existing_users = len(existing)
    locked.ready_rows = locked.rows.filter(status=RowStatus.READY).count()
    locked.status = MigrationStatus.CHECKED
    locked.problem = ""
    locked.save(update_fields=["existing_users", "ready_rows", "status", "problem"])


def _mark_existing(row: MigrationRow, user_id: str, migration: UserMigration) -> MigrationRow:
    if migration.upsert and row.status == RowStatus.READY:
        record = decrypt_options(row.payload_encrypted)
        record.pop("user_id", None)  # an update keeps the user's own id
        row.payload_encrypted = encrypt_options(record)
        row.existing_user_id = user_id
        row.needs_password_link = False  # they have a password (or a way to one) already
        return row
    if migration.upsert:
        return row  # refused for other reasons; being there already is no problem
    message = (
        f"Already a user of {migration.connection.name}. Remove the row, or upload the file "
        "again choosing to update existing users."
    )
    row.errors = [*row.errors, {"field": "email", "message": message}]
    row.status = RowStatus.INVALID
    row.payload_encrypted = ""
    row.needs_password_link = False
    return row
