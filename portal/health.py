"""Liveness and readiness probes with JSON bodies (200 when healthy, 503 when not).

`/healthz` says the process answers and nothing else: no dependency is asked, so a
restart is never caused by a database or Auth0 outage. `/readyz` asks every dependency a
request or a change needs: the database, the coordination store, the Celery broker, a
fresh worker heartbeat for every queue (`portal.worker_signals`), and Auth0 (a
Management API token and one cheap read through the gateway, so our rate limiter and
the token cache apply; the answer is shared through the coordination store for
`READYZ_AUTH0_CACHE_SECONDS`). Each check reports its milliseconds and, on failure, the
error's type only: an exception's message can carry hosts, URLs or Auth0's words.

Why not django-health-check (4.8, evaluated for issue 12): its plugin model would take
our checks (a `HealthCheck` dataclass with `run()`), but everything around them would
have to be overridden or worked around:

- its JSON is `{"<check repr>": "OK" | "<error message>"}`: no milliseconds, a message
  instead of a type, and 500 instead of 503 on failure, so `render_to_response_json` and
  the status code would be ours anyway;
- its view is async and runs synchronous checks on an executor's threads, whose database
  connections Django's request cycle never closes;
- of its checks only Database fits. Its Redis check does not know our embedded store,
  and its Celery check broadcasts `ping` and waits for replies on every probe (a second
  or more each time a load balancer polls); the worker heartbeat and the cached Auth0
  check would be ours in any case.

What would be left of the library is a loop over checks, so this small module stays.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.coordination import coordination_store, is_embedded

ReadinessCheck = Callable[[], dict[str, object]]

AUTH0_CHECK_KEY = "ops:readyz:auth0"


class CheckFailed(Exception):
    """A failure reported under a name of its own (`error`), e.g. one read from the cache."""

    def __init__(self, error: str, **detail: object) -> None:
        super().__init__(error)
        self.error = error
        self.detail = detail


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def check_database() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_coordination() -> dict[str, object]:
    coordination_store().ping()
    return {"backend": "embedded" if is_embedded() else "redis"}


def check_broker() -> dict[str, object]:
    """One connection to the broker, no retry, `READYZ_BROKER_TIMEOUT` at most. The
    in-memory broker of the embedded stack lives in this process: nothing to ask."""
    from kombu import Connection

    url = str(settings.CELERY_BROKER_URL)
    scheme = urlsplit(url).scheme or "memory"  # never the URL: it may hold a password
    if scheme == "memory":
        return {"backend": "memory"}
    timeout = float(settings.READYZ_BROKER_TIMEOUT)
    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    with Connection(url, connect_timeout=timeout, transport_options=options) as broker:
        broker.ensure_connection(max_retries=0, timeout=max(1, round(timeout)))
    return {"backend": scheme}


def check_workers() -> dict[str, object]:
    """Every queue the app declares is consumed by a worker with a fresh heartbeat."""
    from portal.celery import app
    from portal.worker_signals import fresh_heartbeats

    heartbeats = fresh_heartbeats()
    if not heartbeats:
        raise CheckFailed("NoWorkerHeartbeat")
    served = {queue for heartbeat in heartbeats for queue in heartbeat.queues}
    if {queue.name for queue in app.conf.task_queues} - served:
        raise CheckFailed("QueueWithoutWorker", workers=len(heartbeats))
    return {"workers": len(heartbeats)}


def check_auth0() -> dict[str, object]:
    """A token and `GET /roles?per_page=1`, or the answer another probe got moments ago."""
    store = coordination_store()
    raw = store.get(AUTH0_CHECK_KEY)
    if raw is not None:
        cached = json.loads(raw)
        age = round(time.time() - float(cached["at"]), 1)
        detail: dict[str, object] = {"cached": True, "age_s": age}
        if cached.get("error"):
            raise CheckFailed(str(cached["error"]), **detail, failed_at=cached["failed_at"])
        return detail
    outcome = _ask_auth0()
    outcome["at"] = time.time()
    ttl_ms = int(float(settings.READYZ_AUTH0_CACHE_SECONDS) * 1000)
    if ttl_ms > 0:
        store.set(AUTH0_CHECK_KEY, json.dumps(outcome), px=ttl_ms)
    if outcome.get("error"):
        raise CheckFailed(str(outcome["error"]), cached=False, failed_at=outcome["failed_at"])
    return {"cached": False}


def _ask_auth0() -> dict[str, object]:
    """{} when Auth0 answered; else {"error": type name, "failed_at": "token" | "read"}."""
    from orgs.auth0 import tokens
    from orgs.auth0.client import auth0_call, management_client

    step = "token"
    try:
        tokens.management_token()
        step = "read"
        with auth0_call():
            management_client().roles.list(per_page=1)
    except Exception as exc:  # any failure means "not ready"; its type is all we keep
        return {"error": type(exc).__name__, "failed_at": step}
    return {}


def forget_auth0_result() -> None:
    """Drop the shared Auth0 answer (tests; an operator after fixing the tenant)."""
    coordination_store().delete(AUTH0_CHECK_KEY)


READINESS_CHECKS: dict[str, ReadinessCheck] = {
    "database": check_database,
    "coordination": check_coordination,
    "broker": check_broker,
    "workers": check_workers,
    "auth0": check_auth0,
}


def run_check(check: ReadinessCheck) -> dict[str, object]:
    """One check's report: ok, its detail or its error's type, and how long it took."""
    started = time.monotonic()
    try:
        result: dict[str, object] = {"ok": True, **check()}
    except CheckFailed as failed:
        result = {"ok": False, "error": failed.error, **failed.detail}
    except Exception as exc:  # any failure means "not ready"; report its type only
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results = {name: run_check(check) for name, check in READINESS_CHECKS.items()}
    healthy = all(result["ok"] for result in results.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": results}
    return JsonResponse(body, status=200 if healthy else 503)
