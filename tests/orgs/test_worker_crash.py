"""A worker process killed (SIGKILL) mid-handler: its operation is taken back by the
sweeper once the lease expires, and finishes exactly once on another worker.

The create's POST is delayed in the sandbox, so it still lands after the worker is dead:
the lost-response case. The second worker must adopt that organization, not make another.
Like tests/orgs/test_workers.py this needs PostgreSQL and Redis (skipped locally without
them, failing under CI).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from orgs.bench.processes import start_workers, stop
from orgs.models import MembershipModel, OpState, Organization, SyncOperation
from orgs.services.organizations import organization_create
from orgs.sync.sweeper import sweep
from portal.celery import app as celery_app
from tests.orgs.test_workers import THREADS, _database_url, _send, _wait_until_settled
from tests.tenant import FAST_LIMITS

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
LEASE_SECONDS = 3
POST_DELAY = 4


def _poll(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _crashco_in_sandbox(tenant: Any) -> list[tuple[str, dict[str, Any]]]:
    return [
        (auth0_id, org)
        for auth0_id, org in tenant.state()["organizations"].items()
        if org["name"] == "crashco"
    ]


def test_a_killed_worker_s_operation_is_taken_back_and_finishes_exactly_once(
    imported_tenant: Any,
    redis_url: str,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.COORDINATION_URL = redis_url
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "AUTH0_DOMAIN": imported_tenant.url,
        "AUTH0_RATE_OVERRIDES": FAST_LIMITS,
        "SECRET_KEY": settings.SECRET_KEY,
        "PORTAL_VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
        "SYNC_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    with django_capture_on_commit_callbacks(execute=False):
        org = organization_create(
            actor=None,
            name="crashco",
            display_name="Crash Co",
            membership_model=MembershipModel.ENTERPRISE_ONLY,
        )
    op = SyncOperation.objects.get(kind="organization.create", target_id=org.pk)
    imported_tenant.add_fault(
        action="delay", delay=POST_DELAY, method="POST", path=r"^/api/v2/organizations$", times=1
    )

    processes = start_workers(1, THREADS, env, name="crash-first")
    try:
        first = processes[0]
        _send([op.pk], redis_url)
        _poll(
            lambda: SyncOperation.objects.filter(pk=op.pk, state=OpState.RUNNING).exists(),
            "the first worker to claim the operation",
            timeout=60,
        )
        # Kill it while its POST is held by the delay fault (the fault has fired).
        _poll(lambda: imported_tenant.app.stats.faults >= 1, "the create's POST to be sent")
        assert SyncOperation.objects.get(pk=op.pk).state == OpState.RUNNING
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)

        # The POST the dead worker sent still lands: Auth0 has it, the portal does not.
        _poll(lambda: bool(_crashco_in_sandbox(imported_tenant)), "the delayed POST to land")
        op.refresh_from_db()
        assert op.state == OpState.RUNNING, (op.state, op.last_error)
        org.refresh_from_db()
        assert not org.auth0_id

        # Nobody extends the dead worker's lease: wait it out, then sweep as beat would.
        _poll(
            lambda: SyncOperation.objects.filter(
                pk=op.pk, state=OpState.RUNNING, lease_expires_at__lt=timezone.now()
            ).exists(),
            "the dead worker's lease to expire",
        )
        processes += start_workers(1, THREADS, env, name="crash-second")
        swept = sweep()
        assert swept["recovered"] == 1, swept
        if celery_app.conf.broker_url != redis_url:  # the sweep sent it elsewhere
            _send([op.pk], redis_url)

        _wait_until_settled(timeout=120)
    finally:
        stop(processes)

    op.refresh_from_db()
    assert op.state == OpState.SUCCEEDED, (op.state, op.attempts, op.last_error)
    assert op.attempts >= 2, op.attempts
    found = _crashco_in_sandbox(imported_tenant)
    assert len(found) == 1, found
    auth0_id, created = found[0]
    assert created["metadata"]["portal_id"] == str(org.portal_id)
    assert Organization.objects.get(pk=org.pk).auth0_id == auth0_id
