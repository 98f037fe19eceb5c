"""One benchmark run: provision N organizations through real workers against a sandbox
tenant with Auth0's Enterprise buckets, and measure how close to the buckets' limit it got.

Each organization: create it, enable the shared database connection, invite its first
admin, add one callback URL to the shared demo application. Provisioning is bulk work.

With `interactive` > 0, a person's changes are made while the bulk run drains: that many
display-name changes of the demo organizations, one every `INTERACTIVE_SPACING` seconds,
each timed from the save to its operation having written Auth0 and read it back. The
interactive lane has a worker process of its own, as in production.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from orgs.auth0 import ratelimit
from orgs.auth0.client import forget_clients
from orgs.auth0.plans import endpoint_bucket
from orgs.bench import processes
from orgs.models import Application, OpState, Organization, SyncOperation
from orgs.models.applications import UrlKind
from orgs.services.applications import application_url_add
from orgs.services.organizations import organization_create, organization_update
from orgs.sync.priority import bulk_priority
from orgs.sync.sweeper import sweep
from orgs.tenant_import import import_tenant
from portal.celery import BULK_WORKER_QUEUES, INTERACTIVE_WORKER_QUEUES
from portal.celery import app as celery_app
from portal.coordination import coordination_store

APPLICATION = "sandbox-demo-app"
INTERACTIVE_ORGS = ("acme", "globex", "staff")
INTERACTIVE_SPACING = 3.0  # seconds between a person's changes
INTERACTIVE_START = 10.0  # into the bulk run, so its queues are full
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
    interactive: int = 0


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
        workers = _start_workers(config, env)
        _wait_for_workers(len(workers))
        control = httpx.Client(base_url=f"{sandbox_url}/__sandbox__", timeout=30)
        if config.faults:
            for rule in FAULT_RULES:
                control.post("/faults", json=rule).raise_for_status()
        control.delete("/stats")
        ratelimit.reset_stats()
        started = time.monotonic()
        changes: list[tuple[int, datetime]] = []
        person = threading.Thread(
            target=_interactive_changes, args=(config.interactive, started, changes)
        )
        person.start()  # a person at work while the batch is recorded and drains
        with bulk_priority():
            _provision(config.orgs)
        provisioned = time.monotonic() - started
        person.join()
        settled = _wait_until_settled(config.timeout)
        seconds = time.monotonic() - started
        control.delete("/faults")
        report = _report(config, control, seconds, settled)
        report["provision_seconds"] = round(provisioned, 2)
        if config.interactive:
            report["interactive"] = _latencies(changes)
        return report
    finally:
        processes.stop(workers)
        processes.stop([sandbox])


def _start_workers(config: BenchConfig, env: dict[str, str]) -> list[Any]:
    if not config.interactive:
        return processes.start_workers(config.workers, config.concurrency, env)
    # Production's shape: bulk workers, and one interactive worker of its own.
    bulk = processes.start_workers(
        config.workers, config.concurrency, env, queues=BULK_WORKER_QUEUES
    )
    person = processes.start_workers(
        1, 4, env, name="interactive", queues=INTERACTIVE_WORKER_QUEUES
    )
    return bulk + person


def _interactive_changes(count: int, started: float, changes: list[tuple[int, datetime]]) -> None:
    """Make `count` changes as a person would, spaced out during the bulk run; appends
    (operation id carrying the change, when it was saved) for each."""
    try:
        for index in range(count):
            due = started + INTERACTIVE_START + index * INTERACTIVE_SPACING
            time.sleep(max(0.0, due - time.monotonic()))
            org = Organization.objects.get(name=INTERACTIVE_ORGS[index % len(INTERACTIVE_ORGS)])
            saved_at = timezone.now()
            with transaction.atomic():
                organization_update(
                    actor=None, organization=org, display_name=f"{org.name} change {index}"
                )
            updates = SyncOperation.objects.filter(kind="organization.update", organization=org)
            changes.append((updates.latest("pk").pk, saved_at))
    finally:
        connection.close()  # this thread's own database connection


def _latencies(changes: list[tuple[int, datetime]]) -> dict[str, Any]:
    """Seconds from saving each change to the success of the operation that carried it
    (Auth0 written and read back): p50, p95 and the slowest."""
    succeeded = SyncOperation.objects.filter(
        pk__in={op_id for op_id, _ in changes}, state=OpState.SUCCEEDED
    ).exclude(finished_at=None)
    finished: dict[int, datetime] = {op.pk: op.finished_at for op in succeeded if op.finished_at}
    seconds = sorted(
        (finished[op_id] - saved_at).total_seconds()
        for op_id, saved_at in changes
        if op_id in finished
    )
    if not seconds:
        return {"changes": len(changes), "succeeded": 0}
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    return {
        "changes": len(changes),
        "succeeded": len(seconds),
        "p50_seconds": round(statistics.median(seconds), 3),
        "p95_seconds": round(p95, 3),
        "max_seconds": round(seconds[-1], 3),
    }


def _wait_for_workers(count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(celery_app.control.ping(timeout=1.0) or []) >= count:
            return
    raise RuntimeError(f"{count} workers did not start within {timeout:.0f}s")


def _provision(count: int, *, invite_admins: bool = True) -> None:
    """Record the benchmark's organizations; without `invite_admins`, only what a
    deploy-cli directory can carry (orgs/bench/redeploy.py)."""
    application = Application.objects.get(client_id=APPLICATION)
    for index in range(count):
        with transaction.atomic():
            org = organization_create(
                actor=None,
                name=f"bench-{index:04d}",
                display_name=f"Bench {index}",
                first_admin_email=f"admin@bench-{index:04d}.test" if invite_admins else "",
                application=application if invite_admins else None,
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
