"""Settling operations that another operation's call already carried out."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from orgs.models import OpState, SyncOperation
from orgs.sync import targets
from orgs.sync.outbox import enqueue_on_commit


@transaction.atomic
def cover_operations(operations: list[SyncOperation], *, by: SyncOperation) -> None:
    """Mark queued operations done because `by` applied their change, and start what was
    waiting on them."""
    now = timezone.now()
    for covered in operations:
        updated = SyncOperation.objects.filter(pk=covered.pk, state=OpState.QUEUED).update(
            state=OpState.SUCCEEDED, result={"covered_by": by.pk}, finished_at=now, updated_at=now
        )
        if not updated:
            continue
        targets.mark_settled(covered)
        for child_id in covered.dependents.filter(state=OpState.QUEUED).values_list(
            "pk", flat=True
        ):
            enqueue_on_commit(child_id)
