"""The whole portal as `make run` starts it (web, worker, beat, sandbox), on free ports,
for browser journeys (orgs/bench/stack.py starts it). Its database and coordination store
are its own: a SQLite file and the embedded store locally; under CI a PostgreSQL database
`<name>_e2e` and a Redis database of their own, so the journeys also run on the real parts."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from orgs.bench import stack as shared
from orgs.bench.stack import RunningStack

__all__ = ["E2E_REDIS_DB", "RunningStack", "start_stack"]

E2E_REDIS_DB = 13


def start_stack(var_dir: Path, extra_env: dict[str, str] | None = None) -> RunningStack:
    """`extra_env`: settings of the journeys' own, such as DOMAIN_DNS_NAMESERVERS."""
    return shared.start_stack(
        var_dir,
        database_url=_own_database(os.environ.get("DATABASE_URL", "")),
        redis_url=_own_redis(os.environ.get("REDIS_URL", "")),
        extra_env=extra_env,
    )


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
    suffix = f"_{_worker_index()}" if _worker_index() else ""
    name = f"{urlsplit(url).path.lstrip('/') or 'portal'}_e2e{suffix}"
    return shared.recreate_postgres_database(url, name)


def _own_redis(url: str) -> str:
    """The same Redis server, a database of the journeys' own (emptied), or "" (embedded)."""
    if not url:
        return ""
    return shared.flushed_redis(url, E2E_REDIS_DB - _worker_index())
