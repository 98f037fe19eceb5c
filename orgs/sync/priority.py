"""Which lane the work in progress belongs to: a person waiting in the portal, or a batch.

Services record operations with the current priority; the runner sets it while an
operation runs, so every Management API call it makes takes its rate-limit tokens from
the right share. Batches (imports, CSV provisioning, reconcile, sign-up backfills) wrap
themselves in `bulk_priority()`; everything else is interactive.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from orgs.models import Priority

# Celery queues per lane: interactive work has workers of its own (see portal/celery.py).
QUEUES: dict[str, str] = {Priority.INTERACTIVE: "auth0", Priority.BULK: "auth0-bulk"}

_current: ContextVar[str] = ContextVar("sync_priority", default=Priority.INTERACTIVE)


def current_priority() -> str:
    return _current.get()


@contextmanager
def priority(value: str) -> Iterator[None]:
    """Run the block in lane `value`."""
    if value not in QUEUES:
        raise ValueError(f"unknown priority {value!r}")
    token = _current.set(value)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def bulk_priority() -> Iterator[None]:
    """Run the block as bulk work: its operations and calls yield to people."""
    with priority(Priority.BULK):
        yield


def queue_for(value: str) -> str:
    return QUEUES.get(value, QUEUES[Priority.INTERACTIVE])
