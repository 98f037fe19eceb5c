"""`manage.py bench_redeploy` end to end, small: both wall times are measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orgs.bench.deploy_cli import DeployCliUnavailable, find_a0deploy
from tests.conftest import _redis_db, _test_redis_url, require_service

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_it_times_live_provisioning_and_a0deploy_import_of_five_organizations() -> None:
    try:
        find_a0deploy()
    except DeployCliUnavailable as exc:
        require_service(str(exc))
    redis_url = _test_redis_url()
    command = [sys.executable, str(ROOT / "manage.py"), "bench_redeploy", "--orgs", "5"]
    command += ["--workers", "1", "--redis-db", str(_redis_db(redis_url)), "--json"]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["live_seconds"] > 0 and report["a0deploy_seconds"] > 0
    assert report["live_orgs_per_second"] > 0 and report["a0deploy_orgs_per_second"] > 0
    assert report["a0deploy_orgs_in_tenant"] == 5
