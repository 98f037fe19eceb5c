"""Issue 14's benchmark: one user migration of N users, from upload to finished, against a
sandbox tenant with Auth0's job limits (two import jobs at once, 500 KB files) and pace
(each job `pending` for `job_queue_seconds`, then `job_user_seconds` per user).

The sandbox runs in this process (served on a real socket, as Auth0 would be), so its job
records can be read afterwards: when each job was created and when its time was up, which
gives the number of jobs running at once. The migration's passes run in real worker
processes on the bulk queue (the task `advance_user_migration`, as in production), or,
with `workers=0`, in this process exactly as the task runs them (`bulk_priority()`, then
the delay it asks for).

Each user has a bcrypt hash (one hash, cost 4, shared: making 10,000 would time bcrypt),
except every 50th, which has none and gets a password link; every user gets one role.
The figures are in `orgs/bench/user_migration_report.py`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import bcrypt
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.test import override_settings
from django.utils import timezone

from orgs.auth0 import ratelimit, tokens
from orgs.auth0.client import forget_clients
from orgs.auth0.plans import parse_overrides
from orgs.bench import processes
from orgs.bench.run import _wait_for_workers
from orgs.bench.user_migration_report import MigrationRun, build_report
from orgs.models import Connection, MembershipModel, OpState, Organization, SyncOperation
from orgs.services.organizations import organization_create
from orgs.sync.priority import bulk_priority
from orgs.sync.runner import run_operation
from orgs.tenant_import import import_tenant
from orgs.usermigration.advance import STOPPED, migration_advance
from orgs.usermigration.confirm import migration_confirm
from orgs.usermigration.models import MigrationStatus, UserMigration
from orgs.usermigration.tasks import BULK_QUEUE
from orgs.usermigration.upload import migration_upload
from portal.devstack import free_port

if TYPE_CHECKING:
    from sandbox import SandboxApp

ORGANIZATION = "migration-bench"
ROLE = "org-member"  # in the demo seed
PASSWORD = "a password from the legacy store"
NO_HASH_EVERY = 50  # every 50th user has no hash: imported without one, mailed a link
POLL_SECONDS = 0.2  # how often the bench looks at the migration (and samples jobs)


@dataclass
class MigrationBenchConfig:
    users: int = 10_000
    workers: int = 1  # 0: the passes run in this process
    concurrency: int = 2
    job_queue_seconds: float = 1.0  # the sandbox's defaults, modelling Auth0's pace
    job_user_seconds: float = 0.01
    # "bucket=burst:per_second,...": the same limits for the sandbox and the portal's limiter.
    rate_overrides: str = ""
    timeout: float = 7200.0
    # One role for every user: a role call per user (Auth0 has no bulk call for an
    # organization member's roles), which the member-roles bucket paces at 200 a minute.
    with_roles: bool = True


def run(config: MigrationBenchConfig, worker_env: dict[str, str]) -> dict[str, Any]:
    """Migrate `config.users` users into a new organization's own database connection and
    return the report (figures and checks)."""
    with _sandbox(config) as (app, url), _pointed_at(url, config.rate_overrides):
        organization, connection = _prepare_tenant()
        env = {**worker_env, "AUTH0_DOMAIN": url, "AUTH0_RATE_OVERRIDES": config.rate_overrides}
        workers = _start_workers(config, env)
        try:
            measured = _migrate(config, app, organization, connection)
        finally:
            processes.stop(workers)
        return build_report(measured, app)


@contextmanager
def _sandbox(config: MigrationBenchConfig) -> Iterator[tuple[SandboxApp, str]]:
    """A sandbox tenant (demo seed) served from a thread of this process."""
    from werkzeug.serving import make_server

    from sandbox import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    limits = parse_overrides(config.rate_overrides)
    overall = limits.pop("global", None)
    app = create_app(
        base_url=url,
        seed="demo",
        m2m_client_id=settings.AUTH0_MGMT_CLIENT_ID,
        m2m_client_secret=settings.AUTH0_MGMT_CLIENT_SECRET,
        job_queue_seconds=config.job_queue_seconds,
        job_user_seconds=config.job_user_seconds,
        bucket_overrides={
            name: {"burst": limit.burst, "rate": limit.per_second} for name, limit in limits.items()
        },
        **({"rate": overall.per_second, "burst": overall.burst} if overall else {}),
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="bench-sandbox")
    thread.start()
    try:
        yield app, url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@contextmanager
def _pointed_at(url: str, rate_overrides: str) -> Iterator[None]:
    """The portal talks to the bench's sandbox (and forgets it afterwards)."""
    with override_settings(AUTH0_DOMAIN=url, AUTH0_RATE_OVERRIDES=rate_overrides):
        forget_clients()
        tokens.invalidate()  # a token cached for another tenant is no use here
        ratelimit.reset()  # full buckets, counters from zero
        try:
            yield
        finally:
            forget_clients()


