"""The rate-limit and error scan (orgs.auth0logs.scan): real throttled and failed calls to
the sandbox become `api_limit` and `fapi` entries that the scan counts by hour and route;
failed logins and `limit_*` events are counted by their groups."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from django.utils import timezone

from orgs.auth0 import ratelimit, tokens
from orgs.auth0logs.archive import archive_logs
from orgs.auth0logs.models import Auth0LogEntry
from orgs.auth0logs.scan import (
    FAILED_API,
    FAILED_LOGIN,
    LOGIN_LIMIT,
    RATE_LIMIT,
    RATE_WARNING,
    ScanRange,
    category_of,
    scan,
)
from tests.auth0logs.conftest import write_entries

pytestmark = pytest.mark.django_db

THROTTLED_CALLS = 6


@pytest.fixture
def throttling_tenant(tenant_logs: Any) -> Iterator[Any]:
    """The tenant with a global bucket of 2 tokens that barely refills; the session's
    server gets its own limits back afterwards."""
    before = tenant_logs.control("GET", "/ratelimits")
    tenant_logs.control(
        "POST",
        "/ratelimits",
        json={"buckets": {"global": {"burst": 2, "rate": 0.001}}, "refill": True},
    )
    yield tenant_logs
    tenant_logs.control(
        "POST",
        "/ratelimits",
        json={
            "buckets": {
                name: {"burst": bucket["burst"], "rate": bucket["rate"]}
                for name, bucket in before["buckets"].items()
            },
            "endpoint_buckets": before["endpoint_buckets"],
            "refill": True,
        },
    )


def last_day() -> ScanRange:
    now = timezone.now()
    return ScanRange(start=now - timedelta(hours=24), end=now + timedelta(minutes=1))


def series_total(result: Any, key: str) -> int:
    return next(s.total for s in result.series if s.category.key == key)


def test_throttled_and_failed_calls_show_in_the_counts_and_the_busiest_routes(
    throttling_tenant: Any,
) -> None:
    token = tokens.management_token()
    statuses = []
    with httpx.Client(
        base_url=f"{throttling_tenant.url}/api/v2",
        headers={"Authorization": f"Bearer {token}"},
    ) as http:
        # Straight to the tenant, past our own limiter: the tenant must do the refusing.
        statuses.append(http.get("/organizations/org_Nope4567890").status_code)
        statuses += [http.get("/organizations").status_code for _ in range(THROTTLED_CALLS)]
    assert statuses[0] == 404
    assert statuses.count(429) == THROTTLED_CALLS - 1
    # Room again for the archive's own reads (the fixture restores the session's limits).
    throttling_tenant.control(
        "POST",
        "/ratelimits",
        json={"refill": True, "buckets": {"global": {"burst": 1000, "rate": 1000}}},
    )
    ratelimit.reset()

    assert archive_logs().caught_up
    result = scan(last_day())

    assert series_total(result, RATE_LIMIT) == THROTTLED_CALLS - 1
    assert series_total(result, FAILED_API) == 1
    assert result.range.bucket == "hour"
    assert len(result.series[0].bars) in (24, 25)
    routes = {row["route"]: row for row in result.routes}
    assert routes["GET /organizations"]["rate_limited"] == THROTTLED_CALLS - 1
    assert routes["GET /organizations/{id}"]["failed"] == 1
    m2m = next(row for row in result.clients if row["client_id"] == "sandbox-portal-m2m")
    assert m2m["failed_api"] == 1
    assert m2m[RATE_LIMIT] == THROTTLED_CALLS - 1  # api_limit entries name the throttled client


def test_warnings_failed_logins_and_login_limits_are_counted_by_group(tenant_logs: Any) -> None:
    write_entries(
        tenant_logs,
        [
            {"type": "api_limit_warning", "client_id": "cli_a", "client_name": "Batch job"},
            {"type": "fp", "client_id": "cli_a"},
            {"type": "fu", "client_id": "cli_b"},
            {"type": "fcoa"},
            {"type": "f"},
            {"type": "limit_wc"},
            {"type": "limit_mu"},
            {"type": "limit_sul"},
            {"type": "s"},  # a successful login: not scanned
        ],
    )
    archive_logs()

    result = scan(last_day())

    assert series_total(result, RATE_WARNING) == 1
    assert series_total(result, FAILED_LOGIN) == 4
    assert series_total(result, LOGIN_LIMIT) == 3
    clients = {row["client_id"]: row for row in result.clients}
    assert clients["cli_a"]["name"] == "Batch job"
    assert (clients["cli_a"]["rate_warning"], clients["cli_a"]["failed_login"]) == (1, 1)


def entry(log_id: str, log_type: str, at: datetime) -> Auth0LogEntry:
    return Auth0LogEntry.objects.create(log_id=log_id, type=log_type, date=at, raw={})


def test_a_long_range_counts_per_day_and_fills_empty_days_with_zero(db: None) -> None:
    day = datetime(2026, 5, 1, tzinfo=UTC)
    entry("1", "fapi", day + timedelta(hours=3))
    entry("2", "fapi", day + timedelta(hours=20))
    entry("3", "fapi", day + timedelta(days=2, hours=1))
    entry("4", "fapi", day + timedelta(days=30))  # outside

    result = scan(ScanRange(start=day, end=day + timedelta(days=7)))

    assert result.range.bucket == "day"
    bars = next(s.bars for s in result.series if s.category.key == FAILED_API)
    assert [n for _, n in bars] == [2, 0, 1, 0, 0, 0, 0]
    assert bars[0][0] == "01 May"


def test_every_chart_and_table_is_one_query(db: None, django_assert_num_queries: Any) -> None:
    now = timezone.now()
    for n, code in enumerate(["api_limit", "fapi", "fp", "limit_wc", "api_limit_warning"]):
        entry(str(n), code, now - timedelta(hours=n))

    with django_assert_num_queries(3):
        scan(last_day())


def test_log_types_map_to_their_category() -> None:
    assert category_of("api_limit").key == RATE_LIMIT  # type: ignore[union-attr]
    assert category_of("fens").key == FAILED_LOGIN  # type: ignore[union-attr]
    assert category_of("limit_delegation").key == LOGIN_LIMIT  # type: ignore[union-attr]
    assert category_of("sapi") is None
