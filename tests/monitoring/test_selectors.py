"""What the operations dashboard reads: checks in their running order, firing and recent
alerts, and the synthetic sign-in's success rate and latency."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from orgs.monitoring.alerts import clear_alert, raise_alert
from orgs.monitoring.models import CheckStatus, SyntheticSignIn, TenantCheckResult
from orgs.monitoring.selectors import (
    firing_alerts,
    recent_alerts,
    synthetic_signin_summary,
    synthetic_signins,
    tenant_check_results,
)

pytestmark = pytest.mark.django_db


def test_checks_come_in_the_order_they_run() -> None:
    for name in ("roles", "email_provider"):
        TenantCheckResult.objects.create(
            name=name, title=name, status=CheckStatus.OK, checked_at=timezone.now()
        )
    assert [r.name for r in tenant_check_results()] == ["email_provider", "roles"]


def test_firing_and_recent_alerts(settings: Any) -> None:
    settings.STAFF_ALERT_EMAILS = []
    raise_alert("backlog:bulk", "bulk is behind")
    raise_alert("operations-failed", "2 failed")
    clear_alert("backlog:bulk")
    assert [a.key for a in firing_alerts()] == ["operations-failed"]
    assert {a.key for a in recent_alerts()} == {"backlog:bulk", "operations-failed"}


def test_the_sign_in_summary(settings: Any) -> None:
    settings.SYNTHETIC_SIGNIN_ENABLED = True
    now = timezone.now()
    attempts = ((50, True, 100), (40, True, 300), (30, False, 900), (20, True, 200))
    for minutes, ok, latency in attempts:
        SyntheticSignIn.objects.create(
            started_at=now - timedelta(minutes=minutes), ok=ok, latency_ms=latency
        )
    SyntheticSignIn.objects.create(started_at=now - timedelta(days=2), ok=False)
    summary = synthetic_signin_summary(hours=24, now=now)
    assert summary.enabled and summary.attempts == 4 and summary.failures == 1
    assert summary.success_rate == 0.75
    assert summary.median_ms == 200 and summary.p95_ms == 300
    assert summary.last is not None and summary.last.latency_ms == 200
    assert [a.latency_ms for a in synthetic_signins(hours=24, now=now)] == [100, 300, 900, 200]


def test_the_summary_without_attempts() -> None:
    summary = synthetic_signin_summary()
    assert summary.attempts == 0 and summary.success_rate is None and summary.median_ms is None
