"""Each alert condition, evaluated from real rows: failed operations, a lane's backlog,
api_limit events in the log archive, tenant checks, expiring certificates and the
synthetic sign-in; each fires once and resolves once."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from orgs.auth0logs.models import Auth0LogEntry
from orgs.models import OpState, Priority, SyncOperation
from orgs.monitoring.conditions import evaluate_alerts
from orgs.monitoring.models import AlertState, CheckStatus, SyntheticSignIn, TenantCheckResult
from tests.conftest import People
from tests.factories import OrganizationFactory
from tests.idp_selfservice.test_certificate_support import stored_setup

pytestmark = pytest.mark.django_db

_ids = count(1)


@pytest.fixture(autouse=True)
def _channels(alert_channels: Any) -> None:
    settings = alert_channels
    settings.ALERT_BACKLOG_SECONDS = 600
    settings.ALERT_CERTIFICATE_DAYS = 14


def _subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


def _operation(state: str, *, priority: str = Priority.INTERACTIVE, **fields: Any) -> Any:
    n = next(_ids)
    op = SyncOperation.objects.create(
        kind="organization.create",
        organization=OrganizationFactory(),
        idempotency_key=f"organization.create|test:{n}",
        target_key=f"test:{n}",
        state=state,
        priority=priority,
        **fields,
    )
    return op


def _log(type_: str, route: str = "") -> Auth0LogEntry:
    n = next(_ids)
    return Auth0LogEntry.objects.create(
        log_id=f"9000{n:052d}",
        date=timezone.now(),
        type=type_,
        route=route,
        raw={"type": type_},
    )


def test_failed_operations_fire_once_with_the_count_and_resolve() -> None:
    first = _operation(OpState.FAILED, last_error_code="server_error", finished_at=timezone.now())
    assert "operations-failed" in evaluate_alerts()
    _operation(OpState.FAILED, last_error_code="bad_request", finished_at=timezone.now())
    evaluate_alerts()
    assert _subjects() == ["Portal alert: 1 operation failed for good and waits for a person"]
    state = AlertState.objects.get(key="operations-failed")
    assert state.details["failed"] == 2 and state.details["newest"][0]["error"] == "bad_request"
    SyncOperation.objects.filter(state=OpState.FAILED).update(state=OpState.CANCELLED)
    assert "operations-failed" not in evaluate_alerts()
    assert _subjects()[-1].startswith("Resolved: ")
    assert first.pk in [item["id"] for item in state.details["newest"]]


def test_an_old_queued_operation_fires_its_lanes_backlog() -> None:
    op = _operation(OpState.QUEUED, priority=Priority.BULK)
    SyncOperation.objects.filter(pk=op.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert evaluate_alerts() == []
    SyncOperation.objects.filter(pk=op.pk).update(created_at=timezone.now() - timedelta(minutes=25))
    assert evaluate_alerts() == ["backlog:bulk"]
    state = AlertState.objects.get(key="backlog:bulk")
    assert "bulk lane is behind" in state.summary and state.details["queued"] == 1
    assert state.details["oldest"]["waited_minutes"] == 25
    SyncOperation.objects.filter(pk=op.pk).update(state=OpState.SUCCEEDED)
    assert evaluate_alerts() == []
    assert _subjects()[-1].startswith("Resolved: The bulk lane is behind")


def test_an_operation_waiting_on_an_unfinished_parent_is_not_backlog() -> None:
    parent = _operation(OpState.FAILED, finished_at=timezone.now())
    child = _operation(OpState.QUEUED, depends_on=parent)
    SyncOperation.objects.filter(pk=child.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert evaluate_alerts() == ["operations-failed"]


def test_new_api_limit_events_fire_and_clear_after_a_quiet_spell() -> None:
    _log("api_limit", "/api/v2/organizations")  # before the first evaluation: not "new"
    now = timezone.now()
    assert evaluate_alerts(now=now) == []
    _log("sapi")
    assert evaluate_alerts(now=now + timedelta(minutes=1)) == []
    _log("api_limit", "/api/v2/organizations/{id}/members")
    _log("api_limit", "/api/v2/organizations/{id}/members")
    _log("api_limit", "/api/v2/users")
    assert evaluate_alerts(now=now + timedelta(minutes=2)) == ["auth0-api-limit"]
    state = AlertState.objects.get(key="auth0-api-limit")
    assert state.details["new_events"] == 3
    assert state.details["busiest_routes"][0] == {
        "route": "/api/v2/organizations/{id}/members",
        "events": 2,
    }
    # Quiet for a while: still firing (bursts come back); quiet for half an hour: resolved.
    assert evaluate_alerts(now=now + timedelta(minutes=10)) == ["auth0-api-limit"]
    assert evaluate_alerts(now=now + timedelta(minutes=33)) == []
    assert _subjects() == [
        "Portal alert: Auth0 refused 3 calls for going over a rate limit (api_limit)",
        "Resolved: Auth0 refused 3 calls for going over a rate limit (api_limit)",
    ]


def _check(name: str, status: str) -> None:
    TenantCheckResult.objects.update_or_create(
        name=name,
        defaults={
            "title": "Log streams",
            "status": status,
            "problem": "Not sending: siem (paused)." if status == CheckStatus.PROBLEM else "",
            "what_to_do": "Set it back to Active.",
            "checked_at": timezone.now(),
        },
    )


def test_a_failing_tenant_check_fires_and_unknown_changes_nothing() -> None:
    _check("log_streams", CheckStatus.PROBLEM)
    assert evaluate_alerts() == ["tenant-check:log_streams"]
    assert "What to do: Set it back to Active." in mail.outbox[0].body
    _check("log_streams", CheckStatus.UNKNOWN)
    assert evaluate_alerts() == ["tenant-check:log_streams"]
    _check("log_streams", CheckStatus.OK)
    assert evaluate_alerts() == []
    assert _subjects() == [
        "Portal alert: Tenant check failing: Log streams",
        "Resolved: Tenant check failing: Log streams",
    ]


def test_a_certificate_about_to_expire_fires_for_its_setup(people: People) -> None:
    now = timezone.now()
    soon = stored_setup(people.organization, expires=now + timedelta(days=10))
    stored_setup(people.organization, expires=now + timedelta(days=60))
    assert evaluate_alerts(now=now) == [f"certificate:{soon.pk}"]
    state = AlertState.objects.get(key=f"certificate:{soon.pk}")
    assert "expires in 9 days" in state.summary or "expires in 10 days" in state.summary
    assert state.details["link"] == f"/sso/{people.organization.pk}/"
    soon.state = "disabled"
    soon.save()
    assert evaluate_alerts(now=now) == []
    assert _subjects()[-1].startswith("Resolved: The SAML signing certificate of ")


def test_an_expired_certificate_says_so(people: People) -> None:
    now = timezone.now()
    setup = stored_setup(people.organization, expires=now - timedelta(days=1))
    evaluate_alerts(now=now)
    assert "expired on" in AlertState.objects.get(key=f"certificate:{setup.pk}").summary


def _attempt(ok: bool, minutes_ago: int, code: str = "") -> None:
    SyntheticSignIn.objects.create(
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
        ok=ok,
        latency_ms=120,
        error_code=code,
        error="Auth0 refused the test user's email or password." if code else "",
    )


def test_a_failing_synthetic_sign_in_fires_and_a_success_resolves(settings: Any) -> None:
    settings.SYNTHETIC_SIGNIN_ENABLED = True
    _attempt(True, 15)
    _attempt(False, 10, "invalid_grant")
    _attempt(False, 5, "invalid_grant")
    assert evaluate_alerts() == ["synthetic-signin"]
    state = AlertState.objects.get(key="synthetic-signin")
    assert state.details["failed_attempts"] == 2 and state.details["code"] == "invalid_grant"
    _attempt(True, 0)
    assert evaluate_alerts() == []
    assert _subjects()[-1].startswith("Resolved: The synthetic sign-in is failing")


def test_turning_the_synthetic_sign_in_off_clears_its_alert(settings: Any) -> None:
    settings.SYNTHETIC_SIGNIN_ENABLED = True
    _attempt(False, 1, "timeout")
    assert evaluate_alerts() == ["synthetic-signin"]
    settings.SYNTHETIC_SIGNIN_ENABLED = False
    assert evaluate_alerts() == []


def test_one_broken_condition_does_not_stop_the_others(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orgs.monitoring import conditions

    def broken(now: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(conditions, "CONDITIONS", (broken, conditions.tenant_checks))
    _check("roles", CheckStatus.PROBLEM)
    assert evaluate_alerts() == ["tenant-check:roles"]


def test_the_beat_task_evaluates(settings: Any) -> None:
    from orgs.monitoring.tasks import evaluate_alerts as task

    _check("roles", CheckStatus.PROBLEM)
    assert task.apply().get() == ["tenant-check:roles"]
