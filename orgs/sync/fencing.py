"""Fencing: a claim and a lock are leases, not proof that we still own the work.

A worker can stall (a long GC pause, a frozen VM, a thread pool that ignores time limits)
past its lease; the sweeper then hands the operation to another worker. Whatever the
stalled worker does next must be refused. So, while an operation runs:

- `check_before_write()` runs immediately before every write to Auth0 (the HTTP client's
  request hook calls it): the handler's deadline has not passed, the claim is still ours
  (state running, our token) and every resource lock this thread holds is still ours.
- `guarded_writes()` wraps a handler's database writes in one transaction that first
  locks the operation's row and re-checks the claim, so a worker that lost its claim
  writes nothing; the sweeper's take-over waits for it, or it waits for the take-over.
- `Fence.extend_lease()` is called by the target lock's keep-alive, so the database lease
  and the lock are extended together and expire together.

What remains: Auth0 has no conditional writes. A write that passed the check and then sat
in the network longer than the lease may still land after a newer worker's write. The
lock TTL (`orgs.auth0.locks.default_ttl`, at least three call timeouts) bounds that gap;
handlers are convergent, so the newer worker's read-modify-write re-reads what landed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orgs.auth0.errors import Auth0Error
from orgs.auth0.locks import verify_held_locks
from orgs.models import OpState, SyncOperation


class ClaimLost(Auth0Error):
    """The operation is no longer ours (the sweeper gave it to another worker)."""

    def __init__(self, op_id: int) -> None:
        super().__init__(f"operation {op_id} was taken over by another worker", code="claim_lost")


class HandlerTimedOut(Auth0Error):
    """The handler ran past its time limit: stop before the next write, try again later."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"The change took longer than {seconds:g} seconds and was stopped; retrying.",
            code="timed_out",
            retryable=True,
        )


@dataclass
class Fence:
    """The claim of one running operation: its row, our token and our deadline."""

    op_id: int
    token: str
    deadline: float  # time.monotonic()
    time_limit: float

    def claim_held(self) -> bool:
        return SyncOperation.objects.filter(
            pk=self.op_id, state=OpState.RUNNING, claimed_by=self.token
        ).exists()

    def check(self) -> None:
        """Raise unless the operation is still ours and in time (call before a write)."""
        if time.monotonic() > self.deadline:
            raise HandlerTimedOut(self.time_limit)
        if not self.claim_held():
            raise ClaimLost(self.op_id)
        verify_held_locks()

    def extend_lease(self) -> bool:
        """Push the lease out again; False when the claim is no longer ours."""
        lease = timezone.now() + timedelta(seconds=settings.SYNC_LEASE_SECONDS)
        extended = SyncOperation.objects.filter(
            pk=self.op_id, state=OpState.RUNNING, claimed_by=self.token
        ).update(lease_expires_at=lease)
        return extended == 1


_current: ContextVar[Fence | None] = ContextVar("sync_fence", default=None)


def new_fence(op_id: int, token: str) -> Fence:
    limit = float(settings.SYNC_HANDLER_TIME_LIMIT)
    return Fence(op_id=op_id, token=token, deadline=time.monotonic() + limit, time_limit=limit)


def current_fence() -> Fence | None:
    return _current.get()


@contextmanager
def fenced(fence: Fence) -> Iterator[Fence]:
    """Run the block as the holder of `fence` (the runner wraps each handler in it)."""
    token = _current.set(fence)
    try:
        yield fence
    finally:
        _current.reset(token)


def check_before_write() -> None:
    """Refuse a write to Auth0 from a worker that no longer owns its work."""
    fence = _current.get()
    if fence is not None:
        fence.check()
    else:
        verify_held_locks()


@contextmanager
def guarded_writes() -> Iterator[None]:
    """A handler's database writes: applied only while the claim is still ours."""
    with transaction.atomic():
        fence = _current.get()
        if fence is not None:
            mine = (
                SyncOperation.objects.select_for_update()
                .filter(pk=fence.op_id, state=OpState.RUNNING, claimed_by=fence.token)
                .exists()
            )
            if not mine:
                raise ClaimLost(fence.op_id)
        yield
