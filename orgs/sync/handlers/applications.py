from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from orgs.auth0.operations import clients
from orgs.models import Application, ApplicationURL, OrgStatus, SyncOperation, SyncState
from orgs.sync.fencing import guarded_writes

LIVE_ORG_STATES = [OrgStatus.PENDING, OrgStatus.ACTIVE, OrgStatus.SUSPENDED]


@dataclass
class _Decision:
    """What one run decided inside the client's lock: the rows it pushed and dropped."""

    pushed: list[ApplicationURL] = field(default_factory=list)
    leaving: list[ApplicationURL] = field(default_factory=list)
    removed: int = 0


def sync_application_urls(op: SyncOperation) -> dict[str, Any]:
    """Make the application carry every URL organizations want on it, and drop those no
    organization wants any more.

    One run pushes all pending URLs of the application (any organization) in a single
    locked read-modify-write: under a burst of additions, the first run does the work and
    later runs find their rows already verified and make no call at all. Every decision
    (what is pending, what is still wanted elsewhere) is read inside the client's lock.
    """
    application = Application.objects.get(pk=op.target_pk)
    rows = ApplicationURL.objects.filter(application=application)
    if not _unsettled(rows).exists():
        return {"already_in_sync": True}
    decision = _Decision()

    def plan(current: clients.URLs) -> tuple[clients.URLs, clients.URLs]:
        decision.pushed = list(rows.filter(removing=False).exclude(sync_state=SyncState.IN_SYNC))
        decision.leaving = list(rows.filter(removing=True))
        unwanted = [row for row in decision.leaving if not wanted_elsewhere(row)]
        decision.removed = len(unwanted)
        return by_kind(decision.pushed), by_kind(unwanted)

    result = clients.change_client_urls(application.client_id, plan=plan)
    with guarded_writes():
        # Conditional on the rows still wanting what was pushed: a change made since
        # has its own operation, which reads it under the lock.
        ApplicationURL.objects.filter(
            pk__in=[row.pk for row in decision.leaving], removing=True
        ).delete()
        ApplicationURL.objects.filter(
            pk__in=[row.pk for row in decision.pushed], removing=False
        ).update(sync_state=SyncState.IN_SYNC, sync_error="", synced_at=timezone.now(), drift={})
    return {
        "added": len(decision.pushed),
        "removed": decision.removed,
        "urls": {kind: len(urls) for kind, urls in result.items()},
    }


def _unsettled(rows: QuerySet[ApplicationURL]) -> QuerySet[ApplicationURL]:
    return rows.filter(removing=True) | rows.filter(removing=False).exclude(
        sync_state=SyncState.IN_SYNC
    )


def by_kind(rows: Iterable[ApplicationURL]) -> dict[str, list[str]]:
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
