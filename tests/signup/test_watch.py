"""Beat's care of sign-ups: a setup that failed for good alerts staff once, retries on its
own (spaced, a few times), and sends the all-clear when it is done."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from orgs.models import OpState, SyncOperation
from orgs.signup.models import Signup, SignupStatus
from orgs.signup.services import SignupDetails, signup_start, signup_verify
from orgs.signup.tasks import watch_signups as watch_task
from orgs.signup.watch import watch_signups
from orgs.sync.counts import refresh_counts
from tests.orgs.engine import drain

DETAILS = SignupDetails(
    company_name="Pied Piper", slug="pied-piper", admin_name="Richard H", email="richard@pp.test"
)


@pytest.fixture
def failed_signup(imported_tenant: Any, settings: Any) -> Signup:
    settings.STAFF_ALERT_EMAILS = ["oncall@portal.test", "lead@portal.test"]
    signup_start(details=DETAILS, ip="198.51.100.7")
    token = re.search(r"/signup/verify/([^/\s]+)/", mail.outbox[-1].body).group(1)  # type: ignore[union-attr]
    signup_verify(token)
    signup = Signup.objects.get()
    create = SyncOperation.objects.get(kind="organization.create")
    SyncOperation.objects.filter(pk=create.pk).update(
        state=OpState.FAILED,
        last_error="Auth0 answered 500",
        last_error_code="server_error",
        finished_at=timezone.now() - timedelta(hours=1),
    )
    refresh_counts([signup.organization_id])
    mail.outbox.clear()
    return signup


def _alerts(subject_start: str) -> list[Any]:
    return [m for m in mail.outbox if m.subject.startswith(subject_start)]


def test_failure_alerts_once_retries_and_resolves(failed_signup: Signup, settings: Any) -> None:
    settings.SIGNUP_AUTO_RETRY_SECONDS = 60
    report = watch_signups()
    assert report.alerted == 1 and report.retried == 1
    alerts = _alerts("Sign-up setup failed")
    assert sorted(m.to[0] for m in alerts) == ["lead@portal.test", "oncall@portal.test"]
    assert "pied-piper" in alerts[0].subject and "server_error" in alerts[0].body
    assert SyncOperation.objects.get(kind="organization.create").state == OpState.QUEUED

    # Still failing after its retry: no second alert (one per failure until it clears).
    SyncOperation.objects.filter(kind="organization.create").update(
        state=OpState.FAILED, finished_at=timezone.now()
    )
    refresh_counts([failed_signup.organization_id])
    report = watch_signups()
    assert report.alerted == 0 and report.retried == 0  # the next retry is not due yet
    assert len(_alerts("Sign-up setup failed")) == 2

    SyncOperation.objects.filter(kind="organization.create").update(state=OpState.QUEUED)
    drain()
    refresh_counts([failed_signup.organization_id])
    report = watch_signups()
    assert report.resolved == 1
    assert len(_alerts("Resolved:")) == 2
    assert watch_signups().resolved == 0  # said once


def test_retries_stop_after_the_configured_number(failed_signup: Signup, settings: Any) -> None:
    settings.SIGNUP_AUTO_RETRIES = 1
    assert watch_signups().retried == 1
    SyncOperation.objects.filter(kind="organization.create").update(
        state=OpState.FAILED, finished_at=timezone.now() - timedelta(hours=1)
    )
    refresh_counts([failed_signup.organization_id])
    assert watch_signups().retried == 0
    assert Signup.objects.get().auto_retries == 1


def test_the_beat_task_abandons_old_unverified_signups(imported_tenant: Any) -> None:
    signup_start(details=DETAILS, ip="198.51.100.7")
    Signup.objects.update(created_at=timezone.now() - timedelta(days=8))
    assert watch_task()["expired"] == 1
    assert Signup.objects.get().status == SignupStatus.EXPIRED


def test_without_alert_addresses_nothing_is_sent(failed_signup: Signup, settings: Any) -> None:
    settings.STAFF_ALERT_EMAILS = []
    assert watch_signups().alerted == 1  # recorded as told: the log says nobody was
    assert not mail.outbox
