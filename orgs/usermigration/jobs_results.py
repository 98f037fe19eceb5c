"""What a finished import job means for its rows: imported, updated, or not, and why.

Auth0 lists the users a job did not take (`/jobs/{id}/errors`); every other user of the
file was inserted or updated. One refusal needs a second look: a job sent again after a
lost answer finds the users the first job imported and calls them duplicates. A row's
user carries the id this portal gave it (random, 24 hex digits), so a "duplicate" found
under the row's own id was imported by the earlier job, and counts as imported.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from orgs.auth0.operations import users as users_api
from orgs.auth0.operations.jobs import JobStatus, UserError
from orgs.secrets import decrypt_options
from orgs.usermigration.models import ChunkStatus, MigrationChunk, MigrationRow, RowStatus

DUPLICATED = "DUPLICATED_USER"
JOB_FAILED = (
    "The import job this user was in failed in Auth0. Nothing of it was imported; "
    "it can be tried again."
)
# Auth0's per-user error codes, in plain words.
CODE_WORDS = {
    DUPLICATED: "Already a user of the connection, so Auth0 did not import them again.",
    "INVALID_FORMAT": "Auth0 did not accept the format of {path}.",
    "INVALID_TYPE": "Auth0 did not accept the type of {path}.",
    "ENUM_MISMATCH": "Auth0 did not accept the value of {path}.",
    "OBJECT_MISSING_REQUIRED_PROPERTY": "Auth0 found a required field missing.",
    "OBJECT_ADDITIONAL_PROPERTIES": "Auth0 did not accept a field it does not know.",
}


def plain_reasons(error: UserError) -> list[dict[str, str]]:
    reasons = []
    for reason in error.errors or [{}]:
        path = reason.get("path") or "a field"
        words = CODE_WORDS.get(reason.get("code", ""), "Auth0 did not import this user.")
        reasons.append({"field": reason.get("path", ""), "message": words.format(path=path)})
    return reasons


@transaction.atomic
def record_completed_job(chunk: MigrationChunk, job: JobStatus, errors: list[UserError]) -> None:
    locked = MigrationChunk.objects.select_for_update().get(pk=chunk.pk)
    if locked.status != ChunkStatus.SUBMITTED or locked.job_id != job.id:
        return  # another pass recorded it
    rows = {row.email: row for row in locked.rows.filter(status=RowStatus.SENT)}
    refused = {e.email: e for e in errors if e.email in rows}
    ours = _imported_earlier([rows[email] for email, e in refused.items() if _is_duplicate(e)])
    for email, row in rows.items():
        error = refused.get(email)
        if error is not None and email not in ours:
            row.status, row.errors = RowStatus.FAILED, plain_reasons(error)
            continue
        row.status = RowStatus.UPDATED if row.existing_user_id else RowStatus.IMPORTED
        row.auth0_user_id = row.existing_user_id or _own_user_id(row)
    MigrationRow.objects.bulk_update(rows.values(), ["status", "errors", "auth0_user_id"])
    locked.status = ChunkStatus.COMPLETED
    locked.summary = job.summary
    locked.progress = {}
    locked.completed_at = timezone.now()
    locked.save(update_fields=["status", "summary", "progress", "completed_at"])


@transaction.atomic
def record_failed_job(chunk: MigrationChunk, details: str) -> None:
    """The whole job failed: its rows are not imported, and keep what is needed to retry.
    Auth0's own words (`details`) stay on the chunk, for staff; rows get plain ones."""
    chunk.rows.filter(status=RowStatus.SENT).update(
        status=RowStatus.FAILED, errors=[{"field": "", "message": JOB_FAILED}]
    )
    MigrationChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.FAILED, status_details=details, progress={}
    )


def _is_duplicate(error: UserError) -> bool:
    return any(reason.get("code") == DUPLICATED for reason in error.errors)


def _own_user_id(row: MigrationRow) -> str:
    user_id = decrypt_options(row.payload_encrypted).get("user_id", "")
    return f"auth0|{user_id}" if user_id else ""


def _imported_earlier(rows: Iterable[MigrationRow]) -> set[str]:
    """Emails of `rows` whose user is in Auth0 under the row's own id. Read one by one
    (user search lags behind a fresh import; this path is rare: a job sent again)."""
    found: set[str] = set()
    for row in rows:
        user_id = "" if row.existing_user_id else _own_user_id(row)
        if user_id and users_api.get_user(user_id) is not None:
            found.add(row.email)
    return found
