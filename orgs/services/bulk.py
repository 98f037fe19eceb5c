"""Bulk provisioning: store a checked CSV as a run, confirm it, create its organizations.

A run is created in three steps, each safe to repeat:

1. `bulk_run_create` stores the report (a BulkRun and one BulkRow per row, problems
   included), so leaving the page loses nothing and the person confirms what they read.
2. `bulk_run_confirm` marks it creating and, on commit, sends the bulk task.
3. `bulk_run_execute` (the task's body) creates each ready row through the ordinary
   services, inside `bulk_priority()`, so every SyncOperation goes to the bulk lane and
   people's own changes keep flowing. Each row is one transaction that also records the
   row's organization: a restarted task skips rows already done and never creates an
   organization twice. A row the services refuse is marked failed with their message;
   the run goes on.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from orgs.bulk.csvfile import URL_COLUMNS, CheckedRow, check_file
from orgs.models import Application, BulkRow, BulkRowStatus, BulkRun, BulkRunStatus, Organization
from orgs.services.applications import application_url_add
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.services.invitations import default_application, invitation_application
from orgs.services.organizations import organization_create
from orgs.sync.priority import bulk_priority
from portal.celery import app as celery_app
from portal.models import User

logger = logging.getLogger(__name__)

BULK_TASK = "orgs.bulk_tasks.run_bulk_provisioning"
BULK_QUEUE = "auth0-bulk"
# A creating run whose task has shown no progress for this long has stopped (a lost
# message, a worker gone): the progress page offers to continue it.
STALLED_AFTER = timedelta(minutes=2)
# One task creates rows for at most this long, then sends itself again for the rest:
# the thread pool ignores Celery's time limits, and a short task is a short redelivery.
TIME_BUDGET_SECONDS = 60.0
UNEXPECTED_ERROR = "The portal could not create this organization (an unexpected error, logged)."


@transaction.atomic
def bulk_run_create(
    *, actor: User | None, file_name: str, content: bytes, application: Application | None
) -> BulkRun:
    """Check the file row by row and store the report; nothing is created yet.

    ServiceError (field "file") when the file cannot be used at all, or (field
    "application") when its admin invitations cannot go through `application`."""
    rows = check_file(content)
    _check_invitations_possible(rows, application)
    ready = sum(row.is_ready for row in rows)
    run = BulkRun.objects.create(
        file_name=file_name[:255],
        application=application,
        uploaded_by=actor,
        total_rows=len(rows),
        ready_rows=ready,
    )
    BulkRow.objects.bulk_create(
        BulkRow(
            run=run,
            number=row.number,
            data=row.data,
            errors=row.errors,
            status=BulkRowStatus.READY if row.is_ready else BulkRowStatus.INVALID,
        )
        for row in rows
    )
    return run


def _check_invitations_possible(rows: list[CheckedRow], application: Application | None) -> None:
    if not any(row.data.get("admin_email") for row in rows if row.is_ready):
        return
    chosen = invitation_application(["org-admin"], application)
    if not chosen.supports_invitations:
        raise ServiceError(
            f"{chosen} cannot send the admin invitations (it has no login URL or does not "
            "allow organizations): choose another application, or leave admin_email empty.",
            field="application",
        )


def is_stalled(run: BulkRun) -> bool:
    """Creating, and no row handled for a while: its task is gone."""
    last = run.heartbeat_at or run.confirmed_at
    return (
        run.status == BulkRunStatus.CREATING
        and last is not None
        and timezone.now() - last > STALLED_AFTER
    )


@transaction.atomic
def bulk_run_confirm(*, actor: User | None, run: BulkRun) -> BulkRun:
    """Start creating the run's ready rows (or continue a stalled run)."""
    locked = BulkRun.objects.select_for_update().get(pk=run.pk)
    if locked.status == BulkRunStatus.CREATED:
        raise ServiceError("The organizations of this file were created already.")
    if locked.status == BulkRunStatus.CREATING and not is_stalled(locked):
        raise ServiceError("The organizations of this file are being created already.")
    if locked.ready_rows == 0:
        raise ServiceError("No row is ready to create: correct the file and upload it again.")
    now = timezone.now()
    if locked.status == BulkRunStatus.CHECKED:
        locked.status = BulkRunStatus.CREATING
        locked.confirmed_by = actor
        locked.confirmed_at = now
        audit(
            actor=actor,
            action="bulk_run.confirm",
            target=locked.file_name,
            run=locked.pk,
            rows=locked.ready_rows,
        )
    locked.heartbeat_at = now  # a continued run is not stalled while its task starts
    locked.save(update_fields=["status", "confirmed_by", "confirmed_at", "heartbeat_at"])
    run_id = locked.pk
    transaction.on_commit(lambda: send_bulk_task(run_id), robust=True)
    return locked


