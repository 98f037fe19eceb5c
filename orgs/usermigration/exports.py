"""Exporting an organization's users: what a customer gets when they ask for their data.

1. `export_request` records the export (one entry per connection, audited) and, on
   commit, sends the task (orgs/usermigration/export_tasks.py, bulk lane).
2. `export_advance` is one pass of the task, under the export's lock: it starts the Auth0
   users-export jobs not started yet (each job id committed before the next call, so a
   restarted worker never starts one twice), reads how the others are going, reads the
   organization's members (shared connections export only them), and takes each
   finished job's file into the export as it finishes. When every connection is in, the
   file is written in the chosen format and kept encrypted until it expires.
3. `expire_old_exports` (beat, daily) erases files older than USER_EXPORT_KEEP_DAYS.

Auth0 is always asked for JSON lines, whatever the person chose: the values keep their
types (a CSV would turn `true` and `0` into text), and the files of several connections
are merged, filtered and de-duplicated before the chosen file is written.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orgs.auth0.errors import Auth0Error, LockBusy, RateLimited
from orgs.auth0.locks import resource_lock
from orgs.auth0.operations import jobs as auth0_jobs
from orgs.auth0.operations.members import members_page
from orgs.models import Connection, Organization, OrganizationConnection
from orgs.secrets import decrypt_bytes
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.usermigration.export_files import DOWNLOADED, EXPORT_FIELDS, finish_file, take_file
from orgs.usermigration.models import ExportFormat, ExportStatus, UserExport
from portal.models import User

logger = logging.getLogger(__name__)

EXPORT_TASK = "orgs.usermigration.export_tasks.advance_user_export"
EXPORT_QUEUE = "auth0-bulk"
# A job entry's status before Auth0 has it.
WAITING = "waiting"
RUNNING_JOB_STATES = ("pending", "processing")
# An exporting export whose task has shown no progress for this long has stopped.
STALLED_AFTER = timedelta(minutes=2)
# How often a pass comes back while Auth0's jobs run, and after a passing failure.
POLL_SECONDS = 3.0
RETRY_SECONDS = 15.0
MAX_WAIT_SECONDS = 60.0  # stays well under STALLED_AFTER, so waiting never looks stalled
# Member pages are read for at most this long in one pass; the rest in the next.
MEMBERS_PASS_SECONDS = 20.0
MEMBERS_PER_PAGE = 100
WAITING_FOR_AUTH0 = "Auth0 could not be reached just now; the export carries on by itself."
SLOWING_DOWN = "Auth0 asked the portal to slow down; the export carries on by itself."


# --- requesting ---------------------------------------------------------------------------


def exported_connections(organization: Organization) -> list[dict[str, Any]]:
    """The job entries an export of `organization` starts with: each connection it owns,
    then each other connection enabled on it (only its members are exported from those).
    Connections Auth0 does not have yet (no id) have no users to export."""
    owned = Connection.objects.filter(
        organization=organization, auth0_id__isnull=False, deleted_at__isnull=True
    ).exclude(auth0_id="")
    entries = [_job_entry(connection, shared=False) for connection in owned.order_by("name")]
    if not organization.auth0_id:
        return entries  # no member list to filter shared connections by
    seen = {entry["connection_id"] for entry in entries}
    links = (
        OrganizationConnection.objects.filter(
            organization=organization,
            connection__auth0_id__isnull=False,
            connection__deleted_at__isnull=True,
        )
        .exclude(connection__auth0_id="")
        .select_related("connection")
        .order_by("connection__name")
    )
    for link in links:
        if link.connection.auth0_id not in seen:
            entries.append(_job_entry(link.connection, shared=True))
            seen.add(link.connection.auth0_id)
    return entries


def _job_entry(connection: Connection, *, shared: bool) -> dict[str, Any]:
    return {
        "connection": connection.name,
        "connection_id": connection.auth0_id,
        "shared": shared,
        "job_id": "",
        "status": WAITING,
        "percentage_done": None,
        "time_left_seconds": None,
        "details": "",
    }


@transaction.atomic
def export_request(
    *, actor: User | None, organization: Organization, file_format: str
) -> UserExport:
    """Start exporting the organization's users as `file_format` (csv or json).

    ServiceError when an export of it is already running, or it has no connection with
    users in Auth0 yet."""
    if file_format not in ExportFormat.values:
        raise ServiceError("Choose CSV or JSON.", field="file_format")
    # Locked, so two people asking at the same moment start one export.
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if UserExport.objects.filter(organization=org, status=ExportStatus.EXPORTING).exists():
        raise ServiceError(
            "An export of this organization's users is already running: wait for it to "
            "finish, then download it or ask for a new one."
        )
    entries = exported_connections(org)
    if not entries:
        raise ServiceError(
            "This organization has no connection with users in Auth0 yet, so there is "
            "nothing to export."
        )
    shared = any(entry["shared"] for entry in entries)
    export = UserExport.objects.create(
        organization=org,
        file_format=file_format,
        requested_by=actor,
        jobs=entries,
        members={"user_ids": [], "cursor": "", "complete": False} if shared else {},
        heartbeat_at=timezone.now(),  # not stalled while its first task starts
    )
    audit(
        actor=actor,
        action="users.export",
        organization=org,
        target=f"users export {export.pk}",
        export=export.pk,
        format=file_format,
        connections=[entry["connection"] for entry in entries],
    )
    export_id = export.pk
    transaction.on_commit(lambda: send_export_task(export_id), robust=True)
    return export


def send_export_task(export_id: int, countdown: float = 0.0) -> None:
    """Queue a pass in the bulk lane. Losing this message loses nothing: the export shows
    as stalled and a person continues it."""
    from portal.celery import app as celery_app

    celery_app.send_task(
        EXPORT_TASK, args=(export_id,), queue=EXPORT_QUEUE, countdown=max(countdown, 0.0)
    )


def is_stalled(export: UserExport) -> bool:
    """Exporting, and no pass for a while: its task is gone (a lost message, a worker gone)."""
    last = export.heartbeat_at or export.created_at
    return export.is_exporting and last is not None and timezone.now() - last > STALLED_AFTER


def export_continue(*, actor: User | None, export: UserExport) -> None:
    """Send a stalled export's task again; it goes on from the jobs it has."""
    if not is_stalled(export):
        raise ServiceError("This export is not stopped: it carries on by itself.")
    UserExport.objects.filter(pk=export.pk).update(heartbeat_at=timezone.now())
    export_id = export.pk
    transaction.on_commit(lambda: send_export_task(export_id), robust=True)


