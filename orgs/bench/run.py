"""One benchmark run: provision N organizations through real workers against a sandbox
tenant with Auth0's Enterprise buckets, and measure how close to the buckets' limit it got.

Each organization: create it, enable the shared database connection, invite its first
admin, add one callback URL to the shared demo application.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction

from orgs.auth0 import ratelimit
from orgs.auth0.client import forget_clients
from orgs.auth0.plans import endpoint_bucket
from orgs.bench import processes
from orgs.models import Application, OpState, SyncOperation
from orgs.models.applications import UrlKind
from orgs.services.applications import application_url_add
from orgs.services.organizations import organization_create
from orgs.sync.sweeper import sweep
from orgs.tenant_import import import_tenant
from portal.celery import app as celery_app
from portal.coordination import coordination_store

APPLICATION = "sandbox-demo-app"
FAULT_RULES: list[dict[str, Any]] = [
    {"action": "status", "status": 503, "method": "*", "path": r"^/api/v2/", "probability": 0.02},
    {"action": "status", "status": 429, "method": "*", "path": r"^/api/v2/", "probability": 0.005},
    {
        "action": "apply_then_fail",
        "status": 500,
        "method": "POST",
        "path": r"^/api/v2/organizations$",
        "probability": 0.05,
    },
    {
        "action": "apply_then_fail",
        "then": "drop",
        "method": "POST",
        "path": r"^/api/v2/organizations/[^/]+/invitations$",
        "probability": 0.05,
    },
    {
        "action": "apply_then_fail",
        "status": 502,
        "method": "PATCH",
        "path": r"^/api/v2/clients/",
        "probability": 0.05,
    },
]


@dataclass
class BenchConfig:
    orgs: int
    workers: int
    concurrency: int
    rate: float | None
    burst: int | None
    faults: bool
    timeout: float


def run(config: BenchConfig, worker_env: dict[str, str]) -> dict[str, Any]:
    port = processes.free_port()
    sandbox_url = f"http://127.0.0.1:{port}"
    sandbox = processes.start_sandbox(port=port, rate=config.rate, burst=config.burst)
    overrides = f"global={config.burst or 50}:{config.rate or 16}" if config.rate else ""
    settings.AUTH0_DOMAIN, settings.AUTH0_RATE_OVERRIDES = sandbox_url, overrides
    forget_clients()
    env = {**worker_env, "AUTH0_DOMAIN": sandbox_url, "AUTH0_RATE_OVERRIDES": overrides}
    workers: list[Any] = []
    try:
        import_tenant()
        workers = processes.start_workers(config.workers, config.concurrency, env)
        _wait_for_workers(config.workers)
        control = httpx.Client(base_url=f"{sandbox_url}/__sandbox__", timeout=30)
        if config.faults:
            for rule in FAULT_RULES:
                control.post("/faults", json=rule).raise_for_status()
        control.delete("/stats")
        ratelimit.reset_stats()
        started = time.monotonic()
        _provision(config.orgs)
        provisioned = time.monotonic() - started
        settled = _wait_until_settled(config.timeout)
        seconds = time.monotonic() - started
        control.delete("/faults")
        report = _report(config, control, seconds, settled)
        report["provision_seconds"] = round(provisioned, 2)
        return report
    finally:
        processes.stop(workers)
        processes.stop([sandbox])


def _wait_for_workers(count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(celery_app.control.ping(timeout=1.0) or []) >= count:
            return
    raise RuntimeError(f"{count} workers did not start within {timeout:.0f}s")


def _provision(count: int) -> None:
    application = Application.objects.get(client_id=APPLICATION)
    for index in range(count):
        with transaction.atomic():
            org = organization_create(
                actor=None,
                name=f"bench-{index:04d}",
                display_name=f"Bench {index}",
                first_admin_email=f"admin@bench-{index:04d}.test",
                application=application,
            )
            application_url_add(
                actor=None,
                organization=org,
                application=application,
                kind=UrlKind.CALLBACK,
                url=f"https://bench-{index:04d}.example.com/callback",
            )


def _wait_until_settled(timeout: float) -> bool:
    deadline, next_sweep = time.monotonic() + timeout, time.monotonic() + 5
    while time.monotonic() < deadline:
        if not _unsettled().exists():
            return True
        if time.monotonic() >= next_sweep:  # what beat does in production
            sweep()
            next_sweep = time.monotonic() + 5
        time.sleep(0.2)
    return False


def _unsettled() -> Any:
    """Open operations that can still finish (not blocked behind a failed parent)."""
    blocked = [OpState.FAILED, OpState.CANCELLED]
    return (
        SyncOperation.objects.filter(state__in=[OpState.QUEUED, OpState.RUNNING])
        .exclude(depends_on__state__in=blocked)
        .exclude(depends_on__depends_on__state__in=blocked)
    )


def _report(
    config: BenchConfig, control: httpx.Client, seconds: float, settled: bool
) -> dict[str, Any]:
    stats = control.get("/stats").json()
    state = control.get("/state").json()
    # Kept for after-the-fact analysis of a run (timelines, per-route counts).
    (Path(settings.VAR_DIR) / "bench-last-state.json").write_text(
        json.dumps({"stats": stats, "state": state})
    )
    calls, throttled, per_bucket = _count_calls(stats)
    ideal = _ideal_seconds(per_bucket, stats["buckets"])
    report = {
        "orgs": config.orgs,
        "workers": config.workers,
        "faults": config.faults,
        "calls": calls,
        "calls_per_org": round(calls / max(config.orgs, 1), 2),
        "ideal_seconds": round(ideal, 2),
        "seconds": round(seconds, 2),
        "efficiency": round(ideal / seconds, 3) if seconds else 0.0,
        "http_429": throttled,
        "throttled_by_buckets": stats.get("throttled", 0),
        "faults_injected": stats.get("faults_fired", 0),
        "failed": SyncOperation.objects.filter(state=OpState.FAILED).count(),
        "duplicates": _duplicates(state),
        "lost_updates": _lost_updates(config.orgs, state),
        "settled": settled,
        "limiter": ratelimit.stats(),
    }
    return report


def _count_calls(stats: dict[str, Any]) -> tuple[int, int, Counter[str]]:
    calls = throttled = 0
    per_bucket: Counter[str] = Counter()
    for route, statuses in stats["routes"].items():
        method, _, path = route.partition(" ")
        if not path.startswith("/api/v2/"):
            continue
        api_path = path.removeprefix("/api/v2")
        for status, count in statuses.items():
            calls += count
            if status == "429":
                throttled += count
                continue
            per_bucket["global"] += count
            bucket = endpoint_bucket(method, api_path)
            if bucket:
                per_bucket[bucket] += count
    return calls, throttled, per_bucket


def _ideal_seconds(per_bucket: Counter[str], buckets: dict[str, Any]) -> float:
    """The least time the tenant's buckets allow for these calls."""
    return max(
        [
            (n - buckets[name]["burst"]) / buckets[name]["rate"]
            for name, n in per_bucket.items()
            if name in buckets
        ]
        + [0.0]
    )


def _duplicates(state: dict[str, Any]) -> int:
    organizations = state["organizations"].values()
    by_portal_id = Counter((org.get("metadata") or {}).get("portal_id") for org in organizations)
    duplicate_orgs = sum(n - 1 for key, n in by_portal_id.items() if key and n > 1)
    invitations = Counter(
        (org["id"], inv.get("invitee_email"))
        for org in organizations
        for inv in (org.get("invitations") or {}).values()
    )
    return duplicate_orgs + sum(n - 1 for n in invitations.values() if n > 1)


def _lost_updates(count: int, state: dict[str, Any]) -> int:
    callbacks = set(state["clients"][APPLICATION]["callbacks"])
    wanted = {f"https://bench-{i:04d}.example.com/callback" for i in range(count)}
    return len(wanted - callbacks)


def flush_coordination() -> None:
    coordination_store().flushdb()
