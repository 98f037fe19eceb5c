"""Celery task of the Auth0 log archive: beat's "archive-auth0-logs" (orgs.auth0logs.archive)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

# Seconds before a run that stopped at its page or time budget sends the next one: the
# backlog keeps moving without one task holding a worker for all of it.
CONTINUE_AFTER = 1.0


@shared_task(
    name="orgs.auth0logs.tasks.archive_auth0_logs",
    queue="auth0-bulk",
    ignore_result=True,
    soft_time_limit=150,
    time_limit=180,
)
def archive_auth0_logs() -> dict[str, Any]:
    from dataclasses import asdict

    from orgs.auth0logs.archive import BUDGET, archive_logs

    run = archive_logs()
    if run.stopped_by == BUDGET:
        archive_auth0_logs.apply_async(countdown=CONTINUE_AFTER)
    return asdict(run)
