"""Prometheus metrics: what the portal counts, and `/metrics`, where they are read.

Counted where things happen (in whichever process does them):

- `portal_auth0_requests_total{route,method,status}`, `portal_auth0_rate_limited_total{bucket}`
  and `portal_auth0_ratelimit_remaining{bucket}`: every Management API response, from the
  gateway's response hook (`orgs.auth0.client._after_response`); `route` is the path
  template (`orgs.auth0.routes`), the bucket the one the rate limiter charges;
- `portal_task_duration_seconds{task}`: every Celery task (`portal.worker_signals`);
- `portal_signups_started_total`: `orgs.signup.services.signup_start`.

Computed from the database at scrape time (`portal.metrics_collectors`): operations by
kind, lane and state, the oldest queued operation per lane, sign-ups by state and the
expiry of active SSO setups' signing certificates.

**Processes.** With `PROMETHEUS_MULTIPROC_DIR` set, prometheus_client keeps every
process's values in files there and a scrape reads them all (`MultiProcessCollector`):
gunicorn's workers (`deploy/gunicorn.conf.py` marks exited ones dead), Celery's prefork
children (`portal.worker_signals`). The variable must be in the environment before
prometheus_client is first imported; settings read `.env` into the environment, and this
module is only imported after settings. Without it (`make run`: one process) the values
live in memory.

**Access.** A staff session, or a client address in `METRICS_ALLOWED_NETWORKS`; anyone
else gets the ordinary 404, so the endpoint does not advertise itself.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from functools import cache

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger(__name__)

# `*_created` series would double the counters' output in one process and are absent in
# multiprocess mode; nothing here reads them.
disable_created_metrics()

AUTH0_REQUESTS = Counter(
    "portal_auth0_requests",
    "Management API responses, by route template, method and HTTP status.",
    ["route", "method", "status"],
)
AUTH0_RATE_LIMITED = Counter(
    "portal_auth0_rate_limited",
    "Management API calls Auth0 refused with 429, by rate-limit bucket.",
    ["bucket"],
)
AUTH0_RATELIMIT_REMAINING = Gauge(
    "portal_auth0_ratelimit_remaining",
    "Last x-ratelimit-remaining Auth0 sent, by bucket (highest among live processes).",
    ["bucket"],
    multiprocess_mode="livemax",
)
TASK_DURATION = Histogram(
    "portal_task_duration_seconds",
    "Celery task run time, by task name.",
    ["task"],
    # Tasks run from milliseconds (a sweep) to the two-minute hard limit.
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)
SIGNUPS_STARTED = Counter(
    "portal_signups_started", "Self sign-ups recorded (a repeated request is not counted)."
)


def observe_auth0_response(method: str, path: str, status: int, headers: Mapping[str, str]) -> None:
    """Count one Management API response (the gateway's response hook calls this)."""
    from orgs.auth0.ratelimit import limiter
    from orgs.auth0.routes import route_template

    AUTH0_REQUESTS.labels(route=route_template(path), method=method, status=str(status)).inc()
    lowered = {key.lower(): value for key, value in headers.items()}
    if status != 429 and "x-ratelimit-remaining" not in lowered:
        return
    bucket = limiter().bucket_for_headers(method, path, lowered)
    if status == 429:
        AUTH0_RATE_LIMITED.labels(bucket=bucket).inc()
    try:
        remaining = float(lowered.get("x-ratelimit-remaining", ""))
    except ValueError:
        return  # no usable header: keep the last value seen
    AUTH0_RATELIMIT_REMAINING.labels(bucket=bucket).set(remaining)


# --- reading -----------------------------------------------------------------------------


def process_registry() -> CollectorRegistry:
    """What processes counted: every process's files in multiprocess mode, else this
    process's registry (which also has prometheus_client's process and GC metrics)."""
    if not settings.PROMETHEUS_MULTIPROC_DIR:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    return registry


def scrape_registry() -> CollectorRegistry:
    """The process metrics plus the ones computed from the database now."""
    from portal.metrics_collectors import DatabaseCollector

    registry = CollectorRegistry()
    # A registry is a collector too (its collect() yields every metric it holds).
    registry.register(process_registry())
    registry.register(DatabaseCollector())
    return registry


@cache
def _networks(
    cidrs: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr)


def from_allowed_network(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.METRICS_ALLOWED_NETWORKS)))


def may_read_metrics(request: HttpRequest) -> bool:
    from orgs.signup.ratelimits import client_ip

    if request.user.is_authenticated and request.user.is_staff:
        return True
    return from_allowed_network(client_ip(request))


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not may_read_metrics(request):
        raise Http404
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
