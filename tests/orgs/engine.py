"""Run queued operations the way a worker would, without a broker (tests call tasks
directly; the real-worker tests live in tests/orgs/test_workers.py)."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from orgs.models import OpState, SyncOperation
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
