"""Each organization's open and failed operation counts, kept on the organization row so
lists never count over the operations table.

Recomputed (not incremented) after every change of an operation's state, in a short
transaction of its own that runs once the change has committed: it locks the
organization's row first, then counts, so concurrent refreshes serialise and the last
one sees every committed change. Counting one organization's operations uses the
(organization, state) index.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q

from orgs.models import OPEN_STATES, OpState, Organization, SyncOperation


def refresh_counts_on_commit(organization_ids: Iterable[int | None]) -> None:
    """Refresh these organizations' counts once the current transaction commits."""
    ids = sorted({pk for pk in organization_ids if pk is not None})
    if ids:
        transaction.on_commit(lambda: refresh_counts(ids), robust=True)


def refresh_counts(organization_ids: Iterable[int]) -> None:
    for pk in sorted(set(organization_ids)):  # one order everywhere: no lock cycles
        with transaction.atomic():
            if not Organization.objects.select_for_update().filter(pk=pk).exists():
                continue
            counts = SyncOperation.objects.filter(organization_id=pk).aggregate(
                open=Count("pk", filter=Q(state__in=OPEN_STATES)),
                failed=Count("pk", filter=Q(state=OpState.FAILED)),
            )
            Organization.objects.filter(pk=pk).update(
                open_operations=counts["open"], failed_operations=counts["failed"]
            )
