"""Reconcile as Celery work: beat fans out one task per unit (ids, never objects); a task
runs its unit and, when a rate limit stopped it, sends itself again at `retry_at`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from orgs.models import Organization
from orgs.reconcile.units import (
    Unit,
    live_organizations,
    reconcile_connection,
    reconcile_organization,
    shared_connections,
)

# Names of the task functions in orgs.tasks, one per kind of unit.
ORGANIZATION_TASK = "reconcile_organization"
CONNECTION_TASK = "reconcile_connection"
_UNITS: dict[str, Unit] = {
    ORGANIZATION_TASK: reconcile_organization,
    CONNECTION_TASK: reconcile_connection,
}


@dataclass(frozen=True)
class Send:
    """One reconcile task message. A plain callable handed to `on_commit`, so what is about
    to be sent can be read (`django_capture_on_commit_callbacks`) before it is."""

    task: str
    args: tuple[int, bool]
    eta: datetime | None = None
    expires: float | None = None

    def __call__(self) -> None:
        from orgs import tasks

        getattr(tasks, self.task).apply_async(args=self.args, eta=self.eta, expires=self.expires)


def _send(message: Send) -> None:
    # robust: a broker hiccup loses one check until the next beat run, never the others.
    transaction.on_commit(message, robust=True)


def fan_out(*, fix: bool, organization: Organization | None = None) -> dict[str, int]:
    """Queue one check per live organization (or just `organization`) and per shared
    connection. Reads ids only and calls no Auth0 API, so it is quick at any size."""
    # A check still queued when the next beat run starts is dropped: that run sends a new one.
    expires = float(settings.RECONCILE_SECONDS)
    orgs = live_organizations()
    if organization is not None:
        orgs = orgs.filter(pk=organization.pk)
    org_ids = list(orgs.order_by("pk").values_list("pk", flat=True))
    connection_ids: list[int] = []
    if organization is None:
        connection_ids = list(shared_connections().order_by("pk").values_list("pk", flat=True))
    for org_id in org_ids:
        _send(Send(ORGANIZATION_TASK, (org_id, fix), expires=expires))
    for connection_id in connection_ids:
        _send(Send(CONNECTION_TASK, (connection_id, fix), expires=expires))
    return {"organizations": len(org_ids), "connections": len(connection_ids)}


def run_unit(task: str, target_id: int, fix: bool) -> dict[str, Any]:
    """What a reconcile task does. A rate-limit refusal is waiting, not failing: the unit
    has marked what it found and the same task is sent again for `retry_at`."""
    report = _UNITS[task](target_id, fix=fix)
    if report.retry_at is not None:
        eta = datetime.fromtimestamp(report.retry_at, tz=UTC)
        _send(Send(task, (target_id, fix), eta=eta))
    return report.summary()


def outage_countdown(retries: int) -> float:
    """Seconds before a task retries after an outage (5xx, timeout): 30 s doubling, capped at
    5 min, jittered so the organizations that failed together do not return together."""
    return min(300.0, 30.0 * 2**retries) * random.uniform(0.75, 1.25)
