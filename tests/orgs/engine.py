"""Run queued operations the way a worker would, without a broker (tests call tasks
directly; the real-worker tests live in tests/orgs/test_workers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from celery.signals import before_task_publish
from django.db.models import Q
from django.utils import timezone

from orgs.models import OpState, SyncOperation
from orgs.sync.outbox import RUN_TASK
from orgs.sync.runner import run_operation


def drain(max_rounds: int = 50, *, skip_waits: bool = True) -> list[str]:
    """Run every runnable operation until none is left; returns the outcomes."""
    outcomes: list[str] = []
    for _ in range(max_rounds):
        runnable = SyncOperation.objects.filter(state=OpState.QUEUED).filter(
            Q(depends_on__isnull=True) | Q(depends_on__state=OpState.SUCCEEDED)
        )
        if skip_waits:
            runnable.update(next_attempt_at=timezone.now())
        ids = list(runnable.order_by("id").values_list("pk", flat=True))
        if not ids:
            return outcomes
        outcomes += [run_operation(op_id) for op_id in ids]
    raise AssertionError(f"operations did not settle: {outcomes[-10:]}")


def published_operations() -> Any:
    """(operation id, queue) of every run task published inside the block."""
    return published_tasks(RUN_TASK)


@contextmanager
def published_tasks(task_name: str) -> Iterator[list[tuple[int, str]]]:
    """(first argument, queue) of every `task_name` task published inside the block."""
    sent: list[tuple[int, str]] = []

    def record(sender: Any = None, body: Any = None, routing_key: str = "", **_: Any) -> None:
        if sender == task_name:
            args = body[0] if isinstance(body, tuple | list) else body["args"]
            sent.append((int(args[0]), routing_key))

    before_task_publish.connect(record, weak=False)
    try:
        yield sent
    finally:
        before_task_publish.disconnect(record)


def sent_ops(callbacks: list[Callable[[], Any]]) -> list[int]:
    """Run on-commit callbacks captured by `django_capture_on_commit_callbacks` and
    return the ids of the operations they sent to a worker."""
    with published_operations() as sent:
        for callback in callbacks:
            callback()
    return [op_id for op_id, _queue in sent]
