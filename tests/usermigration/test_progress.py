"""A migration's time left: the jobs at Auth0's pace so far, then what joining costs in
rate-limited calls (roles are one call per user)."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.usermigration.progress import join_calls, migration_progress, roles_seconds
from tests.usermigration.migration_support import (
    confirm,
    fast_jobs,
    own_db_org,
    run_passes,
    upload_json,
)

__all__ = ["fast_jobs", "own_db_org"]  # fixtures, imported for pytest


def test_joining_costs_a_call_per_50_members_and_one_per_user_with_roles() -> None:
    assert join_calls(120, with_roles=False, links=3) == {"global": 3 + 3}
    assert join_calls(120, with_roles=True) == {"global": 3 + 120, "member_roles": 120}


@pytest.mark.django_db
def test_roles_for_many_users_take_minutes_at_auth0s_limits(settings: Any) -> None:
    from orgs.auth0 import ratelimit

    settings.AUTH0_RATE_OVERRIDES = ""
    ratelimit.reset()
    # Auth0's member-roles bucket: 200 a minute, less the interactive reserve's share.
    assert 50 * 60 < roles_seconds(10_000) < 2 * 60 * 60
    assert roles_seconds(10) < 60


@pytest.mark.django_db
def test_the_time_left_is_known_once_a_job_has_run_and_gone_when_finished(
    tenant: Any, own_db_org: Any, fast_jobs: Any
) -> None:
    migration = upload_json(own_db_org, [{"email": f"u{i}@initech.test"} for i in range(3)])
    confirm(migration)
    fast_jobs.job_queue_seconds = 3600.0
    from orgs.usermigration.advance import migration_advance

    migration_advance(migration.pk)
    migration.refresh_from_db()
    assert migration_progress(migration).eta_seconds is None  # pending: nothing to go by
    fast_jobs.job_queue_seconds = 0.0
    run_passes(migration.pk)
    migration.refresh_from_db()
    assert migration_progress(migration).eta_seconds is None  # finished: nothing left
