"""Running one SyncOperation: claim it, call its handler under fencing, record the outcome.

A claim is a conditional UPDATE (queued and due -> running, with a lease and our token),
so at any moment at most one worker holds an operation. A claim is a lease, though: a
worker that stalls past it (and past its lock) may find the operation handed to another.
Fencing (orgs.sync.fencing) makes that stale worker harmless: every write it would still
make to Auth0 or to the database is refused, and outcomes are recorded only while the
claim is ours. See orgs/sync/fencing.py for the window that remains.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from orgs.auth0.errors import Auth0Error, LockBusy, RateLimited
from orgs.auth0.locks import resource_lock
from orgs.models import OpState, SyncOperation, SyncState
from orgs.sync import targets
from orgs.sync.counts import refresh_counts_on_commit
from orgs.sync.dependents import (
    CREATE_KINDS,
    requeue_or_fold,
    settle_dependents_of_dead_end,
    start_dependents_on_commit,
)
from orgs.sync.fencing import ClaimLost, Fence, fenced, new_fence
from orgs.sync.outbox import enqueue_on_commit
from orgs.sync.priority import priority
from orgs.sync.registry import handler_for

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0
# A task's ETA timer may fire a little before the row's next_attempt_at (two clocks);
# refusing it would leave the operation to the sweeper, seconds later.
CLAIM_EARLY = timedelta(milliseconds=500)


def worker_token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_operation(op_id: int) -> str:
    """Claim and run one operation; returns what happened (for logs and tests)."""
    op = SyncOperation.objects.select_related("depends_on").filter(pk=op_id).first()
    if op is None:
        return "gone"
    if op.waiting_on is not None:
        return "waiting"  # the parent's success enqueues it
    token = worker_token()
    if not claim(op_id, token):
        return "not-claimed"
    op.refresh_from_db()
    fence = new_fence(op.pk, token)
    with fenced(fence), priority(op.priority):
        try:
            result = _run_handler(op, fence)
        except ClaimLost:
            return "lease-lost"  # another worker owns it now; it records the outcome
        except Auth0Error as exc:
            return _record_error(op, token, exc)
        except Exception as exc:  # a bug must not strand the op: retry, then fail visibly
            log.exception("sync operation %s (%s) crashed", op.pk, op.kind)
            return _record_error(op, token, _unexpected(exc))
        return _record_success(op, token, result or {})


def _run_handler(op: SyncOperation, fence: Fence) -> dict[str, Any]:
    handler = handler_for(op.kind)
    # The lock's keep-alive extends the claim's lease too: both expire together.
    with resource_lock("op-target", op.target_key, on_extend=fence.extend_lease) as held:
        result = handler(op)
        held.verify()  # kept throughout, or what the handler read may be stale: retry
    return result


def _unexpected(exc: Exception) -> Auth0Error:
    return Auth0Error(
        f"Unexpected error: {type(exc).__name__}: {exc}", code="internal", retryable=True
    )


def claim(op_id: int, token: str) -> bool:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.SYNC_LEASE_SECONDS)
    claimed = SyncOperation.objects.filter(
        pk=op_id, state=OpState.QUEUED, next_attempt_at__lte=now + CLAIM_EARLY
    ).update(
        state=OpState.RUNNING,
        attempts=F("attempts") + 1,
        lease_expires_at=lease,
        claimed_by=token,
        updated_at=now,
    )
    return claimed == 1


def _mine(op: SyncOperation, token: str) -> QuerySet[SyncOperation]:
    return SyncOperation.objects.filter(pk=op.pk, state=OpState.RUNNING, claimed_by=token)


@transaction.atomic
def _record_success(op: SyncOperation, token: str, result: dict[str, Any]) -> str:
    now = timezone.now()
    updated = _mine(op, token).update(
        state=OpState.SUCCEEDED,
        result=result,
        finished_at=now,
        lease_expires_at=None,
        last_error="",
        last_error_code="",
        updated_at=now,
    )
    if not updated:
        return "lease-lost"
    targets.mark_settled(op)
    refresh_counts_on_commit([op.organization_id])
    if op.kind in CREATE_KINDS and result.get("skipped"):
        # Nothing was created, so nothing waiting for its id can ever run.
        settle_dependents_of_dead_end(op, f"Not needed: {result['skipped']}.")
    else:
        start_dependents_on_commit(op.pk)
    return "succeeded"


@transaction.atomic
def _record_error(op: SyncOperation, token: str, error: Auth0Error) -> str:
    now = timezone.now()
    waiting_only = isinstance(error, RateLimited | LockBusy)
    out_of_tries = op.attempts >= settings.SYNC_MAX_ATTEMPTS and not waiting_only
    if error.retryable and not out_of_tries:
        retry_at = _retry_time(op.attempts, error, now)
        mine = _mine(op, token)
        if not mine.exists():
            return "lease-lost"
        twin = requeue_or_fold(
            mine,
            op,
            next_attempt_at=retry_at,
            lease_expires_at=None,
            last_error=str(error),
            last_error_code=error.code or str(error.status or ""),
            # Waiting for a rate-limit reset or a busy lock is not a failed attempt.
            attempts=F("attempts") - 1 if waiting_only else F("attempts"),
            updated_at=now,
        )
        if twin is not None:
            return "merged"  # the same change, queued again meanwhile, carries it
        enqueue_on_commit(op.pk, priority=op.priority, eta=retry_at)
        return "retrying"
    message = _failure_message(error, out_of_tries)
    updated = _mine(op, token).update(
        state=OpState.FAILED,
        finished_at=now,
        lease_expires_at=None,
        last_error=message,
        last_error_code=error.code or str(error.status or ""),
        updated_at=now,
    )
    if updated:
        targets.mark(op, SyncState.FAILED, message)
        refresh_counts_on_commit([op.organization_id])
    return "failed" if updated else "lease-lost"


def _failure_message(error: Auth0Error, out_of_tries: bool) -> str:
    message = str(error)
    if out_of_tries:
        message = f"Gave up after {settings.SYNC_MAX_ATTEMPTS} attempts. Last error: {message}"
    return message


def _retry_time(attempts: int, error: Auth0Error, now: datetime) -> datetime:
    if error.retry_at is not None:
        return datetime.fromtimestamp(error.retry_at, tz=now.tzinfo)
    return now + timedelta(seconds=backoff_seconds(attempts))


def backoff_seconds(attempts: int) -> float:
    """Capped exponential backoff with full jitter on the upper half."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return random.uniform(ceiling / 2, ceiling)