def send_bulk_task(run_id: int) -> None:
    """Queue the run's creation in the bulk lane. Losing this message loses nothing: the
    run shows as stalled and a person continues it."""
    celery_app.send_task(BULK_TASK, args=(run_id,), queue=BULK_QUEUE)


def bulk_run_execute(*, run_id: int, time_budget: float | None = None) -> bool:
    """Create the run's ready rows, each in its own transaction, for `time_budget`
    seconds (TIME_BUDGET_SECONDS); True when time ran out with rows left (the caller
    sends the task again). A gone or finished run: False."""
    run = BulkRun.objects.select_related("application", "confirmed_by").filter(pk=run_id).first()
    if run is None or run.status != BulkRunStatus.CREATING:
        return False
    budget = TIME_BUDGET_SECONDS if time_budget is None else time_budget
    deadline = time.monotonic() + budget
    ready = run.rows.filter(status=BulkRowStatus.READY)
    with bulk_priority():
        for row_id in ready.order_by("number").values_list("pk", flat=True):
            _create_row(run, row_id)
            if time.monotonic() > deadline:
                break
    if ready.exists():
        return True
    now = timezone.now()
    BulkRun.objects.filter(pk=run.pk, status=BulkRunStatus.CREATING).update(
        status=BulkRunStatus.CREATED, finished_creating_at=now, heartbeat_at=now
    )
    return False


@transaction.atomic
def _create_row(run: BulkRun, row_id: int) -> None:
    # Locked and re-read: a second task (a redelivery, a continue) finds it done.
    row = BulkRow.objects.select_for_update().filter(pk=row_id).first()
    if row is None or row.status != BulkRowStatus.READY:
        return
    try:
        with transaction.atomic():  # a refusal half-way (a URL) takes the organization back
            row.organization = _provision(run, row.data)
    except ServiceError as exc:
        row.status = BulkRowStatus.FAILED
        row.errors = [{"field": exc.field or "", "message": exc.message}]
    except IntegrityError:
        # Someone created the same name between the check and this insert.
        message = f"An organization named '{row.name}' was created at the same time."
        row.status = BulkRowStatus.FAILED
        row.errors = [{"field": "name", "message": message}]
    except Exception:
        # One broken row must not stop the other 999 (a retried task would stop on it
        # again): it fails, with the traceback in the log.
        logger.exception("bulk run %s: row %s could not be created", run.pk, row.number)
        row.status = BulkRowStatus.FAILED
        row.errors = [{"field": "", "message": UNEXPECTED_ERROR}]
    else:
        row.status = BulkRowStatus.CREATED
    row.save(update_fields=["status", "errors", "organization"])
    BulkRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())


def _provision(run: BulkRun, data: dict[str, Any]) -> Organization:
    """One row through the services a person's form uses."""
    actor = run.confirmed_by
    urls = [(URL_COLUMNS[column], url) for column in URL_COLUMNS for url in data.get(column, [])]
    needs_application = bool(urls or data.get("admin_email"))
    application = run.application or (default_application() if needs_application else None)
    org = organization_create(
        actor=actor,
        name=data["name"],
        display_name=data["display_name"],
        membership_model=data["membership_model"],
        first_admin_email=data.get("admin_email", ""),
        application=application,
    )
    if urls:
        target = application or default_application()
        for kind, url in urls:
            application_url_add(
                actor=actor, organization=org, application=target, kind=kind, url=url
            )
    return org
