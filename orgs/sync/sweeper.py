"""The beat job that makes sure nothing is lost: operations whose worker died (running
past their lease) are taken back and sent again at once, and due operations whose
message was lost are re-sent."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orgs.models import OpState, SyncOperation
from orgs.sync.dependents import requeue_or_fold
from orgs.sync.outbox import enqueue_now

# Operations normally arrive on time through their own message; only resend the late ones.
GRACE = timedelta(seconds=5)
BATCH = 500


def sweep() -> dict[str, int]:
    now = timezone.now()
    recovered = recover_expired_leases(now)
    due = (
        SyncOperation.objects.filter(state=OpState.QUEUED, next_attempt_at__lte=now - GRACE)
        .filter(Q(depends_on__isnull=True) | Q(depends_on__state=OpState.SUCCEEDED))
        .exclude(pk__in=[pk for pk, _ in recovered])
        .order_by("next_attempt_at")
        .values_list("pk", "priority")[:BATCH]
    )
    resent = 0
    for op_id, priority in [*recovered, *due]:
        enqueue_now(op_id, priority=priority)
        resent += 1
    return {"recovered": len(recovered), "resent": resent}


def recover_expired_leases(now: datetime | None = None) -> list[tuple[int, str]]:
    """Take back operations running past their lease; (id, priority) of each one taken.

    Each is taken back with its own conditional UPDATE (still running, still expired), so
    a worker whose heartbeat extended the lease a moment ago keeps it."""
    now = now or timezone.now()
    expired = SyncOperation.objects.filter(state=OpState.RUNNING, lease_expires_at__lt=now)
    taken: list[tuple[int, str]] = []
    for op in expired[:BATCH]:
        with transaction.atomic():
            mine = SyncOperation.objects.filter(
                pk=op.pk, state=OpState.RUNNING, lease_expires_at__lt=now
            )
            if not mine.exists():
                continue  # its worker extended the lease a moment ago
            twin = requeue_or_fold(
                mine,
                op,
                next_attempt_at=now,
                lease_expires_at=None,
                claimed_by="",
                last_error="The worker running this stopped; retrying.",
                updated_at=now,
            )
        if twin is None:  # still open: the organization's counts do not change
            taken.append((op.pk, op.priority))
    return taken
