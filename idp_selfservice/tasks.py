"""Celery tasks of self-service SSO: the certificate watch (beat "refresh-idp-metadata")."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="idp_selfservice.tasks.refresh_idp_metadata",
    queue="default",
    ignore_result=True,
    soft_time_limit=540,
    time_limit=600,
)
def refresh_idp_metadata() -> dict[str, int]:
    """Re-read every SAML metadata URL, stage and swap certificates, send expiry notices.

    A batch, so bulk priority: the connection updates it records (automatic swaps) take
    the bulk lane and never delay a person's change. The run stops starting fetches before
    the time limit (certificate_watch.RUN_BUDGET_SECONDS); the least recently checked
    setups go first, so the next run continues where this one stopped.
    """
    from idp_selfservice.certificate_watch import run_watch
    from orgs.sync.priority import bulk_priority

    with bulk_priority():
        return run_watch().as_dict()
