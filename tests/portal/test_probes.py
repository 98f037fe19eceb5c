"""/healthz and /readyz: every readiness check ok and failing, against real parts only
(an unreachable port, the sandbox tenant and its fault injection, a real in-process
worker for the heartbeat)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from django.test import Client
from kombu import Queue

from portal.celery import app as portal_app
from portal.coordination import coordination_store, reset_cached_clients
from portal.health import AUTH0_CHECK_KEY, forget_auth0_result
from portal.worker_signals import (
    HEARTBEAT_PREFIX,
    WorkerHeartbeat,
    fresh_heartbeats,
    heartbeat_key,
    write_heartbeat,
)

pytestmark = pytest.mark.django_db

ALL_QUEUES = [queue.name for queue in portal_app.conf.task_queues]


@pytest.fixture
def ready(tenant: Any) -> Iterator[Any]:
    """The sandbox tenant, a fresh heartbeat for every queue, no cached Auth0 answer."""
    write_heartbeat("all@test", ALL_QUEUES)
    forget_auth0_result()
    yield tenant
    forget_auth0_result()


def readyz(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    return response.status_code, response.json()


def roles_reads(tenant: Any) -> int:
    routes = tenant.control("GET", "/stats")["routes"]
    return sum(routes.get("GET /api/v2/roles", {}).values())


def test_healthz_asks_no_dependency(client: Client, settings: Any) -> None:
    settings.COORDINATION_URL = "redis://127.0.0.1:1/0"
    settings.AUTH0_DOMAIN = "http://127.0.0.1:1"
    reset_cached_clients()
    try:
        response = client.get("/healthz")
    finally:
        reset_cached_clients()
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_is_200_when_every_dependency_answers(client: Client, ready: Any) -> None:
    status, body = readyz(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "coordination", "broker", "workers", "auth0"}
    assert all(check["ok"] and isinstance(check["ms"], float) for check in body["checks"].values())
    assert body["checks"]["database"]["vendor"] in ("sqlite", "postgresql")
    # In memory with the embedded stack; with REDIS_URL (CI) a real connection to Redis.
    assert body["checks"]["broker"]["backend"] in ("memory", "redis")
    assert body["checks"]["workers"]["workers"] == 1


def test_an_unreachable_broker_makes_readyz_503_without_naming_it(
    client: Client, ready: Any, settings: Any
) -> None:
    settings.CELERY_BROKER_URL = "redis://:hunter2@127.0.0.1:1/0"
    status, body = readyz(client)
    assert status == 503
    assert body["status"] == "unavailable"
    broker = body["checks"]["broker"]
    assert broker["ok"] is False and broker["error"] == "OperationalError"
    assert broker["ms"] < 5000  # one try, a short timeout: a load balancer is waiting
    assert "hunter2" not in str(body) and "127.0.0.1" not in str(body)


def test_a_reachable_redis_broker_is_ok(
    client: Client, ready: Any, settings: Any, redis_url: str
) -> None:
    settings.CELERY_BROKER_URL = redis_url
    status, body = readyz(client)
    assert status == 200, body
    assert body["checks"]["broker"]["backend"] == "redis"


def test_no_heartbeat_makes_readyz_503(client: Client, ready: Any) -> None:
    coordination_store().delete(heartbeat_key("all@test"))
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["workers"]["error"] == "NoWorkerHeartbeat"


def test_a_stale_heartbeat_counts_as_none(client: Client, ready: Any, settings: Any) -> None:
    long_ago = time.time() - 4 * settings.WORKER_HEARTBEAT_SECONDS
    write_heartbeat("all@test", ALL_QUEUES, now=long_ago)
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["workers"]["error"] == "NoWorkerHeartbeat"


def test_a_queue_nobody_consumes_makes_readyz_503(client: Client, ready: Any) -> None:
    coordination_store().delete(heartbeat_key("all@test"))
    write_heartbeat("interactive@test", ["auth0", "default"])
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["workers"] == {
        "ok": False,
        "error": "QueueWithoutWorker",
        "workers": 1,
        "ms": body["checks"]["workers"]["ms"],
    }
    write_heartbeat("bulk@test", ["auth0-bulk"])
    assert readyz(client)[0] == 200


def test_the_auth0_answer_is_shared_for_a_while(client: Client, ready: Any) -> None:
    before = roles_reads(ready)
    first = readyz(client)[1]["checks"]["auth0"]
    second = readyz(client)[1]["checks"]["auth0"]
    assert first["ok"] and first["cached"] is False
    assert second["ok"] and second["cached"] is True
    assert roles_reads(ready) == before + 1  # one Management API read for both probes
    assert coordination_store().pttl(AUTH0_CHECK_KEY) > 0


def test_an_auth0_fault_makes_readyz_503_with_its_type_only(client: Client, ready: Any) -> None:
    ready.add_fault(path="^/api/v2/roles$", status=503, message="secret backend detail")
    status, body = readyz(client)
    assert status == 503
    auth0 = body["checks"]["auth0"]
    assert (auth0["ok"], auth0["error"], auth0["failed_at"]) == (False, "Auth0Error", "read")
    assert "secret backend detail" not in str(body)


def test_a_refused_token_is_reported_as_the_token_step(client: Client, ready: Any) -> None:
    ready.add_fault(path="^/oauth/token$", status=401)
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["auth0"]["failed_at"] == "token"


def test_a_failure_is_cached_too_until_it_expires(client: Client, ready: Any) -> None:
    ready.add_fault(path="^/api/v2/roles$", status=500)
    assert readyz(client)[0] == 503
    ready.control("DELETE", "/faults")
    status, body = readyz(client)
    assert status == 503  # a load balancer polling each second never hammers Auth0
    assert body["checks"]["auth0"]["cached"] is True
    forget_auth0_result()
    assert readyz(client)[0] == 200


def test_an_unreachable_tenant_makes_readyz_503(client: Client, ready: Any, settings: Any) -> None:
    from orgs.auth0.client import forget_clients

    settings.AUTH0_DOMAIN = "http://127.0.0.1:1"
    forget_clients()
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["auth0"]["error"] == "Auth0Error"


def test_a_running_worker_heartbeats_and_a_stopped_one_stops_at_once(settings: Any) -> None:
    """The bootstep in a real (in-process, in-memory broker) worker, as `make run` has."""
    from celery.worker import WorkController

    settings.WORKER_HEARTBEAT_SECONDS = 0.2
    coordination_store().delete(*coordination_store().keys(f"{HEARTBEAT_PREFIX}*") or ["none"])
    app = Celery("probe-test", broker="memory://", set_as_current=False)
    app.conf.task_queues = (Queue("auth0"), Queue("auth0-bulk"), Queue("default"))
    app.steps["consumer"].add(WorkerHeartbeat)
    worker = WorkController(
        app=app,
        hostname="probe@test",
        pool="threads",
        concurrency=1,
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
    )
    threading.Thread(target=worker.start, daemon=True).start()
    try:
        beats = _wait_for(lambda: [h for h in fresh_heartbeats() if h.hostname == "probe@test"])
        assert set(beats[0].queues) == {"auth0", "auth0-bulk", "default"}
        first_age = beats[0].age
        time.sleep(0.5)  # the timer writes again: the heartbeat stays young
        (again,) = [h for h in fresh_heartbeats() if h.hostname == "probe@test"]
        assert again.age < 0.5 and again.age <= first_age + 0.5
    finally:
        worker.stop(in_sighandler=False)
    assert coordination_store().get(heartbeat_key("probe@test")) is None


def _wait_for(found: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = found()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("the worker never wrote its heartbeat")
