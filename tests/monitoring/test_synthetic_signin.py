"""The synthetic sign-in against the sandbox tenant: a success with its latency, Auth0's
refusals in plain words, the attempts kept for a few days, and the alert on failure."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from orgs.monitoring.conditions import evaluate_alerts
from orgs.monitoring.models import SyntheticSignIn
from orgs.monitoring.synthetic import PASSWORD_REALM, synthetic_signin
from sandbox.seed import DATABASE_CONNECTION, DEMO_CREDENTIALS
from sandbox.state import Client

pytestmark = pytest.mark.django_db

USER = "member@acme.test"
CLIENT_ID, CLIENT_SECRET = "synthetic-monitor", "synthetic-monitor-secret-value"


@pytest.fixture
def signin_client(tenant: Any, settings: Any) -> Any:
    """An application allowed the password-realm grant on the database connection, and
    the portal configured to sign the demo member in with it."""
    state = tenant.app.state
    with state.lock:
        state.clients[CLIENT_ID] = Client(
            client_id=CLIENT_ID,
            name="Synthetic monitor",
            client_secret=CLIENT_SECRET,
            grant_types=[PASSWORD_REALM],
        )
        connection = state.connection_by_name(DATABASE_CONNECTION)
        connection.enabled_clients.append(CLIENT_ID)
    settings.SYNTHETIC_SIGNIN_ENABLED = True
    settings.SYNTHETIC_SIGNIN_CONNECTION = DATABASE_CONNECTION
    settings.SYNTHETIC_SIGNIN_CLIENT_ID = CLIENT_ID
    settings.SYNTHETIC_SIGNIN_CLIENT_SECRET = CLIENT_SECRET
    settings.SYNTHETIC_SIGNIN_USERNAME = USER
    settings.SYNTHETIC_SIGNIN_PASSWORD = DEMO_CREDENTIALS[USER]
    settings.STAFF_ALERT_EMAILS = ["oncall@portal.test"]
    return tenant


def test_it_does_nothing_while_off(tenant: Any, settings: Any) -> None:
    settings.SYNTHETIC_SIGNIN_ENABLED = False
    assert synthetic_signin() is None
    assert not SyntheticSignIn.objects.exists()


def test_a_sign_in_records_success_and_latency(
    signin_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        attempt = synthetic_signin()
    assert attempt is not None and attempt.ok
    assert attempt.latency_ms is not None and attempt.latency_ms >= 0
    assert attempt.error_code == "" and attempt.error == ""
    user = signin_client.app.state.user_by_email(USER)
    assert user.logins_count == 1
    assert DEMO_CREDENTIALS[USER] not in caplog.text and CLIENT_SECRET not in caplog.text


def test_a_wrong_password_is_recorded_in_plain_words_and_alerts(
    signin_client: Any, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SYNTHETIC_SIGNIN_PASSWORD = "no-longer-the-password"
    with caplog.at_level(logging.DEBUG):
        attempt = synthetic_signin()
    assert attempt is not None and not attempt.ok
    assert attempt.error_code == "invalid_grant" and attempt.latency_ms is not None
    assert "SYNTHETIC_SIGNIN_USERNAME" in attempt.error
    assert "no-longer-the-password" not in caplog.text
    assert evaluate_alerts() == ["synthetic-signin"]
    assert [m.subject for m in mail.outbox] == [
        "Portal alert: The synthetic sign-in is failing: the test user cannot sign in to the tenant"
    ]
    settings.SYNTHETIC_SIGNIN_PASSWORD = DEMO_CREDENTIALS[USER]
    assert synthetic_signin().ok  # type: ignore[union-attr]
    assert evaluate_alerts() == []
    assert mail.outbox[-1].subject.startswith("Resolved: ")


def test_a_blocked_test_user_is_told_apart(signin_client: Any) -> None:
    signin_client.app.state.user_by_email(USER).blocked = True
    attempt = synthetic_signin()
    assert attempt is not None and attempt.error_code == "unauthorized"
    assert "blocked" in attempt.error


def test_an_application_without_the_grant_is_told_apart(signin_client: Any) -> None:
    signin_client.app.state.clients[CLIENT_ID].grant_types = ["authorization_code"]
    attempt = synthetic_signin()
    assert attempt is not None and attempt.error_code == "unauthorized_client"
    assert "Grant Types" in attempt.error


def test_auth0_down_is_a_failure_with_its_latency(signin_client: Any) -> None:
    signin_client.add_fault(path="^/oauth/token$", status=503)
    attempt = synthetic_signin()
    assert attempt is not None and not attempt.ok and attempt.latency_ms is not None
    assert "server error (HTTP 503)" in attempt.error


def test_missing_settings_are_named_not_shown(signin_client: Any, settings: Any) -> None:
    settings.SYNTHETIC_SIGNIN_PASSWORD = ""
    attempt = synthetic_signin()
    assert attempt is not None and attempt.error_code == "not_configured"
    assert attempt.error == "Not set: SYNTHETIC_SIGNIN_PASSWORD."


def test_attempts_older_than_the_kept_days_are_deleted(signin_client: Any, settings: Any) -> None:
    settings.SYNTHETIC_SIGNIN_KEEP_DAYS = 7
    old = SyntheticSignIn.objects.create(
        started_at=timezone.now() - timedelta(days=8), ok=True, latency_ms=90
    )
    recent = SyntheticSignIn.objects.create(
        started_at=timezone.now() - timedelta(days=6), ok=True, latency_ms=90
    )
    synthetic_signin()
    kept = set(SyntheticSignIn.objects.values_list("pk", flat=True))
    assert old.pk not in kept and recent.pk in kept and len(kept) == 2


def test_the_beat_task_signs_in(signin_client: Any) -> None:
    from orgs.monitoring.tasks import synthetic_signin as task

    result = task.apply().get()
    assert result["ok"] is True and result["error_code"] == ""
