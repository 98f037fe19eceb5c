"""The two ways Auth0 names to provision organizations, timed side by side on the same
organizations and the same buckets (sandboxes over TLS with Auth0's Enterprise limits):

(a) live: the portal's services record them and real workers push them through the engine
    (orgs/bench/run.py's provisioning, without the admin invitations, which a deploy-cli
    directory cannot carry), until every operation succeeded;
(b) re-deploy: `a0deploy import` of the portal's export of those organizations into a
    fresh tenant, from the command's start (deploy-cli's own start-up included) to its
    exit.

Each organization: created with the shared database connection enabled, and one callback
URL on the shared demo application.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from orgs.auth0.client import forget_clients
from orgs.bench import processes
from orgs.bench.deploy_cli import deploy_cli_for, find_a0deploy, start_tls_sandbox
from orgs.bench.run import (
    BenchConfig,
    _provision,
    _start_workers,
    _wait_for_workers,
    _wait_until_settled,
)
from orgs.deploy.export import export_directory
from orgs.models import OpState, Organization, SyncOperation
from orgs.sync.priority import bulk_priority
from orgs.tenant_import import import_tenant


@dataclass
class RedeployConfig:
    orgs: int
    workers: int
    concurrency: int
    timeout: float


def run(config: RedeployConfig, worker_env: dict[str, str]) -> dict[str, Any]:
    find_a0deploy()  # before any timing: npm install when it is missing
    with tempfile.TemporaryDirectory(prefix="bench-redeploy-") as scratch:
        work = Path(scratch)
        live = _live(config, worker_env, work)
        redeploy = _redeploy(work)
    return {
        "orgs": config.orgs,
        "workers": config.workers,
        "live_seconds": live["seconds"],
        "live_orgs_per_second": _rate(config.orgs, live["seconds"]),
        "live_settled": live["settled"],
        "live_failed": live["failed"],
        "export_seconds": live["export_seconds"],
        "a0deploy_seconds": redeploy["seconds"],
        "a0deploy_orgs_per_second": _rate(config.orgs, redeploy["seconds"]),
        "a0deploy_orgs_in_tenant": redeploy["orgs_in_tenant"],
        "a0deploy_http_429": redeploy["http_429"],
    }


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 2) if seconds else 0.0


def _live(config: RedeployConfig, worker_env: dict[str, str], work: Path) -> dict[str, Any]:
    """Provision through the engine on tenant A, then export what the portal made."""
    tenant = start_tls_sandbox(work / "tls-a")
    settings.AUTH0_DOMAIN, settings.AUTH0_CA_BUNDLE = tenant.base_url, str(tenant.ca_cert)
    forget_clients()
    env = {**worker_env, "AUTH0_DOMAIN": tenant.base_url, "AUTH0_CA_BUNDLE": str(tenant.ca_cert)}
    bench = BenchConfig(
        orgs=config.orgs,
        workers=config.workers,
        concurrency=config.concurrency,
        rate=None,
        burst=None,
        faults=False,
        timeout=config.timeout,
    )
    workers: list[Any] = []
    try:
        import_tenant()
        workers = _start_workers(bench, env)
        _wait_for_workers(len(workers))
        started = time.monotonic()
        with bulk_priority():
            _provision(config.orgs, invite_admins=False)
        settled = _wait_until_settled(config.timeout)
        seconds = time.monotonic() - started
        names = [f"bench-{index:04d}" for index in range(config.orgs)]
        exported = time.monotonic()
        export_directory(work / "export", names)
        export_seconds = time.monotonic() - exported
    finally:
        processes.stop(workers)
        tenant.stop()
    failed = SyncOperation.objects.filter(state=OpState.FAILED).count()
    live = Organization.objects.filter(name__startswith="bench-", status="active").count()
    if not settled or failed or live != config.orgs:
        raise RuntimeError(
            f"live provisioning did not finish: settled={settled} failed={failed} "
            f"active={live}/{config.orgs}"
        )
    return {
        "seconds": round(seconds, 2),
        "settled": settled,
        "failed": failed,
        "export_seconds": round(export_seconds, 2),
    }


def _redeploy(work: Path) -> dict[str, Any]:
    """`a0deploy import` of the export into tenant B (demo seed, same buckets)."""
    tenant = start_tls_sandbox(work / "tls-b")
    try:
        cli = deploy_cli_for(
            tenant,
            work / "config.json",
            client_id=settings.AUTH0_MGMT_CLIENT_ID,
            client_secret=settings.AUTH0_MGMT_CLIENT_SECRET,
        )
        with tenant.http() as http:
            http.delete("/__sandbox__/stats")
            started = time.monotonic()
            cli.import_directory(work / "export")
            seconds = time.monotonic() - started
            state = http.get("/__sandbox__/state").json()
            stats = http.get("/__sandbox__/stats").json()
    finally:
        tenant.stop()
    names = {org["name"] for org in state["organizations"].values()}
    return {
        "seconds": round(seconds, 2),
        "orgs_in_tenant": sum(1 for name in names if name.startswith("bench-")),
        "http_429": sum(statuses.get("429", 0) for statuses in stats["routes"].values()),
    }


def table(report: dict[str, Any]) -> list[str]:
    """The two figures side by side, for a person."""
    rows = [
        ("live provisioning (engine)", "live"),
        ("a0deploy import of export", "a0deploy"),
    ]
    lines = [f"{report['orgs']} organizations, {report['workers']} workers, Enterprise buckets"]
    lines.append(f"{'path':<28} {'seconds':>9} {'orgs/s':>8}")
    lines += [
        f"{name:<28} {report[f'{key}_seconds']:>9.2f} {report[f'{key}_orgs_per_second']:>8.2f}"
        for name, key in rows
    ]
    return lines
