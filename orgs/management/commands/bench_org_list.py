"""`manage.py bench_org_list --orgs N --ops M [--requests R] [--before] --json`

What the staff organization list costs at scale: N organizations (each with a claimed
domain and an administrator, so a search reads them) and M operations are bulk-created in
the benchmark's own database (the same `<db>_bench` / `var/bench.sqlite3` as
bench_provisioning, prepared the same way: the command runs itself again pointed at it),
then R GETs of each list page go through Django's test Client as a staff user: the first
and last pages, searches (by name and by an administrator's email), a filter, a sort, and
all of them at once. Per page: server time in milliseconds (median and 95th percentile)
against the 150 ms target, response bytes and queries.

`--before` also times what the list did before it was paginated: every live
organization with its open and failed operations counted over the operations table,
rendered as one page.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from orgs.management.commands.bench_provisioning import (
    CHILD_FLAG,
    _bench_database,
    _bench_redis,
)

# How the generated operations are spread over states (the rest succeeded). Checked in
# this order, widest spacing first: every 50th is also a 10th, so it must be tried first.
_STATE_EVERY = {"running": 50, "failed": 20, "queued": 10}
_BATCH = 2000
# The target for one page of the list, server side.
TARGET_MS = 150.0


class Command(BaseCommand):
    help = "Time the staff organization list with N organizations and M operations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orgs", type=int, default=10_000)
        parser.add_argument("--ops", type=int, default=50_000)
        parser.add_argument("--requests", type=int, default=20, help="GETs per page timed")
        parser.add_argument(
            "--before", action="store_true", help="also time the unpaginated, counting list"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON line")

    def handle(self, *args: Any, **options: Any) -> None:
        if os.environ.get(CHILD_FLAG):
            self._run(options)
        else:
            _rerun_in_bench_database()

    def _run(self, options: dict[str, Any]) -> None:
        from django.test import Client

        client = Client()
        client.force_login(_create_rows(options["orgs"], options["ops"]))
        report: dict[str, Any] = {
            "orgs": options["orgs"],
            "ops": options["ops"],
            "target_ms": TARGET_MS,
        }
        for name, url in _pages(options["orgs"]):
            report[name] = _timed(partial(_get, client, url), options["requests"])
        if options["before"]:
            report["before"] = _timed(_render_unpaginated, max(3, options["requests"] // 5))
        if options["json"]:
            self.stdout.write(json.dumps(report))
        else:
            for key, value in report.items():
                self.stdout.write(f"{key:>18}: {_in_words(value)}")


def _pages(orgs: int) -> list[tuple[str, str]]:
    """(name, URL) of every page timed."""
    last = max(1, -(-orgs // 50))
    return [
        ("first_page", "/orgs/"),
        ("last_page", f"/orgs/?page={last}"),
        ("search", "/orgs/?q=bench-0999"),
        ("search_admin_email", "/orgs/?q=admin%40bench-0500"),
        ("filter", "/orgs/?status=active&sync=in_sync&failures=yes"),
        ("sort", "/orgs/?sort=-failures"),
        ("search_filter_sort", "/orgs/?q=bench-0&failures=yes&sort=-created&page=3"),
    ]


def _rerun_in_bench_database() -> None:
    env = {
        **os.environ,
        CHILD_FLAG: "1",
        "DATABASE_URL": _bench_database(),
        "CELERY_BROKER_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    if settings.REDIS_URL:  # the list needs no Redis; keep away from the real one anyway
        env["REDIS_URL"] = _bench_redis()
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)  # noqa: S603
    result = subprocess.run([*manage, *sys.argv[1:]], env=env, check=False)  # noqa: S603
    if result.returncode:
        raise CommandError(f"benchmark failed (exit {result.returncode})")


def _create_rows(orgs: int, ops: int) -> Any:
    """The organizations (counts filled in as the engine keeps them), the operations
    (operation i belongs to organization i mod N) and the staff user who looks."""
    from orgs.models import Organization, OrgStatus, SyncOperation, SyncState
    from portal.models import User

    states = [_state_of(index) for index in range(ops)]
    open_count, failed_count = Counter[int](), Counter[int]()
    for index, state in enumerate(states):
        if state in ("queued", "running"):
            open_count[index % orgs] += 1
        elif state == "failed":
            failed_count[index % orgs] += 1
    Organization.objects.bulk_create(
        (
            Organization(
                name=f"bench-{index:05d}",
                display_name=f"Bench {index}",
                auth0_id=f"org_bench{index:012d}",
                status=OrgStatus.ACTIVE,
                sync_state=SyncState.IN_SYNC,
                open_operations=open_count[index],
                failed_operations=failed_count[index],
            )
            for index in range(orgs)
        ),
        batch_size=_BATCH,
    )
    # The benchmark's database is fresh: these are exactly the rows just made.
    org_ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    SyncOperation.objects.bulk_create(
        (
            SyncOperation(
                kind="organization.update",
                organization_id=org_ids[index % orgs],
                target_type="organization",
                target_id=org_ids[index % orgs],
                idempotency_key=f"bench|{index}",
                state=state,
                payload={"display_name": f"Bench {index % orgs}", "metadata": {"tier": "x"}},
            )
            for index, state in enumerate(states)
        ),
        batch_size=_BATCH,
    )
    _create_domains_and_admins(org_ids)
    return User.objects.create_user(sub="bench|staff", email="staff@bench.test", is_staff=True)


def _create_domains_and_admins(org_ids: list[int]) -> None:
    """One claimed domain and one administrator per organization: the search looks at
    both, so the timed searches pay for them as a real tenant's would."""
    from orgs.models import Domain, Member, Role, SyncState

    role = Role.objects.create(auth0_id="rol_bench_admin", name="org-admin")
    Domain.objects.bulk_create(
        (
            Domain(
                organization_id=pk, domain=f"bench-{index:05d}.example.test", verification_token="x"
            )
            for index, pk in enumerate(org_ids)
        ),
        batch_size=_BATCH,
    )
    Member.objects.bulk_create(
        (
            Member(
                organization_id=pk,
                user_id=f"auth0|bench{index:05d}",
                email=f"admin@bench-{index:05d}.example.test",
                sync_state=SyncState.IN_SYNC,
            )
            for index, pk in enumerate(org_ids)
        ),
        batch_size=_BATCH,
    )
    Member.roles.through.objects.bulk_create(
        (
            Member.roles.through(member_id=member_id, role_id=role.pk)
            for member_id in Member.objects.values_list("pk", flat=True)
        ),
        batch_size=_BATCH,
    )


