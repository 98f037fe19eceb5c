"""What the staff operations dashboard reads from the monitoring jobs: the latest tenant
checks, the alerts, and the synthetic sign-in's record. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from orgs.monitoring.models import AlertState, SyntheticSignIn, TenantCheckResult
from orgs.monitoring.tenant_checks import CHECKS


def tenant_check_results() -> list[TenantCheckResult]:
    """The latest answer of each check that has run, in the order the checks run."""
    rows = {row.name: row for row in TenantCheckResult.objects.all()}
    return [rows[check.name] for check in CHECKS if check.name in rows]


def firing_alerts() -> QuerySet[AlertState]:
    return AlertState.objects.filter(firing=True).order_by("first_fired_at", "key")


def recent_alerts(limit: int = 20) -> QuerySet[AlertState]:
    """Alerts that fired at some point, the most recently changed first."""
    return AlertState.objects.exclude(first_fired_at=None).order_by("-updated_at", "key")[:limit]


@dataclass(frozen=True)
class SignInSummary:
    enabled: bool
    attempts: int
    failures: int
    success_rate: float | None  # 0..1, None without attempts
    median_ms: int | None
    p95_ms: int | None
    last: SyntheticSignIn | None
    last_success_at: datetime | None


def synthetic_signins(*, hours: int = 24, now: datetime | None = None) -> list[SyntheticSignIn]:
    """The attempts of the last `hours`, oldest first (a latency chart's points)."""
    since = (now or timezone.now()) - timedelta(hours=hours)
    return list(SyntheticSignIn.objects.filter(started_at__gte=since).order_by("started_at", "id"))


def synthetic_signin_summary(*, hours: int = 24, now: datetime | None = None) -> SignInSummary:
    attempts = synthetic_signins(hours=hours, now=now)
    failures = sum(1 for a in attempts if not a.ok)
    latencies = sorted(a.latency_ms for a in attempts if a.ok and a.latency_ms is not None)
    last_success = SyntheticSignIn.objects.filter(ok=True).first()
    return SignInSummary(
        enabled=settings.SYNTHETIC_SIGNIN_ENABLED,
        attempts=len(attempts),
        failures=failures,
        success_rate=(len(attempts) - failures) / len(attempts) if attempts else None,
        median_ms=_percentile(latencies, 0.5),
        p95_ms=_percentile(latencies, 0.95),
        last=SyntheticSignIn.objects.first(),
        last_success_at=last_success.started_at if last_success else None,
    )


def _percentile(ordered: list[int], share: float) -> int | None:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * share // 1))  # ceil without floats drifting
    return ordered[int(rank) - 1]
