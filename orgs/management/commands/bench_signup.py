"""`manage.py bench_signup [--runs N] [--json]`: a script signs up N new customers, one
after another, against a whole stack it starts (`manage.py devstack`: web, worker, beat and
the sandbox, on free ports), and reports two figures (orgs/bench/signup.py):
verify → ready and sign-up → admin, their median and max.

The stack's records are its own: a SQLite file under var/bench-signup/ (DATABASE_URL unset
or SQLite) or a PostgreSQL database `<name>_bench_signup`; with REDIS_URL set, Redis db 3
(emptied), otherwise the embedded broker and store, so this benchmark needs no Redis.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from orgs.bench.signup import SignupBenchError, report, run_people, table
from orgs.bench.stack import flushed_redis, recreate_postgres_database, start_stack

BENCH_REDIS_DB = 3
# The stack behaves as development with self sign-up open: whatever .env says about
# approval or a CAPTCHA, a script could not pass them. Every run signs up from one
# address, so the per-IP limit is lifted; per-email limits still apply (fresh addresses).
STACK_SETTINGS = {
    "PORTAL_ENV": "development",
    "SIGNUP_ENABLED": "true",
    "SIGNUP_APPROVAL_REQUIRED": "false",
    "SIGNUP_CAPTCHA_VERIFIER": "",
    "SIGNUP_RATE_PER_IP": "10000/h",
    "EMAIL_BACKEND": "portal.mail.SandboxOutboxBackend",
}


class Command(BaseCommand):
    help = "Time a new customer's sign-up, through a whole stack, from the form to the admin area."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runs", type=int, default=3, help="people signing up, one by one")
        parser.add_argument("--json", action="store_true", help="print one JSON line")
        parser.add_argument(
            "--var-dir",
            type=Path,
            default=None,
            help="the stack's files (emptied first; default var/bench-signup)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        runs: int = options["runs"]
        if runs < 1:
            raise CommandError("--runs must be at least 1.")
        var_dir = _fresh_directory(options["var_dir"] or Path(settings.VAR_DIR) / "bench-signup")
        database_url, database = _bench_database(var_dir)
        redis_url = flushed_redis(settings.REDIS_URL, BENCH_REDIS_DB) if settings.REDIS_URL else ""
        stack = start_stack(
            var_dir, database_url=database_url, redis_url=redis_url, extra_env=STACK_SETTINGS
        )
        try:
            runs_done = run_people(stack.portal_url, stack.sandbox_url, runs)
        except SignupBenchError as exc:
            raise CommandError(f"{exc}\n\nThe stack's log ends:\n{stack.log_tail()}") from exc
        finally:
            stack.stop()
        coordination = "redis" if redis_url else "embedded"
        figures = report(runs_done, database=database, coordination=coordination)
        self.stdout.write(json.dumps(figures) if options["json"] else table(figures))


def _fresh_directory(path: Path) -> Path:
    """Emptied for this run; only ever a directory an earlier run left (its devstack.log
    says so), so a mistyped --var-dir never deletes anything else."""
    if path.exists() and any(path.iterdir()) and not (path / "devstack.log").exists():
        raise CommandError(f"{path} is not empty and not a benchmark's: choose another --var-dir.")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _bench_database(var_dir: Path) -> tuple[str, str]:
    """The stack's database URL and its kind: a fresh SQLite file in `var_dir`, or a
    fresh PostgreSQL database beside the configured one."""
    url = settings.DATABASE_URL
    if url.startswith("sqlite"):
        return f"sqlite:///{var_dir / 'portal.sqlite3'}", "sqlite"
    name = f"{urlsplit(url).path.lstrip('/') or 'portal'}_bench_signup"
    return recreate_postgres_database(url, name), "postgresql"
