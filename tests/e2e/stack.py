"""The whole portal as `make run` starts it (web, worker, beat, sandbox), on free ports,
for browser journeys. Its database and coordination store are its own: a SQLite file
and the embedded store locally; under CI a PostgreSQL database `<name>_e2e` and a Redis
database of their own, so the journeys also run on the real parts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from portal.devstack import free_port

ROOT = Path(__file__).resolve().parents[2]
E2E_REDIS_DB = 13


@dataclass
class RunningStack:
    portal_url: str
    sandbox_url: str
    process: subprocess.Popen[bytes]
    log_file: Path

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def start_stack(var_dir: Path, extra_env: dict[str, str] | None = None) -> RunningStack:
    """`extra_env`: settings of the journeys' own, such as DOMAIN_DNS_NAMESERVERS."""
    port, sandbox_port = free_port(), free_port()
    env = {**_environment(var_dir, port, sandbox_port), **(extra_env or {})}
    log_file = var_dir / "devstack.log"
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [*manage, "devstack", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends all of it
        )
    stack = RunningStack(env["PORTAL_BASE_URL"], env["AUTH0_DOMAIN"], process, log_file)
    _wait_until_ready(stack)
    return stack


def _environment(var_dir: Path, port: int, sandbox_port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(var_dir),
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "AUTH0_DOMAIN": f"http://127.0.0.1:{sandbox_port}",
        "DATABASE_URL": _own_database(os.environ.get("DATABASE_URL", "")),
        "REDIS_URL": _own_redis(os.environ.get("REDIS_URL", "")),
        "PYTHONUNBUFFERED": "1",
    }
    for follows_redis in ("COORDINATION_URL", "CELERY_BROKER_URL"):
        env.pop(follows_redis, None)
    return env


def _worker_index() -> int:
    """Which pytest-xdist worker this is (0 without xdist): journeys should share one
    worker's stack (xdist_group "browser"), but a stack on each worker must never drop the
    other's database or flush its Redis, so each worker's stack has its own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker[2:].isdigit() else 0


def _own_database(url: str) -> str:
    """A fresh PostgreSQL database beside the suite's (`<name>_e2e`, `_e2e_1` on worker
    gw1, ...), or "" (SQLite)."""
    if not url.startswith(("postgres://", "postgresql://")):
        return ""
    import psycopg

    parts = urlsplit(url)
    suffix = f"_{_worker_index()}" if _worker_index() else ""
    name = f"{parts.path.lstrip('/') or 'portal'}_e2e{suffix}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def _own_redis(url: str) -> str:
    """The same Redis server, a database of the journeys' own (emptied), or "" (embedded)."""
    if not url:
        return ""
    import redis

    parts = urlsplit(url)
    own = urlunsplit(parts._replace(path=f"/{E2E_REDIS_DB - _worker_index()}"))
    redis.Redis.from_url(own).flushdb()
    return own


def _wait_until_ready(stack: RunningStack, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            raise RuntimeError(f"the stack exited early:\n{stack.log_tail()}")
        try:
            if httpx.get(f"{stack.portal_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stack.stop()
    raise RuntimeError(f"the stack did not come up in {timeout:.0f}s:\n{stack.log_tail()}")
