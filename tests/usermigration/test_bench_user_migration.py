"""The user migration benchmark (`manage.py bench_user_migration`), small and quick: its
report's shape and checks, not its times. One run (about 10 s) serves every assertion."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

from orgs.bench.user_migration import MigrationBenchConfig, run, users_file
from orgs.bench.user_migration_report import CHECKS, table
from orgs.usermigration import chunking
from tests.tenant import FAST_LIMITS

pytestmark = pytest.mark.django_db

USERS = 300
# Small job files, so 300 users make several jobs and the two-at-once limit is exercised.
SMALL_JOB_FILE_BYTES = 20_000


@pytest.fixture
def report(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(
        "orgs.usermigration.confirm.job_files",
        functools.partial(chunking.job_files, max_bytes=SMALL_JOB_FILE_BYTES),
    )
    config = MigrationBenchConfig(
        users=USERS,
        workers=0,
        job_queue_seconds=0.0,
        job_user_seconds=0.002,
        rate_overrides=FAST_LIMITS,
        timeout=60,
    )
    return run(config, worker_env={})


def test_a_small_migration_passes_every_check_and_reports_each_figure(
    report: dict[str, Any],
) -> None:
    assert report["checks"] == dict.fromkeys(CHECKS, True)
    assert report["ok"] is True
    assert report["users"] == USERS
    assert report["passes"].startswith("in the bench's own process")
    assert report["import_jobs"] >= 3
    assert 0 < report["largest_job_file_bytes"] <= SMALL_JOB_FILE_BYTES
    assert report["max_jobs_at_once"] == report["import_job_limit"] == 2
    assert report["password_links"] == USERS // 50
    assert report["http_429_import_jobs"] == 0
    assert (report["job_queue_seconds"], report["job_user_seconds"]) == (0.0, 0.002)
    assert report["rate_limits"]["member_roles"] == "burst 1000, 1000/s"
    for figure in ("seconds", "users_per_second", "upload_check_seconds", "import_jobs_seconds"):
        assert report[figure] > 0, figure
    json.dumps(report)  # the --json line
    lines = table(report)
    assert "users migrated/s" in lines[1]
    assert sum(line.strip().startswith("pass ") for line in lines) == len(CHECKS)


def test_every_fiftieth_user_has_no_hash_and_the_others_share_one() -> None:
    users = json.loads(users_file(100))
    without = [i for i, user in enumerate(users) if "password_hash" not in user]
    assert without == [49, 99]
    assert len({user["password_hash"] for user in users if "password_hash" in user}) == 1
