from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from orgs.auth0.operations import clients
from orgs.models import Application, ApplicationURL, OrgStatus, SyncOperation, SyncState
from orgs.sync.handlers import handles

LIVE_ORG_STATES = [OrgStatus.PENDING, OrgStatus.ACTIVE, OrgStatus.SUSPENDED]


@handles("application_urls.sync")
def sync_application_urls(op: SyncOperation) -> dict[str, Any]:
    """Make the application carry every URL organizations want on it, and drop those no
    organization wants any more.

    One run pushes all pending URLs of the application (any organization) in a single
    locked read-modify-write: under a burst of additions, the first run does the work and
    later runs find their rows already verified and make no call at all.
    """
    application = Application.objects.get(pk=op.target_pk)
    rows = ApplicationURL.objects.filter(application=application)
    pending = list(rows.filter(removing=False).exclude(sync_state=SyncState.IN_SYNC))
    leaving = list(rows.filter(removing=True))
    if not pending and not leaving:
        return {"already_in_sync": True}
    remove: dict[str, list[str]] = defaultdict(list)
    for row in leaving:
        if not wanted_elsewhere(row):
            remove[row.kind].append(row.url)
    result = clients.change_client_urls(
        application.client_id, add=_by_kind(pending), remove=dict(remove)
    )
    ApplicationURL.objects.filter(pk__in=[row.pk for row in leaving], removing=True).delete()
    ApplicationURL.objects.filter(pk__in=[row.pk for row in pending], removing=False).update(
        sync_state=SyncState.IN_SYNC, sync_error="", synced_at=timezone.now(), drift={}
    )
    return {
        "added": len(pending),
        "removed": len(leaving),
        "urls": {field: len(urls) for field, urls in result.items()},
    }


def _by_kind(rows: list[ApplicationURL] | QuerySet[ApplicationURL]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        grouped[row.kind].append(row.url)
    return dict(grouped)


def wanted_elsewhere(row: ApplicationURL) -> bool:
    """Whether a live organization other than this row's own still wants this URL."""
    return (
        ApplicationURL.objects.filter(
            application=row.application,
            kind=row.kind,
            url=row.url,
            removing=False,
            organization__status__in=LIVE_ORG_STATES,
        )
        .exclude(pk=row.pk)
        .exists()
    )
