"""The whole portal as `make run` starts it (`manage.py devstack`: web, worker, beat and
the sandbox), on free ports, with a database and a coordination store of its caller's
choosing. The browser journeys (tests/e2e/stack.py) and the sign-up benchmark
(orgs/bench/signup.py) both drive it as a person would, over HTTP.

Its state is its own: the stack's var directory holds the sandbox's state, the secret key
and, when `database_url` is "", the SQLite database; a caller wanting PostgreSQL or Redis
passes a database or Redis db of its own (`recreate_postgres_database`, `flushed_redis`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from portal.devstack import free_ports

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 90.0  # seconds: migrations are done first, so this is the start-up alone


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


def start_stack(
    var_dir: Path,
    *,
    database_url: str = "",
    redis_url: str = "",
    extra_env: Mapping[str, str] | None = None,
) -> RunningStack:
    """Migrate, start `manage.py devstack` in a process group of its own and wait until it
    serves /healthz. `database_url` "" is a SQLite file in `var_dir`; `redis_url` "" the
    embedded broker and coordination store (worker and beat as threads of the web
    process). `extra_env`: settings of the caller's own."""
    var_dir.mkdir(parents=True, exist_ok=True)
    port, sandbox_port = free_ports(2)
    env = stack_environment(var_dir, port, sandbox_port, database_url, redis_url)
    env.update(extra_env or {})
    log_file = var_dir / "devstack.log"
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)  # noqa: S603
    with log_file.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
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


def stack_environment(
    var_dir: Path, port: int, sandbox_port: int, database_url: str, redis_url: str
) -> dict[str, str]:
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(var_dir),
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "AUTH0_DOMAIN": f"http://127.0.0.1:{sandbox_port}",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PYTHONUNBUFFERED": "1",
    }
    # Both follow REDIS_URL when unset; inherited ones would point at the caller's.
    for follows_redis in ("COORDINATION_URL", "CELERY_BROKER_URL"):
        env.pop(follows_redis, None)
    return env


def recreate_postgres_database(url: str, name: str) -> str:
    """An empty PostgreSQL database `name` on `url`'s server (dropped first if it exists);
    returns its URL."""
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres")).replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def flushed_redis(url: str, db: int) -> str:
    """Database `db` of `url`'s Redis server, emptied; returns its URL."""
    import redis

    own = urlunsplit(urlsplit(url)._replace(path=f"/{db}"))
    redis.Redis.from_url(own).flushdb()
    return own


def _wait_until_ready(stack: RunningStack, timeout: float = READY_TIMEOUT) -> None:
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