def _state_of(index: int) -> str:
    for state, every in _STATE_EVERY.items():
        if index % every == 0:
            return state
    return "succeeded"


def _get(client: Any, url: str) -> bytes:
    response = client.get(url)
    if response.status_code != 200:
        raise CommandError(f"GET {url} answered {response.status_code}")
    return bytes(response.content)


def _render_unpaginated() -> bytes:
    """The list as it was: one page of every live organization, counted by a join."""
    from django.core.paginator import Paginator
    from django.db.models import Count, Q
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from orgs.models import OPEN_STATES, OpState, Organization, OrgStatus
    from portal.models import User

    organizations = Organization.objects.exclude(status=OrgStatus.DELETED).annotate(
        open_ops=Count("sync_operations", filter=Q(sync_operations__state__in=OPEN_STATES)),
        failed_ops=Count("sync_operations", filter=Q(sync_operations__state=OpState.FAILED)),
    )
    rows = list(organizations.order_by("name"))
    request = RequestFactory().get("/orgs/")
    request.user = User.objects.get(sub="bench|staff")
    page = Paginator(rows, max(len(rows), 1)).page(1)
    html = render_to_string("orgs/organization_list.html", {"page": page}, request=request)
    return html.encode()


def _timed(fetch: Callable[[], bytes], runs: int) -> dict[str, float | int | bool]:
    """Median and 95th percentile of `runs` timed calls after one untimed warm-up, whether
    the 95th percentile is within the target; bytes and queries of the last call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fetch()  # templates compiled and the session read once, as on a warm server
    seconds, body, queries = [], b"", 0
    for _ in range(max(runs, 1)):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            body = fetch()
            seconds.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
    p95_ms = _percentile(seconds, 95) * 1000
    return {
        "median_ms": round(statistics.median(seconds) * 1000, 1),
        "p95_ms": round(p95_ms, 1),
        "within_target": p95_ms <= TARGET_MS,
        "bytes": len(body),
        "queries": queries,
    }


def _in_words(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value)
    verdict = "within" if value["within_target"] else "OVER"
    return (
        f"median {value['median_ms']} ms, p95 {value['p95_ms']} ms ({verdict} the "
        f"{TARGET_MS:.0f} ms target), {value['bytes']:,} bytes, {value['queries']} queries"
    )


def _percentile(values: list[float], percent: int) -> float:
    """The nearest-rank percentile: the smallest value at least `percent`% of runs reach."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[rank - 1]
