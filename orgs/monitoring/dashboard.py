"""What the staff operations dashboard (`/ops/`) shows, panel by panel. Reads only.

Every panel costs a fixed number of queries whatever the number of rows: grouped counts,
lists cut to a few rows, and the log scan's three grouped queries. Workers and queue
depths come from the coordination store (heartbeats) and the broker, not the database.

Queue depth: with a Redis broker, kombu keeps each queue as Redis lists, one per
priority step (`auth0`, then `auth0\\x06\\x163`, `...6`, `...9` for messages sent with a
priority). A passive `queue_declare` through kombu adds them all up with the same names
and steps the workers use (`CELERY_BROKER_TRANSPORT_OPTIONS` included), so this module
never spells kombu's key names itself. The in-memory broker of `make run` lives inside
one process; another process cannot see its queues, so the dashboard shows the queued
operations instead.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone

from idp_selfservice.views.certificates import certificate_rows
from orgs.auth0logs.models import LogArchiveCheckpoint
from orgs.auth0logs.scan import FAILED_API, FAILED_LOGIN, RATE_LIMIT, Scan, ScanRange, Series, scan
from orgs.domains.recheck import FAILURE_DAYS
from orgs.models import UNSETTLED_STATES, Domain, OpState, Priority, SyncOperation
from orgs.models.organizations import DomainStatus
from orgs.monitoring.conditions import API_LIMIT, BACKLOG, CERTIFICATE, TENANT_CHECK
from orgs.monitoring.models import AlertState, SyntheticSignIn, TenantCheckResult
from orgs.monitoring.selectors import SignInSummary, firing_alerts, synthetic_signin_summary
from orgs.monitoring.tenant_checks import CHECKS
from orgs.views.operations_queue import age_words

# The queue each lane's run tasks go to (docs/architecture.md, "Two lanes").
LANE_QUEUES: dict[str, str] = {Priority.INTERACTIVE: "auth0", Priority.BULK: "auth0-bulk"}
RESOLVED_SHOWN = 5
FIRST_FEW = 5
LAST_ATTEMPTS_SHOWN = 5
DAY = timedelta(hours=24)
CHARTED = (RATE_LIMIT, FAILED_API, FAILED_LOGIN)


# --- 1. alerts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRow:
    alert: AlertState
    link: str  # where a person acts on it
    link_words: str


def alert_rows(alerts: Any) -> list[AlertRow]:
    return [AlertRow(alert, *_alert_link(alert)) for alert in alerts]


def recently_resolved(limit: int = RESOLVED_SHOWN) -> list[AlertState]:
    resolved = AlertState.objects.filter(firing=False, resolved_at__isnull=False)
    return list(resolved.order_by("-resolved_at", "key")[:limit])


def _alert_link(alert: AlertState) -> tuple[str, str]:
    """The page to act on: the alert's own link when it carries one (operations filtered,
    an organization's SSO page), else the panel or page that explains it."""
    link = alert.details.get("link") if isinstance(alert.details, dict) else None
    if alert.key.startswith(CERTIFICATE):
        return reverse("idp_selfservice:certificates"), "SSO certificates"
    if isinstance(link, str) and link.startswith("/"):
        words = "Operations" if alert.key.startswith(("operations", BACKLOG)) else "Open"
        return link, words
    if alert.key == API_LIMIT:
        return reverse("auth0logs:list"), "Auth0 log archive"
    if alert.key.startswith(TENANT_CHECK):
        return "#tenant-checks", "Tenant checks"
    return "#", ""


# --- 2. sync backlog per lane ----------------------------------------------------------------


@dataclass(frozen=True)
class LaneBacklog:
    lane: str
    label: str
    queue: str
    queued: int
    running: int
    failed: int
    oldest_queued_at: datetime | None
    oldest_waited: str  # "3 min", or "none"
    failed_url: str
    queued_url: str


def sync_backlog(now: datetime) -> list[LaneBacklog]:
    """Queued, running and failed operations of each lane, with its oldest queued one
    (one grouped query)."""
    rows = (
        SyncOperation.objects.filter(state__in=UNSETTLED_STATES)
        .values("priority", "state")
        .annotate(count=Count("pk"), first=Min("created_at"))
        .order_by()
    )
    counts = {(row["priority"], row["state"]): row for row in rows}
    lanes = []
    for lane, label in Priority.choices:
        queued = counts.get((lane, OpState.QUEUED))
        first = queued["first"] if queued else None
        lanes.append(
            LaneBacklog(
                lane=lane,
                label=str(label),
                queue=LANE_QUEUES.get(lane, lane),
                queued=queued["count"] if queued else 0,
                running=_count(counts, lane, OpState.RUNNING),
                failed=_count(counts, lane, OpState.FAILED),
                oldest_queued_at=first,
                oldest_waited=age_words((now - first).total_seconds()) if first else "none",
                failed_url=operations_url(state=OpState.FAILED, lane=lane),
                queued_url=operations_url(state=OpState.QUEUED, lane=lane),
            )
        )
    return lanes


