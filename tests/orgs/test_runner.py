"""The claim, retry, backoff, dependency and lease paths of the sync runner."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from orgs.auth0.errors import Auth0Error, LockBusy, RateLimited
from orgs.models import OpState, SyncOperation, SyncState
from orgs.sync import runner
from orgs.sync.outbox import record_operation
from orgs.sync.registry import HANDLERS
from orgs.sync.sweeper import recover_expired_leases, sweep
from tests.factories import OrganizationFactory
from tests.orgs.engine import sent_ops

pytestmark = pytest.mark.django_db
OUTCOMES: list[Any] = []


@pytest.fixture(autouse=True)
def test_handler(coordination: str) -> Iterator[None]:
    """A handler kind whose behaviour each test scripts: a value to return or an error."""

    def scripted(op: SyncOperation) -> dict[str, Any]:
        outcome = OUTCOMES.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return dict(outcome)

    HANDLERS["test.scripted"] = scripted
    OUTCOMES.clear()
    yield
    HANDLERS.pop("test.scripted", None)


def _op(**kwargs: Any) -> SyncOperation:
    org = kwargs.pop("org", None) or OrganizationFactory()
    return record_operation(kind="test.scripted", target=org, organization=org, **kwargs)


def test_a_successful_run_marks_the_target_in_sync() -> None:
    op = _op()
    OUTCOMES.append({"done": True})
    assert runner.run_operation(op.pk) == "succeeded"
    op.refresh_from_db()
    assert op.state == OpState.SUCCEEDED and op.result == {"done": True}
    assert op.organization.__class__.objects.get(pk=op.target_id).sync_state == SyncState.IN_SYNC


def test_an_operation_is_claimed_by_one_worker_only() -> None:
    op = _op()
    assert runner.claim(op.pk, "worker-a") is True
    assert runner.claim(op.pk, "worker-b") is False


def test_an_operation_that_is_not_due_is_not_claimed() -> None:
    op = _op()
    SyncOperation.objects.filter(pk=op.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=1)
    )
    assert runner.run_operation(op.pk) == "not-claimed"


def test_a_retryable_error_schedules_a_backoff_retry() -> None:
    op = _op()
    OUTCOMES.append(Auth0Error("Auth0 503", status=503, retryable=True))
    before = timezone.now()
    assert runner.run_operation(op.pk) == "retrying"
    op.refresh_from_db()
    assert op.state == OpState.QUEUED and op.attempts == 1
    assert op.next_attempt_at > before and "503" in op.last_error


def test_backoff_grows_and_is_capped() -> None:
    assert 1 <= runner.backoff_seconds(1) <= 2
    assert 8 <= runner.backoff_seconds(4) <= 16
    assert runner.backoff_seconds(50) <= runner.BACKOFF_CAP_SECONDS


def test_waiting_for_a_rate_limit_reset_is_not_a_failed_attempt() -> None:
    op = _op()
    reset = time.time() + 30
    OUTCOMES.append(RateLimited("bucket empty", retry_at=reset))
    assert runner.run_operation(op.pk) == "retrying"
    op.refresh_from_db()
    assert op.attempts == 0
    assert abs(op.next_attempt_at.timestamp() - reset) < 1


def test_a_busy_lock_is_retried_soon_without_counting(settings: Any) -> None:
    op = _op()
    OUTCOMES.append(LockBusy("held elsewhere"))
    assert runner.run_operation(op.pk) == "retrying"
    op.refresh_from_db()
    assert op.attempts == 0 and op.state == OpState.QUEUED


def test_a_permanent_error_fails_the_operation_and_the_target() -> None:
    op = _op()
    OUTCOMES.append(Auth0Error("Payload validation error", status=400, code="invalid_body"))
    assert runner.run_operation(op.pk) == "failed"
    op.refresh_from_db()
    assert op.state == OpState.FAILED and "Payload validation error" in op.last_error
    org = op.organization.__class__.objects.get(pk=op.target_id)
    assert org.sync_state == SyncState.FAILED and "Payload validation" in org.sync_error


def test_retryable_errors_fail_after_the_last_attempt(settings: Any) -> None:
    settings.SYNC_MAX_ATTEMPTS = 2
    op = _op()
    OUTCOMES.extend([Auth0Error("timeout", retryable=True)] * 2)
    assert runner.run_operation(op.pk) == "retrying"
    SyncOperation.objects.filter(pk=op.pk).update(next_attempt_at=timezone.now())
    assert runner.run_operation(op.pk) == "failed"
    op.refresh_from_db()
    assert op.last_error.startswith("Gave up after 2 attempts")


def test_a_crashing_handler_is_retried_not_lost() -> None:
    op = _op()
    OUTCOMES.append(KeyError("surprise"))
    assert runner.run_operation(op.pk) == "retrying"
    op.refresh_from_db()
    assert "Unexpected error: KeyError" in op.last_error


def test_a_dependent_waits_for_its_parent_and_starts_when_it_succeeds(
    django_capture_on_commit_callbacks: Any,
) -> None:
    parent = _op()
    child = _op(depends_on=parent)  # another target: the same one would merge into it
    assert runner.run_operation(child.pk) == "waiting"
    OUTCOMES.extend([{"parent": 1}, {"child": 1}])
    with django_capture_on_commit_callbacks() as callbacks:
        assert runner.run_operation(parent.pk) == "succeeded"
    assert len(sent_ops(callbacks)) == 1  # the child is enqueued when the parent commits
    assert runner.run_operation(child.pk) == "succeeded"


def test_an_expired_lease_is_taken_back_and_a_late_outcome_is_ignored() -> None:
    op = _op()
    assert runner.claim(op.pk, "dead-worker")
    SyncOperation.objects.filter(pk=op.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert recover_expired_leases() == [(op.pk, op.priority)]
    op.refresh_from_db()
    assert op.state == OpState.QUEUED and op.attempts == 1
    assert runner._record_success(op, "dead-worker", {}) == "lease-lost"


def test_the_sweeper_resends_late_operations(django_capture_on_commit_callbacks: Any) -> None:
    op = _op()
    SyncOperation.objects.filter(pk=op.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    assert sweep()["resent"] >= 1
