"""The bulk provisioning task: creates a confirmed run's organizations (orgs.services.bulk).

Found by the worker through `portal/celery.py`'s autodiscovery of `bulk_tasks` modules.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="orgs.bulk_tasks.run_bulk_provisioning",
    queue="auth0-bulk",
    ignore_result=True,
    soft_time_limit=240,
    time_limit=300,
)
def run_bulk_provisioning(run_id: int) -> bool:
    """Create the run's ready rows for a while; when rows are left, send itself again.
    Every row is its own transaction and is skipped once done, so a redelivered or
    repeated task never creates an organization twice."""
    from orgs.services.bulk import bulk_run_execute, send_bulk_task

    more = bulk_run_execute(run_id=run_id)
    if more:
        send_bulk_task(run_id)
    return more
