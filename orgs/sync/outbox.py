"""Recording SyncOperations (inside the service's transaction) and enqueueing them on commit.

Every handler is convergent: it makes Auth0 match what the database wants *at the time it
runs*. So operations on one target may run in any order, and a queued operation already
covers any later request for the same change: recording it again merges into the queued
one (one operation per kind and target while it waits), which is also what makes a
double-submitted form record a single operation. Handlers hold a lock on the natural
target while they run (`orgs.sync.targets.target_key_for`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from orgs.models import (
    OPEN_STATES,
    OpState,
    Organization,
    Origin,
    Priority,
    SyncOperation,
    SyncState,
)
from orgs.sync.counts import refresh_counts_on_commit
from orgs.sync.priority import current_priority, queue_for
from orgs.sync.targets import target_key_for, target_type_of
from portal.celery import app as celery_app
from portal.models import User

RUN_TASK = "orgs.tasks.run_sync_operation"
# Waiting for the Auth0 id a create makes: the create may still be running or failed
# (a person retries it); a cancelled or succeeded one is no longer awaited.
_AWAITED_CREATE_STATES = (OpState.QUEUED, OpState.RUNNING, OpState.FAILED)


def origin_of(actor: User | None) -> str:
    if actor is None:
        return Origin.SYSTEM
    return Origin.STAFF if actor.is_staff else Origin.CUSTOMER


def record_operation(
    *,
    kind: str,
    target: models.Model,
    organization: Organization | None,
    payload: dict[str, Any] | None = None,
    depends_on: SyncOperation | None = None,
    actor: User | None = None,
) -> SyncOperation:
    """Record one operation (or merge into the same one still queued) and mark its target
    pending; it is enqueued when the surrounding transaction commits (never before:
    workers must see the rows). Its priority is the current lane (orgs.sync.priority)."""
    target_type = target_type_of(target)
    payload = payload or {}
    key = target_key_for(
        kind=kind,
        target_type=target_type,
        target_id=target.pk,
        organization=organization,
        payload=payload,
    )
    wanted = SyncOperation(
        kind=kind,
        organization=organization,
        target_type=target_type,
        target_id=target.pk,
        target_key=key,
        payload=payload,
        idempotency_key=f"{kind}|{key}",
        priority=current_priority(),
        origin=origin_of(actor),
        depends_on=depends_on
        if depends_on is not None and depends_on.state != OpState.SUCCEEDED
        else None,
    )
    op = _merge_into_queued(wanted) or _create(wanted)
    if hasattr(target, "sync_state"):
        type(target)._default_manager.filter(pk=target.pk).update(
            sync_state=SyncState.PENDING, sync_error=""
        )
    refresh_counts_on_commit([op.organization_id])
    return op


def _create(wanted: SyncOperation) -> SyncOperation:
    try:
        with transaction.atomic():  # a savepoint: a racing twin may have just queued it
            wanted.save()
    except IntegrityError:
        merged = _merge_into_queued(wanted)
        if merged is None:
            raise
        return merged
    _enqueue_when_runnable(wanted)
    return wanted


def _merge_into_queued(wanted: SyncOperation) -> SyncOperation | None:
    """Fold a new request into the queued operation for the same change, if any."""
    op = (
        SyncOperation.objects.select_for_update()
        .filter(idempotency_key=wanted.idempotency_key, state=OpState.QUEUED)
        .first()
    )
    if op is None:
        return None
    op.payload = _merged_payload(op.payload, wanted.payload)
    if op.depends_on_id is None and wanted.depends_on_id is not None:
        op.depends_on_id = wanted.depends_on_id
    if op.origin == Origin.CUSTOMER:
        op.origin = wanted.origin  # staff or system work is never a customer's to cancel
    promoted = op.priority == Priority.BULK and wanted.priority == Priority.INTERACTIVE
    if promoted:
        op.priority = Priority.INTERACTIVE  # a person is waiting now
    op.save(update_fields=["payload", "depends_on", "origin", "priority", "updated_at"])
    if promoted:
        _enqueue_when_runnable(op)
    return op


def _merged_payload(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """New values win; lists (keys to remove) accumulate."""
    merged = {**old, **new}
    for key, value in old.items():
        if isinstance(value, list) and isinstance(new.get(key), list):
            merged[key] = sorted({*value, *new[key]})
    return merged


def _enqueue_when_runnable(op: SyncOperation) -> None:
    if op.depends_on_id is None:
        enqueue_on_commit(op.pk, priority=op.priority)
        return
    parent_id, op_id, priority = op.depends_on_id, op.pk, op.priority

    def enqueue_if_parent_done() -> None:
        # The parent may have succeeded between our read and our commit; its own
        # after-commit pass may have run before we committed, so look again.
        if SyncOperation.objects.filter(pk=parent_id, state=OpState.SUCCEEDED).exists():
            enqueue_now(op_id, priority=priority)

    transaction.on_commit(enqueue_if_parent_done, robust=True)


def open_operation_for(target: models.Model, kind_prefix: str = "") -> SyncOperation | None:
    """The newest open (queued or running) operation recorded on this row."""
    ops = SyncOperation.objects.filter(
        target_type=target_type_of(target), target_id=target.pk, state__in=OPEN_STATES
    )
    if kind_prefix:
        ops = ops.filter(kind__startswith=kind_prefix)
    return ops.order_by("-id").first()


def awaited_create(target: models.Model, kind: str) -> SyncOperation | None:
    """The create that will give this row its Auth0 id, when that id does not exist yet:
    the only thing an operation may wait on."""
    if getattr(target, "auth0_id", None):
        return None
    return (
        SyncOperation.objects.filter(
            target_type=target_type_of(target),
            target_id=target.pk,
            kind=kind,
            state__in=_AWAITED_CREATE_STATES,
        )
        .order_by("-id")
        .first()
    )


def enqueue_on_commit(op_id: int, *, priority: str, eta: datetime | None = None) -> None:
    # robust: a broker hiccup must not turn a saved change into an error page; the sweeper
    # re-sends every due operation anyway.
    transaction.on_commit(lambda: enqueue_now(op_id, priority=priority, eta=eta), robust=True)


def enqueue_now(op_id: int, *, priority: str, eta: datetime | None = None) -> None:
    """Send the task to its lane's queue. Losing this message loses nothing: the sweeper
    re-sends due operations."""
    if eta is not None and eta <= timezone.now():
        eta = None
    options: dict[str, Any] = {"queue": queue_for(priority)}
    if eta is not None:
        options["eta"] = eta
    celery_app.send_task(RUN_TASK, args=(op_id,), **options)
