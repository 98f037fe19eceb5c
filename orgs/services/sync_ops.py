"""Operator actions on SyncOperations: retry a failed one, cancel an open one."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from orgs.models import OpState, SyncOperation, SyncState
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.sync import targets
from orgs.sync.outbox import enqueue_on_commit
from portal.models import User


@transaction.atomic
def sync_operation_retry(*, actor: User | None, operation: SyncOperation) -> SyncOperation:
    op = SyncOperation.objects.select_for_update().get(pk=operation.pk)
    if op.state != OpState.FAILED:
        raise ServiceError(f"Only failed operations can be retried; this one is {op.state}.")
    op.state, op.attempts, op.next_attempt_at = OpState.QUEUED, 0, timezone.now()
    op.finished_at = None
    op.save(update_fields=["state", "attempts", "next_attempt_at", "finished_at", "updated_at"])
    targets.mark(op, SyncState.PENDING)
    enqueue_on_commit(op.pk)
    audit(
        actor=actor,
        action="sync_operation.retry",
        organization=op.organization,
        target=f"{op.kind} #{op.pk}",
    )
    return op


@transaction.atomic
def sync_operation_cancel(*, actor: User | None, operation: SyncOperation) -> SyncOperation:
    """Stop an operation (and those waiting on it). What it already did in Auth0 stays:
    reconcile shows the difference."""
    op = SyncOperation.objects.select_for_update().get(pk=operation.pk)
    if op.state not in (OpState.QUEUED, OpState.FAILED):
        raise ServiceError(f"A {op.state} operation cannot be cancelled.")
    cancelled = cancel_operation_tree(op)
    audit(
        actor=actor,
        action="sync_operation.cancel",
        organization=op.organization,
        target=f"{op.kind} #{op.pk}",
        cancelled=cancelled,
    )
    return op


def cancel_operation_tree(op: SyncOperation) -> list[int]:
    """Cancel an operation and everything waiting on it (call inside a transaction)."""
    now = timezone.now()
    op.state, op.finished_at = OpState.CANCELLED, now
    op.save(update_fields=["state", "finished_at", "updated_at"])
    targets.mark(op, SyncState.FAILED, f"Cancelled by an operator: {op.kind}")
    cancelled = [op.pk]
    for child in op.dependents.filter(state=OpState.QUEUED):
        cancelled += cancel_operation_tree(child)
    return cancelled
