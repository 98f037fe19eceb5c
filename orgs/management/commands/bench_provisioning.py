"""`manage.py bench_provisioning --orgs N --workers W [--rate R --burst B] [--faults] --json`

Runs in a database and a Redis database of its own (`<db>_bench`, Redis db 13), so a
benchmark never mixes with the portal's real records: the command prepares them, then
runs itself again pointed at them, with the workers it starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

BENCH_REDIS_DB = 13
CHILD_FLAG = "PORTAL_BENCH_CHILD"


class Command(BaseCommand):
    help = "Provision N organizations through real workers and report throughput figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orgs", type=int, default=200)
        parser.add_argument("--workers", type=int, default=4)
        parser.add_argument("--concurrency", type=int, default=8, help="threads per worker")
        parser.add_argument("--rate", type=float, default=None, help="global bucket refill/s")
        parser.add_argument("--burst", type=int, default=None, help="global bucket size")
        parser.add_argument(
            "--faults", action="store_true", help="inject 5xx, 429 and apply-then-fail faults"
        )
        parser.add_argument("--timeout", type=float, default=1200.0)
        parser.add_argument(
            "--interactive",
            type=int,
            default=0,
            help="a person's changes made during the bulk run (timed save -> in Auth0)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON line")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.REDIS_URL:
            raise CommandError(
                "The benchmark needs Redis: set REDIS_URL "
                "(e.g. redis://127.0.0.1:6379/0). Workers are separate processes."
            )
        if os.environ.get(CHILD_FLAG):
            self._run(options)
        else:
            self._prepare_and_rerun()

    # Another benchmark command (bench_redeploy) keeps its records apart with its own.
    database_suffix = "bench"
    redis_db = BENCH_REDIS_DB

    def _prepare_and_rerun(self) -> None:
        env = {
            **os.environ,
            CHILD_FLAG: "1",
            "DATABASE_URL": _bench_database(self.database_suffix),
            "REDIS_URL": _bench_redis(self.redis_db),
            "CELERY_BROKER_URL": "",
            "LOG_LEVEL": "WARNING",
        }
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)  # noqa: S603
        result = subprocess.run([*manage, *sys.argv[1:]], env=env, check=False)  # noqa: S603
        if result.returncode:
            raise CommandError(f"benchmark failed (exit {result.returncode})")

    def _run(self, options: dict[str, Any]) -> None:
        from orgs.bench.run import BenchConfig, flush_coordination, run

        flush_coordination()
        config = BenchConfig(
            orgs=options["orgs"],
            workers=options["workers"],
            concurrency=options["concurrency"],
            rate=options["rate"],
            burst=options["burst"],
            faults=options["faults"],
            timeout=options["timeout"],
            interactive=options["interactive"],
        )
        worker_env = {key: os.environ[key] for key in ("DATABASE_URL", "REDIS_URL", "LOG_LEVEL")}
        report = run(config, worker_env)
        if options["json"]:
            self.stdout.write(json.dumps(report, sort_keys=False))
        else:
            for key, value in report.items():
                self.stdout.write(f"{key:>14}: {value}")


def _bench_database(suffix: str = "bench") -> str:
    """A fresh database beside the configured one."""
    url = settings.DATABASE_URL
    if url.startswith("sqlite"):
        path = Path(settings.VAR_DIR) / f"{suffix}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'portal'}_{suffix}"
    _recreate_postgres_database(url, name)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _recreate_postgres_database(url: str, name: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    admin = admin.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _bench_redis(db: int = BENCH_REDIS_DB) -> str:
    parts = urlsplit(settings.REDIS_URL)
    return urlunsplit(parts._replace(path=f"/{db}"))
