"""Recording SyncOperations (inside the service's transaction) and enqueueing them on commit.

Every handler is convergent: it makes Auth0 match what the database wants *at the time it
runs*. So operations on one target may run in any order; whichever runs last reads the
latest wish. Handlers hold a per-target lock while they run, so two never interleave.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import models, transaction
from django.utils import timezone

from orgs.models import OpState, Organization, SyncOperation, SyncState


def target_type_of(instance: models.Model) -> str:
    return instance._meta.model_name or type(instance).__name__.lower()


def record_operation(
    *,
    kind: str,
    target: models.Model,
    organization: Organization | None,
    payload: dict[str, object] | None = None,
    depends_on: SyncOperation | None = None,
) -> SyncOperation:
    """Create one operation and mark its target pending; it is enqueued when the
    surrounding transaction commits (never before: workers must see the rows)."""
    target_type = target_type_of(target)
    op = SyncOperation.objects.create(
        kind=kind,
        organization=organization,
        target_type=target_type,
        target_id=target.pk,
        payload=payload or {},
        idempotency_key=f"{kind}:{target_type}:{target.pk}:{uuid.uuid4().hex}",
        depends_on=depends_on
        if depends_on is not None and depends_on.state != OpState.SUCCEEDED
        else None,
    )
    if hasattr(target, "sync_state"):
        type(target)._default_manager.filter(pk=target.pk).update(
            sync_state=SyncState.PENDING, sync_error=""
        )
    if op.depends_on_id is None:
        enqueue_on_commit(op.pk)
    return op


def open_operation_for(target: models.Model, kind_prefix: str = "") -> SyncOperation | None:
    """The newest unfinished operation for a target (what a dependent op should wait on)."""
    ops = SyncOperation.objects.filter(
        target_type=target_type_of(target),
        target_id=target.pk,
        state__in=[OpState.QUEUED, OpState.RUNNING, OpState.FAILED],
    )
    if kind_prefix:
        ops = ops.filter(kind__startswith=kind_prefix)
    return ops.order_by("-id").first()


def enqueue_on_commit(op_id: int, eta: datetime | None = None) -> None:
    # robust: a broker hiccup must not turn a saved change into an error page; the sweeper
    # re-sends every due operation anyway.
    transaction.on_commit(lambda: enqueue_now(op_id, eta), robust=True)


def enqueue_now(op_id: int, eta: datetime | None = None) -> None:
    """Send the task. Losing this message loses nothing: the sweeper re-sends due ops."""
    from orgs.tasks import run_sync_operation

    if eta is not None and eta <= timezone.now():
        eta = None
    if eta is None:
        run_sync_operation.apply_async(args=(op_id,))
    else:
        run_sync_operation.apply_async(args=(op_id,), eta=eta)
