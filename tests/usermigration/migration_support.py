"""Fixtures and helpers for the user migration's engine tests: an organization with a
database connection of its own in the live sandbox, quick jobs, and a way to run the
migration's task passes the way a worker would (no broker)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from orgs.models import Connection, MembershipModel, Organization
from orgs.services.organizations import organization_create
from orgs.usermigration.advance import migration_advance
from orgs.usermigration.confirm import migration_confirm
from orgs.usermigration.models import MigrationStatus, UserMigration
from orgs.usermigration.upload import migration_upload
from tests.orgs.engine import drain


@pytest.fixture
def fast_jobs(tenant: Any) -> Iterator[Any]:
    """Sandbox jobs that finish as soon as they are read again."""
    config = tenant.app.config
    saved = (config.job_queue_seconds, config.job_user_seconds, config.import_job_limit)
    config.job_queue_seconds, config.job_user_seconds = 0.0, 0.0
    yield config
    config.job_queue_seconds, config.job_user_seconds, config.import_job_limit = saved


@pytest.fixture
def own_db_org(imported_tenant: Any, fast_jobs: Any) -> Organization:
    """A new organization with its own database connection, created in the sandbox."""
    org = organization_create(
        actor=None,
        name="initech",
        display_name="Initech",
        membership_model=MembershipModel.OWN_DATABASE,
    )
    drain()
    org.refresh_from_db()
    assert org.auth0_id
    return org


def own_connection(org: Organization) -> Connection:
    connection = Connection.objects.get(organization=org)
    assert connection.auth0_id
    return connection


def upload_json(
    org: Organization, users: list[dict[str, Any]], *, upsert: bool = False
) -> UserMigration:
    """Upload `users` as Auth0 bulk-import JSON and run the check to the report."""
    migration = migration_upload(
        actor=None,
        organization=org,
        connection=own_connection(org),
        file_name="users.json",
        data=json.dumps(users).encode(),
        upsert=upsert,
    )
    run_passes(migration.pk)
    migration.refresh_from_db()
    assert migration.status == MigrationStatus.CHECKED, migration.problem
    return migration


def confirm(
    migration: UserMigration, *, roles: list[str] | None = None, links: bool = True
) -> UserMigration:
    return migration_confirm(
        actor=None, migration=migration, role_names=roles or [], send_password_links=links
    )


def run_passes(migration_id: int, *, max_passes: int = 200) -> int:
    """Run the task's passes until it asks for none; returns how many ran."""
    for count in range(1, max_passes + 1):
        delay = migration_advance(migration_id)
        if delay is None:
            return count
        time.sleep(min(delay, 0.05))
    raise AssertionError(f"migration {migration_id} did not finish in {max_passes} passes")


def sandbox_jobs(tenant: Any, job_type: str = "users_import") -> list[Any]:
    jobs = tenant.app.state.ns("jobs").values()
    return [job for job in jobs if job.type == job_type]
