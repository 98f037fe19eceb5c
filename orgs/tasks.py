"""Celery tasks: thin wrappers that take ids and call the sync engine."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task


@shared_task(
    name="orgs.tasks.run_sync_operation",
    queue="auth0",
    ignore_result=True,
    soft_time_limit=90,
    time_limit=120,
)
def run_sync_operation(op_id: int) -> str:
    from orgs.sync.runner import run_operation

    return run_operation(op_id)


@shared_task(
    name="orgs.tasks.sweep_sync_operations",
    queue="default",
    ignore_result=True,
    soft_time_limit=50,
    time_limit=60,
)
def sweep_sync_operations() -> dict[str, int]:
    from orgs.sync.sweeper import sweep

    return sweep()


@shared_task(
    name="orgs.tasks.reconcile_all",
    queue="default",
    ignore_result=True,
    soft_time_limit=110,
    time_limit=120,
)
def reconcile_all(fix: bool | None = None) -> dict[str, int]:
    """Beat: only fans out, one bulk task per live organization and shared connection
    (`reconcile_organization`, `reconcile_connection`). Repairs when `RECONCILE_FIX` is on."""
    from django.conf import settings

    from orgs.reconcile import fan_out

    return fan_out(fix=settings.RECONCILE_FIX if fix is None else fix)


@shared_task(
    name="orgs.tasks.archive_sync_operations",
    queue="default",
    ignore_result=True,
    soft_time_limit=540,
    time_limit=600,
)
def archive_sync_operations() -> int:
    # Each batch commits on its own: a run stopped by the time limit keeps what it moved,
    # and tomorrow's run carries on.
    from orgs.sync.archive import archive_operations

    return archive_operations()


# Time limits of one reconcile unit: a handful of Management API reads, each of which may
# wait up to MAX_IN_CALL_WAIT for a rate-limit token before it is refused.
_RECONCILE_UNIT_LIMITS: dict[str, Any] = {
    "queue": "auth0-bulk",
    "ignore_result": True,
    "bind": True,
    "max_retries": 3,
    "soft_time_limit": 110,
    "time_limit": 120,
}


@shared_task(name="orgs.tasks.reconcile_organization", **_RECONCILE_UNIT_LIMITS)
def reconcile_organization(self: Task, org_id: int, fix: bool = False) -> dict[str, Any]:
    """Reconcile one organization and the connections it owns (bulk priority). A rate
    limit sends it again at `retry_at`; an outage retries it with backoff."""
    from orgs.reconcile import ORGANIZATION_TASK

    return _run_reconcile_unit(self, ORGANIZATION_TASK, org_id, fix)


@shared_task(name="orgs.tasks.reconcile_connection", **_RECONCILE_UNIT_LIMITS)
def reconcile_connection(self: Task, connection_id: int, fix: bool = False) -> dict[str, Any]:
    """Reconcile which applications one shared connection serves (bulk priority)."""
    from orgs.reconcile import CONNECTION_TASK

    return _run_reconcile_unit(self, CONNECTION_TASK, connection_id, fix)


def _run_reconcile_unit(task: Task, unit: str, target_id: int, fix: bool) -> dict[str, Any]:
    from orgs.auth0.errors import Auth0Error
    from orgs.reconcile import run_unit
    from orgs.reconcile.dispatch import outage_countdown

    try:
        return run_unit(unit, target_id, fix)
    except Auth0Error as exc:
        # Rate limits never get here (run_unit reschedules them); a permanent error
        # (403, 400) fails at once, the next beat run checks this unit again.
        if not exc.retryable:
            raise
        raise task.retry(exc=exc, countdown=outage_countdown(task.request.retries)) from exc
