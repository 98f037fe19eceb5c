"""What reconcile found, and what it does with each finding the moment it is found: mark
the rows drifted and, when repairing, record the operation that puts Auth0 back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from orgs.models import (
    Application,
    Connection,
    Organization,
    OrganizationConnection,
    SyncState,
)
from orgs.sync.outbox import record_operation


@dataclass
class Drift:
    """What differs, on the row a repair targets. `rows` are the rows that show it as
    drifted, when not the target itself (an application has no sync state of its own:
    its per-organization URLs do; a missing connection client shows on its link)."""

    target: models.Model
    what: str
    diff: dict[str, Any]
    rows: list[models.Model] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.target}: {self.what}: {self.diff}"

    @property
    def key(self) -> tuple[str, object, str]:
        return (self.target._meta.label, self.target.pk, self.what)


@dataclass
class ReconcileReport:
    """The findings of one run. `add` writes each one at once, so a run that stops part-way
    (a rate-limit refusal, a time limit) has still shown everything it found.
    `retry_at` (a UNIX time) is set when a rate limit stopped the run before it finished."""

    fix: bool = False
    checked: int = 0
    drifts: list[Drift] = field(default_factory=list)
    fixed: int = 0
    retry_at: float | None = None
    _seen: set[tuple[str, object, str]] = field(default_factory=set, repr=False)

    def add(self, drift: Drift) -> None:
        # A unit run again after a refusal finds the same drift again: it is marked and
        # its repair recorded already.
        if drift.key in self._seen:
            return
        self._seen.add(drift.key)
        self.drifts.append(drift)
        mark(drift)
        if self.fix:
            self.fixed += repair(drift)

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "checked": self.checked,
            "drifted": len(self.drifts),
            "fixed": self.fixed,
            "drifts": [str(d) for d in self.drifts],
        }
        if self.retry_at is not None:
            summary["retry_at"] = self.retry_at
        return summary


def mark(drift: Drift) -> None:
    for row in drift.rows or [drift.target]:
        if hasattr(row, "sync_state"):
            type(row)._default_manager.filter(pk=row.pk).update(
                sync_state=SyncState.DRIFTED, drift={"what": drift.what, "diff": drift.diff}
            )


@transaction.atomic
def repair(drift: Drift) -> int:
    """Record the convergent operation that settles `drift`; 0 when none is safe (a
    missing organization recreated would be a new one without its members)."""
    target = drift.target
    if isinstance(target, Organization) and drift.what == "fields differ":
        record_operation(kind="organization.update", target=target, organization=target)
    elif isinstance(target, OrganizationConnection):
        record_operation(
            kind="organization_connection.sync",
            target=target,
            organization=target.organization,
            payload={
                "organization_id": target.organization_id,
                "connection_id": target.connection_id,
            },
        )
    elif isinstance(target, Application):
        org = Organization.objects.get(pk=drift.diff["organization_id"])
        record_operation(kind="application_urls.sync", target=target, organization=org)
    elif isinstance(target, Connection) and drift.what == "applications differ":
        _repair_connection_clients(target, drift.diff)
    else:
        return 0
    return 1


def _repair_connection_clients(connection: Connection, diff: dict[str, Any]) -> None:
    for client_id in [*diff["missing"], *diff["extra"]]:
        application = Application.objects.get(client_id=client_id)
        link_id = (
            connection.application_links.filter(application=application)
            .values_list("pk", flat=True)
            .first()
        )
        target = connection if link_id is None else connection.application_links.get(pk=link_id)
        record_operation(
            kind="connection_application.sync",
            target=target,
            organization=connection.organization,
            payload={"connection_id": connection.pk, "application_id": application.pk},
        )