def _count(counts: dict[tuple[str, str], dict[str, Any]], lane: str, state: str) -> int:
    row = counts.get((lane, state))
    return int(row["count"]) if row else 0


def operations_url(**filters: str) -> str:
    """The staff Operations list with its own filters (orgs.forms.filters)."""
    return f"{reverse('orgs:operations')}?{urlencode(filters)}"


# --- 3. workers and queue depth --------------------------------------------------------------


@dataclass(frozen=True)
class WorkerRow:
    hostname: str
    queues: tuple[str, ...]
    last_seen: datetime
    seconds_ago: int


@dataclass(frozen=True)
class QueueRow:
    name: str
    workers: int  # workers with a fresh heartbeat consuming it
    messages: int | None  # waiting in the broker; None when it cannot be read here
    queued_operations: int | None  # the in-memory broker: operations queued for it


@dataclass(frozen=True)
class WorkersPanel:
    workers: list[WorkerRow]
    queues: list[QueueRow]
    embedded_broker: bool
    broker_error: str  # the error's type when the broker could not be read


def workers_panel(now: datetime, backlog: list[LaneBacklog]) -> WorkersPanel:
    from portal.celery import app
    from portal.worker_signals import fresh_heartbeats

    heartbeats = sorted(fresh_heartbeats(), key=lambda heartbeat: heartbeat.hostname)
    workers = [
        WorkerRow(
            hostname=heartbeat.hostname,
            queues=heartbeat.queues,
            last_seen=now - timedelta(seconds=max(0.0, heartbeat.age)),
            seconds_ago=max(0, round(heartbeat.age)),
        )
        for heartbeat in heartbeats
    ]
    names = [queue.name for queue in app.conf.task_queues]
    embedded = broker_scheme() == "memory"
    depths: dict[str, int] = {}
    error = ""
    if not embedded:
        try:
            depths = broker_queue_depths(names)
        except Exception as exc:  # the broker is down or refuses: say so, show the rest
            error = type(exc).__name__
    queued_by_queue = {lane.queue: lane.queued for lane in backlog}
    queues = [
        QueueRow(
            name=name,
            workers=sum(1 for worker in workers if name in worker.queues),
            messages=depths.get(name),
            queued_operations=queued_by_queue.get(name) if embedded else None,
        )
        for name in names
    ]
    return WorkersPanel(workers, queues, embedded, error)


def broker_scheme() -> str:
    # Only the scheme: the URL may carry a password.
    return urlsplit(str(settings.CELERY_BROKER_URL)).scheme or "memory"


def broker_queue_depths(names: list[str]) -> dict[str, int]:
    """Messages waiting in each queue, read through kombu (all priority steps of a Redis
    queue added up); a queue the broker does not know yet has none."""
    from kombu import Connection

    timeout = float(settings.READYZ_BROKER_TIMEOUT)
    options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
    }
    depths: dict[str, int] = {}
    url = str(settings.CELERY_BROKER_URL)
    with Connection(url, connect_timeout=timeout, transport_options=options) as broker:
        broker.ensure_connection(max_retries=0, timeout=max(1, round(timeout)))
        for name in names:
            # A channel each: an AMQP broker closes the channel a passive declare fails on.
            with broker.channel() as channel:
                declare = cast(Any, channel).queue_declare  # typed as the abstract StdChannel
                try:
                    depths[name] = int(declare(queue=name, passive=True)[1])
                except broker.channel_errors:  # NOT_FOUND: nothing was ever sent to it
                    depths[name] = 0
    return depths


# --- 4. tenant checks ------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckRow:
    name: str
    title: str
    result: TenantCheckResult | None  # None: not run yet


def tenant_check_rows() -> list[CheckRow]:
    """Every check in the order they run, with its latest answer (one query)."""
    found = {row.name: row for row in TenantCheckResult.objects.all()}
    return [CheckRow(check.name, check.title, found.get(check.name)) for check in CHECKS]


# --- 5. the Auth0 log scan -------------------------------------------------------------------


@dataclass(frozen=True)
class LogPanel:
    scan: Scan
    charts: list[Series]
    checkpoint: LogArchiveCheckpoint | None


