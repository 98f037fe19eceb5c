"""The time a bulk run has left, from the rate-limit buckets it has to go through.

Every Management API call takes a token from "global" and most writes one from an
endpoint bucket too (`orgs.auth0.plans`). The run's remaining calls are counted per
bucket (from its open operations, and for rows not created yet from what they will
record); each bucket then needs its pause, if Auth0 paused it, plus the calls the
tokens above the interactive reserve cannot cover at once, at the bulk lane's rate. The
slowest bucket is the answer.

The bulk lane's rate is the bucket's rate less the interactive reserve's share of it:
the reserve is headroom only people may use (`orgs.auth0.ratelimit`), so when people are
busy bulk work gets that much less. Counting that share as lost keeps the estimate on
the safe side. Other bulk work (another run, a reconcile) shares the lane and is not
counted: the estimate is for this run alone.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Count

from orgs.auth0.ratelimit import RateLimiter, limiter
from orgs.bulk.csvfile import URL_COLUMNS
from orgs.models import OPEN_STATES, BulkRowStatus, BulkRun, MembershipModel, OpState, SyncOperation

# Calls an operation makes, by bucket. Links enabled inline by the organization's create
# make none (`covered_by`); an application's URLs are one read and one write.
CALLS_BY_KIND: dict[str, dict[str, int]] = {
    "organization.create": {"global": 1, "organization_writes": 1},
    "organization.update": {"global": 1, "organization_writes": 1},
    "organization_connection.sync": {"global": 1, "organization_connection_writes": 1},
    "invitation.send": {"global": 1, "invitations": 1},
    "connection.create": {"global": 1},
    "connection_application.sync": {"global": 2},
    "application_urls.sync": {"global": 2},
}
_ONE_CALL = {"global": 1}
# Below this the run is as good as done: the last operations are on their way.
FINISHING_SECONDS = 10.0


def remaining_calls(run: BulkRun) -> Counter[str]:
    """Calls per bucket the run still has to make."""
    calls: Counter[str] = Counter()
    for kind, count in _open_operations(run).items():
        for bucket, n in CALLS_BY_KIND.get(kind, _ONE_CALL).items():
            calls[bucket] += n * count
    not_created = run.rows.filter(status=BulkRowStatus.READY).values_list("data", flat=True)
    for data in not_created:
        for kind in planned_kinds(data):
            calls.update(CALLS_BY_KIND.get(kind, _ONE_CALL))
    return calls


def _open_operations(run: BulkRun) -> dict[str, int]:
    """{kind: count} of the run's open operations, without those waiting on one that
    failed (they wait for a person, not for tokens)."""
    ops = (
        SyncOperation.objects.filter(organization__bulk_rows__run=run, state__in=OPEN_STATES)
        .exclude(depends_on__state__in=(OpState.FAILED, OpState.CANCELLED))
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
    )
    return {row["kind"]: row["n"] for row in ops}


def planned_kinds(data: Mapping[str, Any]) -> Iterable[str]:
    """The operations creating one row will record (its links go inline)."""
    yield "organization.create"
    if data.get("membership_model") == MembershipModel.OWN_DATABASE:
        yield "connection.create"
        yield "connection_application.sync"
    if data.get("admin_email"):
        yield "invitation.send"
    if any(data.get(column) for column in URL_COLUMNS):
        yield "application_urls.sync"


def seconds_left(calls: Mapping[str, int], rate_limiter: RateLimiter | None = None) -> float:
    """How long the slowest bucket needs for `calls` at the bulk lane's share."""
    if not any(calls.values()):
        return 0.0
    rate_limiter = rate_limiter or limiter()
    now = rate_limiter.now()
    slowest = 0.0
    for bucket, count in calls.items():
        if count <= 0 or bucket not in rate_limiter.limits:
            continue
        burst, rate = rate_limiter.effective(bucket)
        reserve = rate_limiter.reserve(bucket)
        bulk_rate = rate * (burst - reserve) / burst
        level = rate_limiter.level(bucket)
        at_once = max(0.0, level.tokens - reserve)
        paused = max(0.0, level.paused_until - now)
        slowest = max(slowest, paused + max(0.0, count - at_once) / bulk_rate)
    return slowest


def describe_seconds_left(seconds: float) -> str:
    """'about 2 minutes left', or 'finishing' near the end."""
    if seconds < FINISHING_SECONDS:
        return "finishing"
    if seconds < 60:
        return "less than a minute left"
    minutes = math.floor(seconds / 60 + 0.5)  # to the nearest minute
    if minutes < 90:
        return f"about {minutes} minute{'s' if minutes != 1 else ''} left"
    hours = math.floor(seconds / 3600 + 0.5)
    return f"about {hours} hour{'s' if hours != 1 else ''} left"


def run_eta(run: BulkRun) -> str:
    """The run's time left in words."""
    return describe_seconds_left(seconds_left(remaining_calls(run)))
