"""The export's file: the users taken from Auth0's export files as they arrive (kept as
JSON lines, encrypted, while the export runs), and the file a person downloads (CSV with
a header row, or one JSON array)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from orgs.auth0.errors import Auth0Error
from orgs.auth0.operations import jobs as auth0_jobs
from orgs.secrets import decrypt_bytes, encrypt_bytes
from orgs.usermigration.models import ExportFormat, ExportStatus, UserExport
from portal.spreadsheets import csv_lines

# The user fields a customer gets (never a password hash: Auth0 never exports one).
EXPORT_FIELDS = (
    "user_id",
    "email",
    "email_verified",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "created_at",
    "last_login",
    "logins_count",
    "blocked",
)
COLUMNS = (*EXPORT_FIELDS, "connection")
# A job entry's status once its file is in the export.
DOWNLOADED = "downloaded"


def file_users(data: bytes) -> list[dict[str, Any]]:
    try:
        users = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    except ValueError as exc:
        raise Auth0Error("The export's file is not JSON lines.", code="bad_file") from exc
    return [user for user in users if isinstance(user, dict)]


def exported_user(raw: dict[str, Any], connection: str) -> dict[str, Any]:
    """Only the fields we asked for, in a fixed order, whatever else the file carries."""
    user: dict[str, Any] = {name: raw.get(name) for name in EXPORT_FIELDS}
    user["user_id"] = str(user["user_id"] or "")
    user["blocked"] = bool(user["blocked"])  # Auth0 leaves it out for users not blocked
    user["connection"] = connection
    return user


def taken_users(file_encrypted: str) -> list[dict[str, Any]]:
    """The users taken so far (what `json_lines` wrote, encrypted)."""
    if not file_encrypted:
        return []
    text = decrypt_bytes(file_encrypted).decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def json_lines(users: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(user, ensure_ascii=False) + "\n" for user in users).encode()


def csv_file(users: list[dict[str, Any]]) -> bytes:
    rows = ([_csv_cell(user.get(column)) for column in COLUMNS] for user in users)
    return "".join(csv_lines(COLUMNS, rows)).encode("utf-8")


def _csv_cell(value: Any) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value  # csv_lines makes a cell a spreadsheet would run as a formula safe


def json_file(users: list[dict[str, Any]]) -> bytes:
    # One array, a user a line: valid JSON that still reads well in a text editor.
    lines = ",\n".join(json.dumps(user, ensure_ascii=False) for user in users)
    return (f"[\n{lines}\n]\n" if users else "[]\n").encode("utf-8")


def take_file(export: UserExport, entry: dict[str, Any], job: auth0_jobs.JobStatus | None) -> None:
    """Add the finished job's users to those taken so far, in one save with its status."""
    if job is None or not job.location:
        job = auth0_jobs.read_job(entry["job_id"])  # a fresh location: the old one expires
    data = auth0_jobs.download_export(job.location)
    members = set(export.members.get("user_ids", [])) if entry["shared"] else None
    taken = taken_users(export.file_encrypted)
    seen = {user["user_id"] for user in taken}
    for raw in file_users(data):
        user = exported_user(raw, entry["connection"])
        if user["user_id"] in seen or (members is not None and user["user_id"] not in members):
            continue
        seen.add(user["user_id"])
        taken.append(user)
    entry.update(status=DOWNLOADED, percentage_done=100, time_left_seconds=0)
    export.file_encrypted = encrypt_bytes(json_lines(taken))
    export.row_count = len(taken)
    export.save(update_fields=["jobs", "file_encrypted", "row_count"])


def finish_file(export: UserExport) -> None:
    users = taken_users(export.file_encrypted)
    written = csv_file(users) if export.file_format == ExportFormat.CSV else json_file(users)
    now = timezone.now()
    export.file_encrypted = encrypt_bytes(written)
    export.row_count = len(users)
    export.status = ExportStatus.READY
    export.problem = ""
    export.finished_at = now
    export.expires_at = now + timedelta(days=settings.USER_EXPORT_KEEP_DAYS)
    export.save(
        update_fields=[
            "file_encrypted",
            "row_count",
            "status",
            "problem",
            "finished_at",
            "expires_at",
        ]
    )
