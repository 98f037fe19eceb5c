"""Celery task of verified domains: the daily re-check (beat "recheck-verified-domains")."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="orgs.domains.tasks.recheck_verified_domains",
    queue="default",
    ignore_result=True,
    soft_time_limit=1800,
    time_limit=1900,
)
def recheck_verified_domains() -> dict[str, int]:
    """Re-check every verified domain; a batch, so its Auth0 changes take the bulk lane."""
    from orgs.domains.recheck import recheck_verified
    from orgs.sync.priority import bulk_priority

    with bulk_priority():
        return recheck_verified().as_dict()
