"""The rate-limit and error scan over the archive: what to chart, in a few grouped queries.

Categories (the log type codes are Auth0's, https://auth0.com/docs/logs/log-event-type-codes):

- rate limits: `api_limit` (a rate-limit bucket overflowed: calls were refused with 429);
- rate-limit warnings: `api_limit_warning` (a bucket went past 80 %);
- failed Management API calls: `fapi`;
- failed logins: the types of the "Login - Failure" group Auth0's log streams filter by
  (`f`, `fc`, `fco`, `fcoa`, `fens`, `fp`, `fu`), see `FAILED_LOGIN_TYPES`;
- login limits: every `limit_*` type (`limit_wc` an account blocked after failed logins
  from one IP, `limit_mu` an IP blocked after many failed logins, `limit_sul` a user
  held back for too many logins from one IP, `limit_ui`, `limit_delegation`, ...).

Counts are grouped in SQL by the database's date truncation (`Trunc`, SQLite and
PostgreSQL alike): one query for every category's series, one for the busiest routes and
one for the busiest clients, whatever the range.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import reduce
from typing import Any

from django.db.models import Case, CharField, Count, Max, Q, QuerySet, Value, When
from django.db.models.functions import Trunc

from orgs.auth0logs.models import Auth0LogEntry

RATE_LIMIT, RATE_WARNING, FAILED_API, FAILED_LOGIN, LOGIN_LIMIT = (
    "rate_limit",
    "rate_warning",
    "failed_api",
    "failed_login",
    "login_limit",
)
FAILED_LOGIN_TYPES = ("f", "fc", "fco", "fcoa", "fens", "fp", "fu")
LIMIT_PREFIX = "limit_"


@dataclass(frozen=True)
class Category:
    key: str
    title: str
    types: str  # the codes in words, for the page
    condition: Q


CATEGORIES: tuple[Category, ...] = (
    Category(RATE_LIMIT, "Rate limits reached", "api_limit", Q(type="api_limit")),
    Category(RATE_WARNING, "Rate-limit warnings", "api_limit_warning", Q(type="api_limit_warning")),
    Category(FAILED_API, "Failed Management API calls", "fapi", Q(type="fapi")),
    Category(
        FAILED_LOGIN, "Failed logins", ", ".join(FAILED_LOGIN_TYPES), Q(type__in=FAILED_LOGIN_TYPES)
    ),
    Category(
        LOGIN_LIMIT,
        "Login limits (blocked accounts and IPs)",
        "limit_*",
        Q(type__startswith=LIMIT_PREFIX),
    ),
)
CATEGORIES_BY_KEY = {category.key: category for category in CATEGORIES}
# Any event of any category: what the scan reads at all.
SCANNED = reduce(operator.or_, (category.condition for category in CATEGORIES))

# Up to this range the charts count per hour (at most 48 bars), beyond it per day.
HOURLY_UP_TO = timedelta(days=2)
TOP = 10


@dataclass(frozen=True)
class ScanRange:
    start: datetime
    end: datetime  # exclusive

    @property
    def bucket(self) -> str:
        return "hour" if self.end - self.start <= HOURLY_UP_TO else "day"

    @property
    def step(self) -> timedelta:
        return timedelta(hours=1) if self.bucket == "hour" else timedelta(days=1)

    def bucket_starts(self) -> Iterator[datetime]:
        at = _truncate(self.start, self.bucket)
        while at < self.end:
            yield at
            at += self.step


@dataclass(frozen=True)
class Series:
    category: Category
    bars: list[tuple[str, int]]  # (bucket label, count)
    total: int


@dataclass(frozen=True)
class Scan:
    range: ScanRange
    series: list[Series]
    routes: list[dict[str, Any]]
    clients: list[dict[str, Any]]


def category_of(log_type: str) -> Category | None:
    for category in CATEGORIES:
        if _matches(category, log_type):
            return category
    return None


def scan(scan_range: ScanRange, entries: QuerySet[Auth0LogEntry] | None = None) -> Scan:
    """Every chart and table of the scan over `scan_range` (three queries)."""
    base = (Auth0LogEntry.objects.all() if entries is None else entries).filter(
        SCANNED, date__gte=scan_range.start, date__lt=scan_range.end
    )
    return Scan(
        range=scan_range,
        series=counts_over_time(base, scan_range),
        routes=busiest_routes(base),
        clients=busiest_clients(base),
    )


def counts_over_time(entries: QuerySet[Auth0LogEntry], scan_range: ScanRange) -> list[Series]:
    """Each category's count per hour or day over the range, empty buckets as 0."""
    whens = [When(category.condition, then=Value(category.key)) for category in CATEGORIES]
    rows = (
        entries.annotate(
            bucket=Trunc("date", scan_range.bucket, tzinfo=UTC),
            category=Case(*whens, output_field=CharField()),
        )
        .values("bucket", "category")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[tuple[str, datetime], int] = {
        (row["category"], row["bucket"]): row["n"] for row in rows
    }
    starts = list(scan_range.bucket_starts())
    series = []
    for category in CATEGORIES:
        bars = [(_label(at, scan_range.bucket), counts.get((category.key, at), 0)) for at in starts]
        series.append(Series(category, bars, sum(n for _, n in bars)))
    return series


def busiest_routes(entries: QuerySet[Auth0LogEntry], top: int = TOP) -> list[dict[str, Any]]:
    """The Management API routes with the most `api_limit` and `fapi` events."""
    return list(
        entries.filter(type__in=("api_limit", "fapi"))
        .exclude(route="")
        .values("route")
        .annotate(
            total=Count("id"),
            rate_limited=Count("id", filter=Q(type="api_limit")),
            failed=Count("id", filter=Q(type="fapi")),
        )
        .order_by("-total", "route")[:top]
    )


def busiest_clients(entries: QuerySet[Auth0LogEntry], top: int = TOP) -> list[dict[str, Any]]:
    """The applications (client ids) behind the most scanned events, by category."""
    counts = {category.key: Count("id", filter=category.condition) for category in CATEGORIES}
    return list(
        entries.values("client_id")
        .annotate(total=Count("id"), name=Max("client_name"), **counts)
        .order_by("-total", "client_id")[:top]
    )


def _matches(category: Category, log_type: str) -> bool:
    if category.key == LOGIN_LIMIT:
        return log_type.startswith(LIMIT_PREFIX)
    if category.key == FAILED_LOGIN:
        return log_type in FAILED_LOGIN_TYPES
    return log_type == category.types


def _truncate(at: datetime, bucket: str) -> datetime:
    at = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return at if bucket == "hour" else at.replace(hour=0)


def _label(at: datetime, bucket: str) -> str:
    return at.strftime("%d %b %H:00") if bucket == "hour" else at.strftime("%d %b")
