"""`make run` on a fresh checkout's defaults: it serves /healthz, and Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.tenant import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"make run exited early with {process.returncode}")
        try:
            return httpx.get(url, timeout=2)
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def _a_change_made_elsewhere_reaches_the_sandbox(env: dict[str, str], sandbox_port: int) -> None:
    """Another process (this command) leaves the operation in the database (and, with
    Redis, enqueues it); the dev stack's beat and worker must get it to the sandbox."""
    command = [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "orgs", "create", "initech"]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = httpx.get(f"http://127.0.0.1:{sandbox_port}/__sandbox__/state", timeout=5).json()
        if any(org["name"] == "initech" for org in state["organizations"].values()):
            return
        time.sleep(0.5)
    raise AssertionError("the dev stack's worker never pushed the new organization")


@pytest.mark.parametrize("coordination_mode", ["embedded", "redis"])
def test_make_run_serves_the_portal_and_stops_cleanly(
    tmp_path: Path, coordination_mode: str, request: pytest.FixtureRequest
) -> None:
    """Embedded: worker and beat are threads of the dev process. With REDIS_URL they are
    `celery` processes of their own, as in production."""
    redis_url = request.getfixturevalue("redis_url") if coordination_mode == "redis" else ""
    web_port, sandbox_port = free_port(), free_port()
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": "",
        "AUTH0_DOMAIN": f"http://127.0.0.1:{sandbox_port}",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{web_port}",
        "PORTAL_ENV": "development",
        "SYNC_SWEEP_SECONDS": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={web_port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        health = _wait_for(f"http://127.0.0.1:{web_port}/healthz", process)
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        ready = httpx.get(f"http://127.0.0.1:{web_port}/readyz", timeout=5).json()
        assert ready["checks"]["coordination"]["backend"] == coordination_mode
        assert ready["checks"]["database"]["vendor"] == "sqlite"
        assert (
            httpx.get(
                f"http://127.0.0.1:{sandbox_port}/.well-known/openid-configuration", timeout=5
            ).status_code
            == 200
        )
        login = httpx.get(f"http://127.0.0.1:{web_port}/login/", timeout=5)
        assert login.status_code == 200 and b"Staff sign-in" in login.content
        _a_change_made_elsewhere_reaches_the_sandbox(env, sandbox_port)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output = process.communicate(timeout=60)[0].decode()
    assert "staff@portal.test" in output, output[-2000:]
    assert "Stopped." in output, output[-2000:]
    assert "Traceback" not in output, output[-3000:]  # each child stopped once, in order
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{sandbox_port}/.well-known/openid-configuration", timeout=2)