def log_panel(now: datetime) -> LogPanel:
    """The last 24 hours' rate limits, failed API calls and failed logins (the scan's three
    queries) and the archive's checkpoint (one)."""
    result = scan(ScanRange(start=now - DAY, end=now))
    charts = [series for series in result.series if series.category.key in CHARTED]
    checkpoint = LogArchiveCheckpoint.objects.filter(pk=LogArchiveCheckpoint.SINGLETON).first()
    return LogPanel(result, charts, checkpoint)


# --- 6. certificates and domains -------------------------------------------------------------


@dataclass(frozen=True)
class CertificatePanel:
    expired: int
    expiring: int
    first: list[dict[str, Any]]


def certificate_panel(now: datetime) -> CertificatePanel:
    """Live SAML setups whose certificate in use expires within 30 days or has expired,
    the soonest first (one query)."""
    rows = [
        row for row in certificate_rows(now) if row["health"]["status"] in ("expired", "expiring")
    ]
    expired = sum(1 for row in rows if row["health"]["status"] == "expired")
    return CertificatePanel(expired, len(rows) - expired, rows[:FIRST_FEW])


@dataclass(frozen=True)
class DomainPanel:
    failing: int  # still verified, failing their daily re-check
    failed: int  # failed FAILURE_DAYS days in a row: out of Auth0
    first: list[Domain]
    failure_days: int


FAILING = Q(status=DomainStatus.VERIFIED, failing_since__isnull=False)
FAILED = Q(status=DomainStatus.FAILED, verified_at__isnull=False)


def domain_panel() -> DomainPanel:
    """Verified domains whose proof has gone (two queries). Domains that never verified
    are the customer's own unfinished claim, not a re-verification problem."""
    counts = Domain.objects.aggregate(
        failing=Count("pk", filter=FAILING), failed=Count("pk", filter=FAILED)
    )
    first = list(
        Domain.objects.filter(FAILING | FAILED)
        .select_related("organization")
        # "verified" sorts after "failed": still-verified (failing) domains first, the
        # longest failing at the top, since they are the ones about to leave Auth0.
        .order_by("-status", "failing_since", "domain")[:FIRST_FEW]
    )
    return DomainPanel(counts["failing"], counts["failed"], first, FAILURE_DAYS)


# --- 7. synthetic sign-in --------------------------------------------------------------------


@dataclass(frozen=True)
class SignInPanel:
    summary: SignInSummary
    success_percent: str  # "97.5%", "" without attempts
    latency_bars: list[tuple[str, int]]  # median latency of each hour's successes
    last_attempts: list[SyntheticSignIn]


def signin_panel(now: datetime) -> SignInPanel:
    summary = synthetic_signin_summary(hours=24, now=now)
    attempts = list(SyntheticSignIn.objects.filter(started_at__gte=now - DAY))
    return SignInPanel(
        summary=summary,
        success_percent=(
            "" if summary.success_rate is None else f"{round(summary.success_rate * 100, 1):g}%"
        ),
        latency_bars=hourly_median_latency(attempts, now),
        last_attempts=attempts[:LAST_ATTEMPTS_SHOWN],  # newest first (the model's order)
    )


def hourly_median_latency(attempts: list[SyntheticSignIn], now: datetime) -> list[tuple[str, int]]:
    """One bar per hour of the last 24, oldest first: the median latency of that hour's
    successful attempts (0 when none succeeded)."""
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    hours = [end - timedelta(hours=n) for n in range(24, 0, -1)]
    by_hour: dict[datetime, list[int]] = {hour: [] for hour in hours}
    for attempt in attempts:
        hour = attempt.started_at.replace(minute=0, second=0, microsecond=0)
        if attempt.ok and attempt.latency_ms is not None and hour in by_hour:
            by_hour[hour].append(attempt.latency_ms)
    return [
        (hour.strftime("%H:00"), round(statistics.median(values)) if values else 0)
        for hour, values in by_hour.items()
    ]


# --- the page --------------------------------------------------------------------------------


def dashboard(now: datetime | None = None) -> dict[str, Any]:
    """Every panel's data, for the template."""
    now = now or timezone.now()
    backlog = sync_backlog(now)
    return {
        "now": now,
        "firing": alert_rows(firing_alerts()),
        "resolved": recently_resolved(),
        "lanes": backlog,
        "workers": workers_panel(now, backlog),
        "checks": tenant_check_rows(),
        "logs": log_panel(now),
        "certificates": certificate_panel(now),
        "domains": domain_panel(),
        "signin": signin_panel(now),
        "signin_connection": settings.SYNTHETIC_SIGNIN_CONNECTION,
    }
