"""Celery tasks of user exports (orgs/usermigration/exports.py): a pass of one export in
the bulk lane, re-sent while the export runs, and beat's daily expiry of old files.

Registered through CELERY_IMPORTS (portal/settings.py).
"""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="orgs.usermigration.export_tasks.advance_user_export",
    queue="auth0-bulk",
    ignore_result=True,
    soft_time_limit=240,
    time_limit=300,
)
def advance_user_export(export_id: int) -> float | None:
    """One pass of the export; while it is not finished, send itself again for the next.
    Job ids are committed before each next call, so a redelivered or repeated task reads
    the jobs already started instead of starting them again."""
    from orgs.sync.priority import bulk_priority
    from orgs.usermigration.exports import export_advance, send_export_task

    with bulk_priority():
        wait = export_advance(export_id)
    if wait is not None:
        send_export_task(export_id, countdown=wait)
    return wait


@shared_task(
    name="orgs.usermigration.export_tasks.expire_user_exports",
    queue="default",
    ignore_result=True,
    soft_time_limit=120,
    time_limit=150,
)
def expire_user_exports() -> int:
    from orgs.usermigration.exports import expire_old_exports

    return expire_old_exports()
