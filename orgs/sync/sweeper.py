"""The beat job that makes sure nothing is lost: due operations are (re-)sent, and
operations whose worker died (running past their lease) are taken back."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from orgs.models import OpState, SyncOperation
from orgs.sync.outbox import enqueue_now

# Operations normally arrive on time through their own message; only resend the late ones.
GRACE = timedelta(seconds=5)
BATCH = 500


def sweep() -> dict[str, int]:
    now = timezone.now()
    recovered = recover_expired_leases(now)
    resent = 0
    due = (
        SyncOperation.objects.filter(state=OpState.QUEUED, next_attempt_at__lte=now - GRACE)
        .filter(Q(depends_on__isnull=True) | Q(depends_on__state=OpState.SUCCEEDED))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    for op_id in due:
        enqueue_now(op_id)
        resent += 1
    return {"recovered": recovered, "resent": resent}


def recover_expired_leases(now: object = None) -> int:
    now = now or timezone.now()
    stale = SyncOperation.objects.filter(state=OpState.RUNNING, lease_expires_at__lt=now)
    return stale.update(
        state=OpState.QUEUED,
        next_attempt_at=now,
        lease_expires_at=None,
        claimed_by="",
        last_error="The worker running this stopped; retrying.",
    )