def _prepare_tenant() -> tuple[Organization, Connection]:
    """The demo tenant imported, and a new organization with its own database connection,
    made in Auth0 (not timed)."""
    import_tenant()
    with transaction.atomic():
        organization = organization_create(
            actor=None,
            name=ORGANIZATION,
            display_name="Migration bench",
            membership_model=MembershipModel.OWN_DATABASE,
        )
    _run_queued_operations()
    organization.refresh_from_db()
    connection = Connection.objects.get(organization=organization)
    if not organization.auth0_id or not connection.auth0_id:
        raise RuntimeError("the bench organization or its connection was not made in Auth0")
    return organization, connection


def _run_queued_operations(max_rounds: int = 20) -> None:
    """The organization's creation, run here as a worker would (its dependencies in turn)."""
    for _ in range(max_rounds):
        runnable = SyncOperation.objects.filter(state=OpState.QUEUED).filter(
            Q(depends_on__isnull=True) | Q(depends_on__state=OpState.SUCCEEDED)
        )
        runnable.update(next_attempt_at=timezone.now())
        ids = list(runnable.order_by("id").values_list("pk", flat=True))
        if not ids:
            return
        for op_id in ids:
            run_operation(op_id)
    raise RuntimeError("the bench organization's operations did not settle")


def _start_workers(config: MigrationBenchConfig, env: dict[str, str]) -> list[Any]:
    if not config.workers:
        return []
    workers = processes.start_workers(
        config.workers, config.concurrency, env, name="migration", queues=BULK_QUEUE
    )
    try:
        _wait_for_workers(len(workers))
    except RuntimeError:
        processes.stop(workers)
        raise
    return workers


def users_file(count: int) -> bytes:
    """Auth0 bulk-import JSON of `count` users; every NO_HASH_EVERY-th has no hash."""
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    users: list[dict[str, Any]] = []
    for index in range(count):
        user: dict[str, Any] = {
            "email": f"user{index:05d}@migration-bench.test",
            "email_verified": True,
            "name": f"User {index}",
        }
        if (index + 1) % NO_HASH_EVERY:
            user["password_hash"] = hashed
        users.append(user)
    return json.dumps(users).encode()


def _migrate(
    config: MigrationBenchConfig,
    app: SandboxApp,
    organization: Organization,
    connection: Connection,
) -> MigrationRun:
    data = users_file(config.users)
    deadline = time.monotonic() + config.timeout
    app.stats.clear()
    started = time.monotonic()
    migration = migration_upload(
        actor=None,
        organization=organization,
        connection=connection,
        file_name="users.json",
        data=data,
        upsert=False,
    )
    sampled = _until_done(config, app, migration.pk, MigrationStatus.CHECKING, deadline)
    migration.refresh_from_db()
    checked = time.monotonic()
    if migration.status != MigrationStatus.CHECKED:
        raise RuntimeError(f"the file was not checked: {migration.problem or migration.status}")
    confirmed = time.monotonic()
    roles = [ROLE] if config.with_roles else []
    migration_confirm(actor=None, migration=migration, role_names=roles, send_password_links=True)
    sampled = max(
        sampled, _until_done(config, app, migration.pk, MigrationStatus.IMPORTING, deadline)
    )
    finished = time.monotonic()
    return MigrationRun(
        config_users=config.users,
        workers=config.workers,
        migration_id=migration.pk,
        upload_check_seconds=checked - started,
        confirm_to_finished_seconds=finished - confirmed,
        sampled_max_jobs=sampled,
        file_bytes=len(data),
        rate_overrides=config.rate_overrides,
    )


def _until_done(
    config: MigrationBenchConfig, app: SandboxApp, migration_id: int, status: str, deadline: float
) -> int:
    """Wait while the migration is in `status` (workers), or run its passes here as the
    task does; returns the most import jobs seen running at once meanwhile."""
    most = 0
    delay: float | None = 0.0
    while (found := _status(migration_id))[0] == status:
        # Stopped, waiting for a person (a check that failed, a refusal during the import):
        # the task sends no next pass.
        if found[1] and (status == MigrationStatus.CHECKING or found[1] == STOPPED):
            raise RuntimeError(f"the migration stopped while {status}: {found[1]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the migration was still {status} after {config.timeout:.0f}s")
        most = max(most, _running_import_jobs(app))
        if config.workers:
            time.sleep(POLL_SECONDS)
            continue
        if delay is None:
            raise RuntimeError(f"the migration's task stopped while {status}")
        time.sleep(delay)
        with bulk_priority():
            delay = migration_advance(migration_id)
    return most


def _status(migration_id: int) -> tuple[str, str]:
    """The migration's status and its problem, if any."""
    found = UserMigration.objects.values_list("status", "problem").get(pk=migration_id)
    return str(found[0]), str(found[1])


def _running_import_jobs(app: SandboxApp) -> int:
    """Import jobs the sandbox counts against its limit right now (not yet settled)."""
    jobs = list(app.state.ns("jobs").values())
    return sum(1 for job in jobs if job.type == "users_import" and not job.settled)
