"""Real worker processes on real Redis and PostgreSQL: concurrent callback additions to one
application lose nothing, and every operation settles.

The workers are separate `celery worker` processes, so they need a database they can
share with this test (PostgreSQL) and a real broker (Redis): under CI both are there and
their absence fails the test; locally it is skipped without them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from orgs.bench.processes import start_workers, stop
from orgs.models import Application, ApplicationURL, OpState, SyncOperation
from orgs.models.applications import UrlKind
from orgs.services.applications import application_url_add
from portal.celery import app as celery_app
from tests.conftest import require_service
from tests.factories import OrganizationFactory
from tests.tenant import FAST_LIMITS

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
WORKERS, THREADS, ORGS, URLS_PER_ORG = 3, 8, 20, 10


def _database_url() -> str:
    if connection.vendor != "postgresql":
        require_service("worker processes need PostgreSQL to share the test database")
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def workers(tenant: Any, redis_url: str, settings: Any, tmp_path: Path) -> Iterator[str]:
    """Worker processes consuming from `redis_url`; yields that broker URL."""
    settings.COORDINATION_URL = redis_url
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "AUTH0_DOMAIN": tenant.url,
        "AUTH0_RATE_OVERRIDES": FAST_LIMITS,
        "SECRET_KEY": settings.SECRET_KEY,
        "PORTAL_VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }
    processes = start_workers(WORKERS, THREADS, env, name="test")
    try:
        yield redis_url
    finally:
        stop(processes)


def _send(op_ids: list[int], broker_url: str) -> None:
    from orgs.tasks import run_sync_operation

    with celery_app.connection_for_write(broker_url) as broker:
        for op_id in op_ids:
            run_sync_operation.apply_async(args=(op_id,), connection=broker)


def _wait_until_settled(timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not SyncOperation.objects.filter(state__in=[OpState.QUEUED, OpState.RUNNING]).exists():
            return
        time.sleep(0.25)
    open_ops = list(
        SyncOperation.objects.filter(state__in=[OpState.QUEUED, OpState.RUNNING]).values(
            "kind", "state", "attempts", "last_error"
        )[:5]
    )
    raise AssertionError(f"operations did not settle: {open_ops}")


def _story_of(urls: set[str]) -> list[dict[str, Any]]:
    """For a failure message: the rows of the missing URLs and their organizations' ops."""
    rows = ApplicationURL.objects.filter(url__in=urls)
    return [
        {
            "url": row.url,
            "sync_state": row.sync_state,
            "ops": list(
                SyncOperation.objects.filter(organization=row.organization).values(
                    "pk", "state", "attempts", "last_error_code", "result", "created_at"
                )
            ),
            "row_created": row.created_at,
        }
        for row in rows
    ]


def test_200_concurrent_callback_additions_to_one_application_lose_none(
    imported_tenant: Any, workers: str, django_capture_on_commit_callbacks: Any
) -> None:
    application = Application.objects.get(client_id="sandbox-demo-app")
    organizations = [OrganizationFactory() for _ in range(ORGS)]
    wanted = []
    for n in range(URLS_PER_ORG):
        for org in organizations:
            url = f"https://{org.name}-{n}.example.com/callback"
            # Committed one by one and sent at once, so workers run while more arrive.
            with django_capture_on_commit_callbacks(execute=False):
                application_url_add(
                    actor=None,
                    organization=org,
                    application=application,
                    kind=UrlKind.CALLBACK,
                    url=url,
                )
            _send([SyncOperation.objects.latest("id").pk], workers)
            wanted.append(url)

    _wait_until_settled()

    callbacks = set(imported_tenant.state()["clients"]["sandbox-demo-app"]["callbacks"])
    assert len(wanted) == ORGS * URLS_PER_ORG == 200
    missing = set(wanted) - callbacks
    assert not missing, f"lost {len(missing)} callback URLs: {_story_of(missing)}"
    assert not SyncOperation.objects.filter(state=OpState.FAILED).exists()
