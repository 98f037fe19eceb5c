"""Celery tasks: thin wrappers that take ids and call the sync engine."""

from __future__ import annotations

from typing import Any

from celery import shared_task


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
    soft_time_limit=1700,
    time_limit=1800,
)
def reconcile_all() -> dict[str, Any]:
    from orgs.reconcile import reconcile

    report = reconcile(fix=False)
    return report.summary()