# --- one pass of the task ---------------------------------------------------------------------


def export_advance(export_id: int) -> float | None:
    """One pass; the seconds until the next, or None when the export is finished (ready,
    failed, gone) or another pass holds it (that pass's task carries on)."""
    export = UserExport.objects.filter(pk=export_id).first()
    if export is None or not export.is_exporting:
        return None
    try:
        with resource_lock("user_export", str(export_id)):
            return _advance(export_id)
    except LockBusy:
        return None


def _advance(export_id: int) -> float | None:
    # Re-read inside the lock: the pass before this one may have just finished it.
    export = UserExport.objects.select_related("organization").get(pk=export_id)
    if not export.is_exporting:
        return None
    export.heartbeat_at = timezone.now()
    export.save(update_fields=["heartbeat_at"])
    try:
        return _advance_jobs(export)
    except RateLimited as exc:
        return _wait(export, SLOWING_DOWN, max(exc.retry_in(), 1.0))
    except Auth0Error as exc:
        if exc.retryable:
            return _wait(export, WAITING_FOR_AUTH0, max(exc.retry_in(), RETRY_SECONDS))
        logger.warning("users export %s failed: %s", export.pk, exc)
        _fail(export, _plain_reason(exc))
        return None


def _advance_jobs(export: UserExport) -> float | None:
    for entry in export.jobs:
        if entry["status"] == WAITING:
            _start_job(export, entry)
    read: dict[str, auth0_jobs.JobStatus] = {}
    for entry in export.jobs:
        if entry["status"] in RUNNING_JOB_STATES:
            read[entry["job_id"]] = _read_job(export, entry)
    failed = next((entry for entry in export.jobs if entry["status"] == "failed"), None)
    if failed is not None:
        _fail(
            export, f"Auth0 could not export the users of the connection “{failed['connection']}”."
        )
        return None
    members_left = _read_members(export) if export.members else False
    for entry in export.jobs:
        if entry["status"] == "completed" and not (entry["shared"] and members_left):
            take_file(export, entry, read.get(entry["job_id"]))
    if all(entry["status"] == DOWNLOADED for entry in export.jobs):
        finish_file(export)
        return None
    if export.problem:
        export.problem = ""
        export.save(update_fields=["problem"])
    return 0.0 if members_left else POLL_SECONDS


def _start_job(export: UserExport, entry: dict[str, Any]) -> None:
    started = auth0_jobs.start_export(
        connection_id=entry["connection_id"],
        file_format="json",
        fields=[{"name": name} for name in EXPORT_FIELDS],
    )
    # Committed before the next call: a restart reads this job instead of starting another.
    entry.update(job_id=started.id, status=started.status or "pending")
    export.save(update_fields=["jobs"])


