"""What happens to the operations waiting on another one when it ends.

A dependency means only "the Auth0 id I need does not exist yet" (a connection enable
waits for the organization's create) or, for an invitation, "the connection I name is
not enabled yet". So:

- when the parent succeeds, its children start (after its commit: a child recorded while
  the parent ran is seen either by this pass or by its own after-commit check);
- when the parent is a create that will never create anything (cancelled, or skipped
  because the row was deleted first), the children that need its id end at once with a
  plain reason instead of retrying "not created";
- any other child is released: it no longer waits and runs on its own.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from orgs.models import OpState, Priority, SyncOperation, SyncState
from orgs.sync import targets
from orgs.sync.counts import refresh_counts_on_commit
from orgs.sync.outbox import enqueue_now

# Operations whose success is what gives a row its Auth0 id.
CREATE_KINDS = frozenset({"organization.create", "connection.create"})


def start_dependents_on_commit(parent_id: int) -> None:
    def start() -> None:
        children = SyncOperation.objects.filter(depends_on_id=parent_id, state=OpState.QUEUED)
        for child_id, priority in children.values_list("pk", "priority"):
            enqueue_now(child_id, priority=priority)

    transaction.on_commit(start, robust=True)


def settle_dependents_of_dead_end(parent: SyncOperation, reason: str) -> list[int]:
    """The parent will never do its work: end the children that need it, release the rest.
    Returns the ids of the children ended. Call inside a transaction."""
    ended: list[int] = []
    children = SyncOperation.objects.filter(depends_on=parent, state=OpState.QUEUED)
    for child in children:
        if parent.kind in CREATE_KINDS:
            ended += end_operation(child, reason)
        else:
            release(child)
    return ended


def end_operation(op: SyncOperation, reason: str) -> list[int]:
    """End a queued operation that can never run (the Auth0 id it needs will never
    exist), and everything waiting on it, which needs that id just as much."""
    now = timezone.now()
    updated = SyncOperation.objects.filter(pk=op.pk, state=OpState.QUEUED).update(
        state=OpState.CANCELLED, last_error=reason, finished_at=now, updated_at=now
    )
    if not updated:
        return []
    targets.mark(op, SyncState.FAILED, reason)
    refresh_counts_on_commit([op.organization_id])
    ended = [op.pk]
    for child in SyncOperation.objects.filter(depends_on=op, state=OpState.QUEUED):
        ended += end_operation(child, reason)
    return ended


def release(child: SyncOperation) -> None:
    """Stop waiting: the child runs on its own (its handler copes with what is missing)."""
    SyncOperation.objects.filter(pk=child.pk).update(depends_on=None, updated_at=timezone.now())
    child_id, priority = child.pk, child.priority
    transaction.on_commit(lambda: enqueue_now(child_id, priority=priority), robust=True)


@transaction.atomic
def cover_operations(operations: list[SyncOperation], *, by: SyncOperation) -> None:
    """Mark queued operations done because `by` applied their change (they make no call
    of their own), and start what was waiting on them."""
    now = timezone.now()
    for covered in operations:
        updated = SyncOperation.objects.filter(pk=covered.pk, state=OpState.QUEUED).update(
            state=OpState.SUCCEEDED, result={"covered_by": by.pk}, finished_at=now, updated_at=now
        )
        if not updated:
            continue
        targets.mark_settled(covered)
        start_dependents_on_commit(covered.pk)
    refresh_counts_on_commit(op.organization_id for op in operations)


def requeue_or_fold(
    mine: QuerySet[SyncOperation], op: SyncOperation, **fields: Any
) -> SyncOperation | None:
    """Put `op` back in the queue (`mine` is the conditional filter that proves it is
    ours to move), unless the same change was queued again meanwhile: then that twin
    carries it (handlers read the wish when they run), so `op` is folded into it and
    what waited on `op` waits on the twin. Returns the twin when folded, else None.
    Raises nothing when `op` is no longer ours: `mine` simply matches no row."""
    twin = _queued_twin(op)
    if twin is None:
        try:
            with transaction.atomic():  # a twin recorded this instant makes this fail
                mine.update(state=OpState.QUEUED, **fields)
            return None
        except IntegrityError:
            twin = _queued_twin(op)
            if twin is None:
                raise
    now = timezone.now()
    if mine.update(
        state=OpState.SUCCEEDED,
        result={"covered_by": twin.pk},
        finished_at=now,
        lease_expires_at=None,
        updated_at=now,
    ):
        SyncOperation.objects.filter(depends_on=op, state=OpState.QUEUED).update(depends_on=twin)
        if op.priority == Priority.INTERACTIVE and twin.priority == Priority.BULK:
            SyncOperation.objects.filter(pk=twin.pk).update(priority=Priority.INTERACTIVE)
            twin_id = twin.pk
            transaction.on_commit(
                lambda: enqueue_now(twin_id, priority=Priority.INTERACTIVE), robust=True
            )
        refresh_counts_on_commit([op.organization_id])
    return twin


def _queued_twin(op: SyncOperation) -> SyncOperation | None:
    return (
        SyncOperation.objects.select_for_update()
        .filter(idempotency_key=op.idempotency_key, state=OpState.QUEUED)
        .exclude(pk=op.pk)
        .first()
    )
