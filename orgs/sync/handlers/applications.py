from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import QuerySet

from orgs.auth0.operations import clients
from orgs.models import Application, ApplicationURL, OrgStatus, SyncOperation, SyncState
from orgs.sync.handlers import handles

LIVE_ORG_STATES = [OrgStatus.PENDING, OrgStatus.ACTIVE, OrgStatus.SUSPENDED]


@handles("application_urls.sync")
def sync_application_urls(op: SyncOperation) -> dict[str, Any]:
    """Make the application carry the organization's URLs, and drop the ones it no longer
    wants unless another organization still needs them."""
    application = Application.objects.get(pk=op.target_id)
    rows = ApplicationURL.objects.filter(application=application, organization=op.organization)
    wanted, leaving = rows.filter(removing=False), rows.filter(removing=True)
    add = _by_kind(wanted)
    remove: dict[str, list[str]] = defaultdict(list)
    for row in leaving:
        if not _wanted_elsewhere(row):
            remove[row.kind].append(row.url)
    result = clients.change_client_urls(application.client_id, add=add, remove=dict(remove))
    leaving.delete()
    wanted.update(sync_state=SyncState.IN_SYNC, sync_error="", drift={})
    return {"urls": {field: len(urls) for field, urls in result.items()}}


def _by_kind(rows: QuerySet[ApplicationURL]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        grouped[row.kind].append(row.url)
    return dict(grouped)


def _wanted_elsewhere(row: ApplicationURL) -> bool:
    return ApplicationURL.objects.filter(
        application=row.application, kind=row.kind, url=row.url, removing=False,
        organization__status__in=LIVE_ORG_STATES,
    ).exclude(pk=row.pk).exists()