def _read_job(export: UserExport, entry: dict[str, Any]) -> auth0_jobs.JobStatus:
    job = auth0_jobs.read_job(entry["job_id"])
    entry.update(
        status=job.status
        if job.status in ("pending", "processing", "completed", "failed")
        else entry["status"],
        percentage_done=100 if job.status == "completed" else job.percentage_done,
        time_left_seconds=0 if job.finished else job.time_left_seconds,
        details=job.status_details,  # Auth0's words: shown to staff only
    )
    export.save(update_fields=["jobs"])
    return job


def _read_members(export: UserExport) -> bool:
    """Read member pages for a while; True when pages are left for the next pass."""
    members = export.members
    if members.get("complete"):
        return False
    found: list[str] = list(members.get("user_ids", []))
    cursor = str(members.get("cursor", ""))
    deadline = time.monotonic() + MEMBERS_PASS_SECONDS
    org_id = str(export.organization.auth0_id)
    try:
        while time.monotonic() < deadline:
            page = members_page(org_id, cursor=cursor, per_page=MEMBERS_PER_PAGE)
            found += [str(member["user_id"]) for member in page.members if member.get("user_id")]
            cursor = page.next_cursor
            if not cursor:
                members["complete"] = True
                break
    finally:
        # What was read is kept even when a page fails: the next pass goes on from here.
        members.update(user_ids=found, cursor=cursor)
        export.save(update_fields=["members"])
    return not members["complete"]


def _wait(export: UserExport, problem: str, seconds: float) -> float:
    if export.problem != problem:
        export.problem = problem
        export.save(update_fields=["problem"])
    return min(seconds, MAX_WAIT_SECONDS)


def _fail(export: UserExport, problem: str) -> None:
    export.status = ExportStatus.FAILED
    export.problem = problem
    export.finished_at = timezone.now()
    export.file_encrypted = ""  # a part of the users is no use to anyone: not kept
    export.row_count = 0
    export.save(update_fields=["status", "problem", "finished_at", "file_encrypted", "row_count"])


def _plain_reason(exc: Auth0Error) -> str:
    if exc.status == 404:
        return "Auth0 no longer has this export's job (it keeps jobs for a limited time)."
    if exc.status in (401, 403):
        return "The portal is not allowed to export users from Auth0 (it needs read:users)."
    if exc.status == 413:
        return "The users file is too large for the portal to read."
    if exc.code == "bad_file":
        return "Auth0's file of users could not be read."
    if exc.status == 400:
        return "Auth0 refused to export a connection's users: it may have been deleted."
    return "Auth0 refused the export."


# --- the file, and its end ------------------------------------------------------------------


def export_file(export: UserExport) -> bytes:
    """The finished file; ServiceError when it is not ready or has expired."""
    if export.status == ExportStatus.EXPIRED:
        raise ServiceError("This export has expired and its file was erased: ask for a new one.")
    if not export.downloadable:
        raise ServiceError("This export is not ready to download.")
    try:
        return decrypt_bytes(export.file_encrypted)
    except ValueError as exc:
        raise ServiceError("This export's file can no longer be read: ask for a new one.") from exc


def export_download(*, actor: User | None, export: UserExport) -> bytes:
    """The finished file, its download audited."""
    data = export_file(export)
    audit(
        actor=actor,
        action="users.export_download",
        organization=export.organization,
        target=f"users export {export.pk}",
        export=export.pk,
        format=export.file_format,
        rows=export.row_count,
    )
    return data


def export_retry(*, actor: User | None, export: UserExport) -> UserExport:
    """A new export like a failed (or expired) one: same organization and format."""
    if export.status not in (ExportStatus.FAILED, ExportStatus.EXPIRED):
        raise ServiceError("Only a failed or expired export can be tried again.")
    return export_request(
        actor=actor, organization=export.organization, file_format=export.file_format
    )


def expire_old_exports() -> int:
    """Erase the files of exports finished more than USER_EXPORT_KEEP_DAYS ago, and end
    exports still unfinished after as long (with the users taken so far); how many."""
    now = timezone.now()
    expired = UserExport.objects.filter(status=ExportStatus.READY, expires_at__lte=now).update(
        status=ExportStatus.EXPIRED, file_encrypted=""
    )
    abandoned = UserExport.objects.filter(
        status=ExportStatus.EXPORTING,
        created_at__lte=now - timedelta(days=settings.USER_EXPORT_KEEP_DAYS),
    ).update(
        status=ExportStatus.FAILED,
        file_encrypted="",
        row_count=0,
        finished_at=now,
        problem="The export did not finish in time and was stopped.",
    )
    return expired + abandoned
