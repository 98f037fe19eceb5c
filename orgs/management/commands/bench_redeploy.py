"""`manage.py bench_redeploy --orgs N [--workers W] --json`: the portal's live provisioning
and `a0deploy import` of its export, timed on the same organizations and buckets
(orgs/bench/redeploy.py).

Like bench_provisioning, it prepares a database and a Redis db of its own
(`<db>_bench_redeploy`; Redis db 13 as the other benchmarks, or `--redis-db`: it is
flushed) and runs itself again pointed at them.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.core.management.base import CommandError, CommandParser

from orgs.bench.deploy_cli import DeployCliUnavailable
from orgs.management.commands import bench_provisioning


class Command(bench_provisioning.Command):
    help = "Time live provisioning against a0deploy import of the portal's export."
    database_suffix = "bench_redeploy"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orgs", type=int, default=200)
        parser.add_argument("--workers", type=int, default=4)
        parser.add_argument("--concurrency", type=int, default=8, help="threads per worker")
        parser.add_argument("--timeout", type=float, default=1200.0)
        parser.add_argument("--json", action="store_true", help="print one JSON line")
        parser.add_argument(
            "--redis-db",
            type=int,
            default=bench_provisioning.BENCH_REDIS_DB,
            help="the Redis db the run uses and flushes",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.redis_db = options["redis_db"]
        super().handle(*args, **options)

    def _run(self, options: dict[str, Any]) -> None:
        from orgs.bench.redeploy import RedeployConfig, run, table
        from orgs.bench.run import flush_coordination

        flush_coordination()
        config = RedeployConfig(
            orgs=options["orgs"],
            workers=options["workers"],
            concurrency=options["concurrency"],
            timeout=options["timeout"],
        )
        worker_env = {key: os.environ[key] for key in ("DATABASE_URL", "REDIS_URL", "LOG_LEVEL")}
        try:
            report = run(config, worker_env)
        except DeployCliUnavailable as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report, sort_keys=False))
        else:
            for line in table(report):
                self.stdout.write(line)
