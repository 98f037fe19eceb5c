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


def test_make_run_serves_the_portal_and_stops_cleanly(tmp_path: Path) -> None:
    web_port, sandbox_port = free_port(), free_port()
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "AUTH0_DOMAIN": f"http://127.0.0.1:{sandbox_port}",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{web_port}",
        "PORTAL_ENV": "development",
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
        assert ready["checks"]["coordination"]["backend"] == "embedded"
        assert ready["checks"]["database"]["vendor"] == "sqlite"
        assert (
            httpx.get(
                f"http://127.0.0.1:{sandbox_port}/.well-known/openid-configuration", timeout=5
            ).status_code
            == 200
        )
        login = httpx.get(f"http://127.0.0.1:{web_port}/login/", timeout=5)
        assert login.status_code == 200 and b"Staff sign-in" in login.content
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output = process.communicate(timeout=60)[0].decode()
    assert "staff@portal.test" in output, output[-2000:]
    assert "Stopped." in output, output[-2000:]
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{sandbox_port}/.well-known/openid-configuration", timeout=2)
