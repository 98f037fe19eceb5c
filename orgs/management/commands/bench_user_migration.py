"""`manage.py bench_user_migration --users N [--workers W] [--json]`: one user migration of
N users, from upload to finished, against a sandbox with Auth0's job limits; prints users
migrated per second, the phases, and checks that fail the command when broken
(orgs/bench/user_migration.py).

Like the other benchmarks it runs in records of its own, then runs itself again pointed
at them: a database `<name>_bench_user_migration` on PostgreSQL (a SQLite file under var/
otherwise) and, with REDIS_URL set, Redis db 9 (`--redis-db`, flushed), where real worker
processes run the migration's task on the bulk queue. Without Redis (the embedded store)
workers cannot share a broker, so the passes run in the benchmark's own process, as the
task runs them; the output says which.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from orgs.bench.stack import flushed_redis, recreate_postgres_database

BENCH_REDIS_DB = 9
CHILD_FLAG = "PORTAL_BENCH_USER_MIGRATION_CHILD"
DATABASE_SUFFIX = "bench_user_migration"
NO_HASH_MINIMUM = 50  # at least one user without a hash, so password links are measured


class Command(BaseCommand):
    help = "Migrate N users through the user migration engine and report users migrated/s."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=10_000)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="worker processes on the bulk queue (needs REDIS_URL; 0: passes in-process)",
        )
        parser.add_argument("--concurrency", type=int, default=2, help="threads per worker")
        parser.add_argument(
            "--job-queue-seconds",
            type=float,
            default=1.0,
            help="how long the sandbox keeps an import job pending (Auth0's pace: 1.0)",
        )
        parser.add_argument(
            "--job-user-seconds",
            type=float,
            default=0.01,
            help="the sandbox's processing time per imported user (Auth0's pace: 0.01)",
        )
        parser.add_argument(
            "--rate-overrides",
            default="",
            help='"bucket=burst:per_second,..." for the sandbox and the portal alike',
        )
        parser.add_argument("--timeout", type=float, default=7200.0)
        parser.add_argument(
            "--without-roles",
            action="store_true",
            help="members without a role: the figure is then the import jobs' and membership's,"
            " and the report estimates what one role each would add",
        )
        parser.add_argument(
            "--redis-db", type=int, default=BENCH_REDIS_DB, help="the Redis db used and flushed"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON line")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["users"] < NO_HASH_MINIMUM:
            raise CommandError(f"--users must be at least {NO_HASH_MINIMUM}.")
        if os.environ.get(CHILD_FLAG):
            self._run(options)
        else:
            self._prepare_and_rerun(options["redis_db"])

    def _prepare_and_rerun(self, redis_db: int) -> None:
        redis_url = flushed_redis(settings.REDIS_URL, redis_db) if settings.REDIS_URL else ""
        env = {
            **os.environ,
            CHILD_FLAG: "1",
            "DATABASE_URL": _bench_database(),
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": "",  # follows REDIS_URL (in-memory without it)
            # Password links land in the bench sandbox's outbox, never in anyone's mail.
            "EMAIL_BACKEND": "portal.mail.SandboxOutboxBackend",
            "LOG_LEVEL": "WARNING",
        }
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)  # noqa: S603
        result = subprocess.run([*manage, *sys.argv[1:]], env=env, check=False)  # noqa: S603
        if result.returncode:
            raise CommandError(f"benchmark failed (exit {result.returncode})")

    def _run(self, options: dict[str, Any]) -> None:
        from orgs.bench.user_migration import MigrationBenchConfig, run
        from orgs.bench.user_migration_report import table
        from portal.coordination import coordination_store

        coordination_store().flushdb()
        # Workers share a broker only through Redis; embedded, the passes run here.
        workers = options["workers"] if settings.REDIS_URL else 0
        config = MigrationBenchConfig(
            users=options["users"],
            workers=workers,
            concurrency=options["concurrency"],
            job_queue_seconds=options["job_queue_seconds"],
            job_user_seconds=options["job_user_seconds"],
            rate_overrides=options["rate_overrides"],
            timeout=options["timeout"],
            with_roles=not options["without_roles"],
        )
        worker_env = {
            key: os.environ.get(key, "")
            for key in ("DATABASE_URL", "REDIS_URL", "LOG_LEVEL", "EMAIL_BACKEND")
        }
        report = run(config, worker_env)
        if options["json"]:
            self.stdout.write(json.dumps(report, sort_keys=False))
        else:
            for line in table(report):
                self.stdout.write(line)
        if not report["ok"]:
            broken = ", ".join(name for name, held in report["checks"].items() if not held)
            raise CommandError(f"checks failed: {broken}")


def _bench_database() -> str:
    """A fresh database beside the configured one: a SQLite file under var/, or a
    PostgreSQL database `<name>_bench_user_migration`."""
    url = settings.DATABASE_URL
    if url.startswith("sqlite"):
        path = Path(settings.VAR_DIR) / f"{DATABASE_SUFFIX}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = f"{urlsplit(url).path.lstrip('/') or 'portal'}_{DATABASE_SUFFIX}"
    return recreate_postgres_database(url, name)
