"""Operator actions on SyncOperations: retry a failed one, cancel an open one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from orgs.models import OpState, Origin, SyncOperation, SyncState
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.sync import targets
from orgs.sync.counts import refresh_counts_on_commit
from orgs.sync.dependents import requeue_or_fold, settle_dependents_of_dead_end
from orgs.sync.outbox import enqueue_on_commit
from portal.access import is_org_admin
from portal.models import User


@transaction.atomic
def sync_operation_retry(*, actor: User | None, operation: SyncOperation) -> SyncOperation:
    op = SyncOperation.objects.select_for_update().get(pk=operation.pk)
    _require_may_act(actor, op, "retry")
    if op.state != OpState.FAILED:
        raise ServiceError(f"Only failed operations can be retried; this one is {op.state}.")
    twin = requeue_or_fold(
        SyncOperation.objects.filter(pk=op.pk, state=OpState.FAILED),
        op,
        attempts=0,
        next_attempt_at=timezone.now(),
        finished_at=None,
        updated_at=timezone.now(),
    )
    op.refresh_from_db()
    targets.mark(op, SyncState.PENDING)
    refresh_counts_on_commit([op.organization_id])
    if twin is None:  # else the same change, queued again since, carries it
        enqueue_on_commit(op.pk, priority=op.priority)
    audit(
        actor=actor,
        action="sync_operation.retry",
        organization=op.organization,
        target=f"{op.kind} #{op.pk}",
    )
    return op


@transaction.atomic
def sync_operation_cancel(*, actor: User | None, operation: SyncOperation) -> SyncOperation:
    """Stop an operation. What it already did in Auth0 stays (reconcile shows the
    difference). Operations waiting for the Auth0 id it would have created end with it;
    any other waiting operation is released and runs on its own."""
    op = SyncOperation.objects.select_for_update().get(pk=operation.pk)
    _require_may_act(actor, op, "cancel")
    if op.state not in (OpState.QUEUED, OpState.FAILED):
        raise ServiceError(f"A {op.state} operation cannot be cancelled.")
    ended = cancel_operation(op, reason=f"Cancelled by {_who(actor)}.")
    audit(
        actor=actor,
        action="sync_operation.cancel",
        organization=op.organization,
        target=f"{op.kind} #{op.pk}",
        ended=ended,
    )
    return op


def cancel_operation(op: SyncOperation, *, reason: str) -> list[int]:
    """Cancel one operation and settle what waited on it (call inside a transaction).
    Returns the ids of the waiting operations that ended with it."""
    now = timezone.now()
    op.state, op.finished_at, op.last_error = OpState.CANCELLED, now, reason
    op.save(update_fields=["state", "finished_at", "last_error", "updated_at"])
    targets.mark(op, SyncState.FAILED, f"{reason} ({op.kind})")
    refresh_counts_on_commit([op.organization_id])
    return settle_dependents_of_dead_end(op, f"Not sent: #{op.pk} ({op.kind}) was cancelled.")


def _require_may_act(actor: User | None, op: SyncOperation, verb: str) -> None:
    """Staff (and the system: commands, no actor) act on any operation. A customer admin
    only on their organization's operations that a customer admin started: cancelling
    staff or system work (a suspension's connection disables) would undo its enforcement.
    Checked here, whatever the view showed."""
    if actor is None or actor.is_staff:
        return
    if op.origin != Origin.CUSTOMER:
        raise ServiceError(
            f"Only staff can {verb} this change: it was started by staff or by the portal."
        )
    if op.organization is None or not is_org_admin(op.organization, actor.sub):
        raise ServiceError(f"Only an administrator of this organization can {verb} this change.")


def _who(actor: User | None) -> str:
    return "the system" if actor is None else (actor.email or "an operator")


# --- many at once: the operations queue's "Retry selected" / "Cancel selected" ----------


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk retry or cancel did: the operations it acted on, and the ones it could
    not with the service's reason for each."""

    done: list[int]
    refused: list[tuple[int, str]]


def sync_operations_retry(*, actor: User | None, operation_ids: Iterable[int]) -> BulkOutcome:
    """Retry each operation with `sync_operation_retry`, each in its own transaction, so
    one that cannot be retried never holds back (or half-applies) the others."""
    return _for_each(actor, operation_ids, sync_operation_retry)


def sync_operations_retry_lane(*, actor: User | None, lane: str) -> BulkOutcome:
    """Retry every operation of one lane (`Priority`: interactive or bulk) that is failed
    now, each with `sync_operation_retry` (which audits it) in its own transaction: the
    operations dashboard's "Retry all failed in this lane"."""
    failed = SyncOperation.objects.filter(state=OpState.FAILED, priority=lane)
    return sync_operations_retry(
        actor=actor, operation_ids=list(failed.values_list("pk", flat=True))
    )


def sync_operations_cancel(*, actor: User | None, operation_ids: Iterable[int]) -> BulkOutcome:
    """Cancel each operation with `sync_operation_cancel`, each in its own transaction."""
    return _for_each(actor, operation_ids, sync_operation_cancel)


def _for_each(
    actor: User | None,
    operation_ids: Iterable[int],
    service: Callable[..., SyncOperation],
) -> BulkOutcome:
    wanted = sorted(set(operation_ids))
    found = SyncOperation.objects.select_related("organization").in_bulk(wanted)
    done: list[int] = []
    refused: list[tuple[int, str]] = []
    for pk in wanted:
        op = found.get(pk)
        if op is None:
            refused.append((pk, "It no longer exists."))
            continue
        try:
            service(actor=actor, operation=op)
        except ServiceError as exc:
            refused.append((pk, exc.message))
        else:
            done.append(pk)
    return BulkOutcome(done=done, refused=refused)
