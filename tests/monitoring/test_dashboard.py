"""The staff operations dashboard (`/ops/`): staff only; every panel shows what its rows
say (alerts, failed operations per lane, a worker heartbeat and queue depths, tenant
checks, Auth0 log entries, synthetic sign-ins, an expiring certificate, a failing
domain); "Retry all failed in this lane" re-queues that lane only; "Run the checks now"
queues the task; the page costs the same queries however many rows there are."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from celery.signals import before_task_publish
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orgs.auth0logs.models import Auth0LogEntry, LogArchiveCheckpoint
from orgs.models import AuditEvent, Domain, OpState, Organization, Priority, SyncOperation
from orgs.models.organizations import DomainStatus
from orgs.monitoring.alerts import clear_alert, raise_alert
from orgs.monitoring.models import CheckStatus, SyntheticSignIn, TenantCheckResult
from portal.coordination import coordination_store
from portal.worker_signals import write_heartbeat
from tests.conftest import People, log_in
from tests.idp_selfservice.test_certificate_support import stored_setup
from tests.orgs.engine import sent_ops

pytestmark = pytest.mark.django_db

URL = "/ops/"
RETRY = "/ops/retry-failed/"
RUN_CHECKS = "/ops/run-checks/"
_keys = itertools.count()


@pytest.fixture(autouse=True)
def quiet_alerts_and_store(settings: Any) -> Iterator[None]:
    settings.STAFF_ALERT_EMAILS = []
    settings.ALERT_WEBHOOK_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    coordination_store().flushdb()
    yield
    coordination_store().flushdb()


def _op(org: Organization | None, state: str = OpState.FAILED, lane: str = Priority.BULK) -> Any:
    return SyncOperation.objects.create(
        kind="organization.update",
        organization=org,
        target_type="organization",
        target_id=org.pk if org else 1,
        target_key=f"dash:{next(_keys)}",
        idempotency_key=f"dash-{next(_keys)}",
        state=state,
        priority=lane,
        attempts=3 if state == OpState.FAILED else 0,
        last_error="Auth0 400: bad" if state == OpState.FAILED else "",
    )


def _page(client: Client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def _panel(page: str, panel_id: str) -> str:
    """The HTML of one panel (its <section>)."""
    start = page.index(f'id="{panel_id}"')
    return page[start : page.index("</section>", start)]


def _row(panel: str, first_cell: str) -> str:
    """The table row whose text holds `first_cell`."""
    rows = re.findall(r"<tr>.*?</tr>", panel, flags=re.S)
    return next(row for row in rows if first_cell in row)


# --- who may see it ------------------------------------------------------------------------


def test_staff_see_every_panel(client: Client, people: People) -> None:
    log_in(client, people.staff)
    page = _page(client)
    assert "<h1>Tenant operations</h1>" in page
    for heading in (
        "Alerts firing now",
        "Sync backlog and failures",
        "Workers and queues",
        "Tenant checks",
        "Auth0 logs, last 24 hours",
        "Certificates expiring",
        "Domains failing re-verification",
        "Synthetic sign-in",
        "Follow Auth0",
    ):
        assert f">{heading}</h2>" in page
    assert 'aria-current="page">Tenant</a>' in page  # the main navigation's link
    assert "<script" not in page.split("</head>")[1]  # charts are inline SVG, no script


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, people: People) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("url", [URL, RETRY, RUN_CHECKS])
def test_a_customer_admin_gets_404(client: Client, people: People, url: str) -> None:
    log_in(client, people.org_admin, people.organization)
    response = client.get(url) if url == URL else client.post(url, {"lane": Priority.BULK})
    assert response.status_code == 404


def test_a_customer_admin_cannot_retry_a_lane(client: Client, people: People) -> None:
    op = _op(people.organization)
    log_in(client, people.org_admin, people.organization)
    assert client.post(RETRY, {"lane": Priority.BULK, "confirmed": "yes"}).status_code == 404
    op.refresh_from_db()
    assert op.state == OpState.FAILED


# --- 1. alerts -----------------------------------------------------------------------------


def test_firing_alerts_say_what_to_do_and_where(client: Client, people: People) -> None:
    raise_alert(
        "operations-failed",
        "2 operations failed for good and wait for a person",
        {"link": "/orgs/operations/?state=failed"},
        what_to_do="Open Operations filtered on Failed.",
    )
    raise_alert("backlog:bulk", "The bulk lane is behind")
    clear_alert("backlog:bulk")
    log_in(client, people.staff)
    panel = _panel(_page(client), "alerts")
    row = _row(panel, "operations-failed")
    assert "2 operations failed for good" in row and "Open Operations filtered on Failed." in row
    assert '<a href="/orgs/operations/?state=failed">Operations</a>' in row
    resolved = panel.split("Recently resolved")[1]
    assert "The bulk lane is behind" in resolved and "resolved" in resolved


def test_without_alerts_it_says_none_fire(client: Client, people: People) -> None:
    log_in(client, people.staff)
    assert "No alert is firing." in _panel(_page(client), "alerts")


# --- 2. sync backlog per lane --------------------------------------------------------------


def test_each_lane_counts_its_queued_running_and_failed(client: Client, people: People) -> None:
    org = people.organization
    _op(org, lane=Priority.BULK)
    _op(org, lane=Priority.BULK)
    _op(org, OpState.QUEUED, lane=Priority.BULK)
    _op(org, OpState.RUNNING, lane=Priority.INTERACTIVE)
    SyncOperation.objects.filter(state=OpState.QUEUED).update(
        created_at=timezone.now() - timedelta(minutes=12)
    )
    log_in(client, people.staff)
    panel = _panel(_page(client), "sync-backlog")
    bulk, interactive = _row(panel, "<strong>Bulk</strong>"), _row(panel, "<strong>Interactive")
    assert "2 failed</span>" in bulk and "waited 12 min" in bulk
    assert 'href="/orgs/operations/?state=failed&amp;lane=bulk"' in bulk
    assert 'href="/orgs/operations/?state=queued&amp;lane=bulk">1</a>' in bulk
    assert "Retry all failed in this lane" in bulk
    assert '<td data-label="Running">1</td>' in interactive
    assert "Retry all failed" not in interactive and "none queued" in interactive


def test_retrying_a_lane_requeues_its_failed_operations_only(
    client: Client, people: People, django_capture_on_commit_callbacks: Any
) -> None:
    org = people.organization
    bulk = [_op(org, lane=Priority.BULK), _op(None, lane=Priority.BULK)]
    interactive = _op(org, lane=Priority.INTERACTIVE)
    log_in(client, people.staff)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(RETRY, {"lane": Priority.BULK}, follow=True)
    assert sorted(sent_ops(callbacks)) == sorted(op.pk for op in bulk)
    assert "2 failed operations of the bulk lane queued again." in response.content.decode()
    for op in bulk:
        op.refresh_from_db()
        assert (op.state, op.attempts) == (OpState.QUEUED, 0)
    interactive.refresh_from_db()
    assert interactive.state == OpState.FAILED
    retries = AuditEvent.objects.filter(action="sync_operation.retry")
    assert retries.count() == 2 and {e.actor_id for e in retries} == {people.staff.pk}


def test_retrying_more_than_a_few_asks_first(client: Client, people: People) -> None:
    ops = [_op(people.organization, lane=Priority.INTERACTIVE) for _ in range(4)]
    log_in(client, people.staff)
    confirmation = client.post(RETRY, {"lane": Priority.INTERACTIVE})
    page = confirmation.content.decode()
    assert "Retry 4 failed operations of the interactive lane?" in page
    assert 'name="confirmed" value="yes"' in page
    assert SyncOperation.objects.filter(state=OpState.FAILED).count() == 4
    client.post(RETRY, {"lane": Priority.INTERACTIVE, "confirmed": "yes"})
    assert {SyncOperation.objects.get(pk=op.pk).state for op in ops} == {OpState.QUEUED}


def test_a_lane_without_failures_has_nothing_to_retry(client: Client, people: People) -> None:
    log_in(client, people.staff)
    response = client.post(RETRY, {"lane": Priority.BULK}, follow=True)
    assert "There is nothing to retry" in response.content.decode()


def test_an_unknown_lane_is_refused(client: Client, people: People) -> None:
    _op(people.organization)
    log_in(client, people.staff)
    response = client.post(RETRY, {"lane": "everything"}, follow=True)
    assert "Choose the interactive or the bulk lane." in response.content.decode()
    assert SyncOperation.objects.filter(state=OpState.FAILED).count() == 1


# --- 3. workers and queues -----------------------------------------------------------------


def test_a_worker_heartbeat_and_a_queue_nobody_consumes(client: Client, people: People) -> None:
    write_heartbeat("interactive@host-1", ["auth0", "default"])
    _op(people.organization, OpState.QUEUED, lane=Priority.BULK)
    log_in(client, people.staff)
    panel = _panel(_page(client), "workers")
    worker = _row(panel, "interactive@host-1")
    assert "<code>auth0</code>, <code>default</code>" in worker and "s ago" in worker
    assert "In-process broker (make run)" in panel
    bulk_queue = _row(panel, "<code>auth0-bulk</code></td>")
    assert "No worker" in bulk_queue
    assert '<td data-label="Queued operations">1</td>' in bulk_queue


def test_without_heartbeats_it_says_nothing_reaches_auth0(client: Client, people: People) -> None:
    log_in(client, people.staff)
    assert "No worker has been heard from" in _panel(_page(client), "workers")


def test_a_redis_broker_is_counted_over_every_priority_list(
    client: Client, people: People, redis_url: str, settings: Any
) -> None:
    settings.CELERY_BROKER_URL = redis_url
    broker = redis.Redis.from_url(redis_url)
    broker.rpush("auth0", "a", "b")
    broker.rpush("auth0\x06\x163", "c")  # kombu's list for priority 3 of queue auth0
    broker.rpush("auth0-bulk", "d")
    log_in(client, people.staff)
    panel = _panel(_page(client), "workers")
    assert "In-process broker" not in panel
    assert '<td data-label="Messages waiting">3</td>' in _row(panel, "<code>auth0</code></td>")
    assert '<td data-label="Messages waiting">1</td>' in _row(panel, "<code>auth0-bulk</code></td>")
    assert '<td data-label="Messages waiting">0</td>' in _row(panel, "<code>default</code></td>")


def test_a_broker_that_cannot_be_reached_is_named(
    client: Client, people: People, settings: Any
) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.READYZ_BROKER_TIMEOUT = 0.5
    log_in(client, people.staff)
    panel = _panel(_page(client), "workers")
    assert "The broker could not be read (OperationalError)" in panel


# --- 4. tenant checks ----------------------------------------------------------------------


def test_each_check_shows_its_answer(client: Client, people: People) -> None:
    now = timezone.now()
    TenantCheckResult.objects.create(
        name="email_provider", title="Custom email provider", status=CheckStatus.OK, checked_at=now
    )
    TenantCheckResult.objects.create(
        name="log_streams",
        title="Log streams",
        status=CheckStatus.PROBLEM,
        problem="The log stream siem is paused.",
        what_to_do="Set it back to Active.",
        checked_at=now,
    )
    TenantCheckResult.objects.create(
        name="roles", title="Roles", status=CheckStatus.UNKNOWN, checked_at=now
    )
    log_in(client, people.staff)
    panel = _panel(_page(client), "tenant-checks")
    assert "badge-ok" in _row(panel, "Custom email provider")
    streams = _row(panel, "Log streams")
    assert "Needs attention" in streams and "siem is paused" in streams
    assert "Set it back to Active." in streams
    assert "Could not check" in _row(panel, "Roles the portal uses")
    assert "Not run yet" in _row(panel, "Staff organization")
    assert "Run the checks now" in panel


def test_run_the_checks_now_queues_the_task(
    client: Client, people: People, django_capture_on_commit_callbacks: Any
) -> None:
    sent: list[tuple[str, str]] = []

    def record(sender: Any = None, routing_key: str = "", **_: Any) -> None:
        sent.append((str(sender), routing_key))

    before_task_publish.connect(record, weak=False)
    log_in(client, people.staff)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(RUN_CHECKS, follow=True)
    finally:
        before_task_publish.disconnect(record)
    assert ("orgs.monitoring.tasks.run_tenant_checks", "default") in sent
    assert "The tenant checks are queued" in response.content.decode()


# --- 5. the Auth0 log scan -----------------------------------------------------------------


def _entry(log_id: str, log_type: str, hours_ago: float = 1, **fields: Any) -> None:
    Auth0LogEntry.objects.create(
        log_id=log_id,
        type=log_type,
        date=timezone.now() - timedelta(hours=hours_ago),
        raw={"log_id": log_id, "type": log_type},
        **fields,
    )


def test_the_log_panel_charts_the_last_day_and_the_archive(client: Client, people: People) -> None:
    _entry("1", "api_limit", route="/api/v2/users/{id}", client_id="cli_batch")
    _entry("2", "api_limit", route="/api/v2/users/{id}", client_id="cli_batch")
    _entry("3", "fapi", route="/api/v2/organizations", client_id="cli_portal")
    _entry("4", "fp", client_id="cli_web", client_name="Customer web")
    _entry("5", "fp", hours_ago=30)  # outside the last 24 hours
    LogArchiveCheckpoint.objects.create(
        last_log_id="5",
        last_run_at=timezone.now(),
        last_run_stored=5,
        last_error="Auth0's rate limit was reached; the next run carries on.",
    )
    log_in(client, people.staff)
    panel = _panel(_page(client), "auth0-logs")
    for chart in ("ops-chart-rate_limit", "ops-chart-failed_api", "ops-chart-failed_login"):
        assert f'<figure class="bar-chart" id="{chart}">' in panel
    assert "2 events in all" in panel  # the api_limit chart's description
    assert "<svg" in panel
    assert '<td data-label="Route"><code>/api/v2/users/{id}</code></td>' in panel
    assert "Customer web" in panel and "cli_batch" in panel
    assert 'href="/ops/auth0-logs/"' in panel
    assert "Auth0&#x27;s rate limit was reached" in panel and "5 new entries" in panel


# --- 6. certificates and domains -----------------------------------------------------------


def test_an_expiring_certificate_is_listed(client: Client, people: People) -> None:
    now = timezone.now()
    soon = stored_setup(people.organization, expires=now + timedelta(days=10))
    later = stored_setup(people.organization, expires=now + timedelta(days=90))
    log_in(client, people.staff)
    panel = _panel(_page(client), "certificates")
    assert soon.connection_name in panel and later.connection_name not in panel
    assert "1 expiring" in panel and "expires in" in panel
    assert 'href="/sso/certificates/"' in panel


def test_a_domain_failing_its_recheck_is_listed(client: Client, people: People) -> None:
    now = timezone.now()
    common = {"organization": people.organization, "verification_token": "t"}
    Domain.objects.create(
        domain="acme.test",
        status=DomainStatus.VERIFIED,
        verified_at=now - timedelta(days=30),
        failing_since=now - timedelta(days=2),
        last_check_detail="The TXT record is gone.",
        **common,
    )
    Domain.objects.create(
        domain="healthy.test", status=DomainStatus.VERIFIED, verified_at=now, **common
    )
    log_in(client, people.staff)
    panel = _panel(_page(client), "domains")
    assert "acme.test" in panel and "healthy.test" not in panel
    assert "The TXT record is gone." in panel and "1 failing" in panel
    assert f'href="/orgs/{people.organization.pk}/domains/"' in panel


# --- 7. synthetic sign-in ------------------------------------------------------------------


def test_the_synthetic_sign_in_shows_its_rate_latency_and_attempts(
    client: Client, people: People, settings: Any
) -> None:
    settings.SYNTHETIC_SIGNIN_ENABLED = True
    now = timezone.now()
    for minutes, ok, latency in (
        (50, True, 100),
        (40, True, 300),
        (30, False, None),
        (20, True, 200),
    ):
        SyntheticSignIn.objects.create(
            started_at=now - timedelta(minutes=minutes),
            ok=ok,
            latency_ms=latency,
            error="" if ok else "The test user's password was refused.",
        )
    log_in(client, people.staff)
    panel = _panel(_page(client), "synthetic-signin")
    assert "75% of 4 attempts (1 failed)" in panel
    assert "median 200 ms, 95th percentile 300 ms" in panel
    assert '<figure class="bar-chart" id="ops-chart-signin-latency">' in panel and "<svg" in panel
    assert "highest" in panel and "in all" not in panel  # a latency is not summed
    assert "The test user&#x27;s password was refused." in panel


def test_when_off_it_says_how_to_turn_it_on(client: Client, people: People, settings: Any) -> None:
    settings.SYNTHETIC_SIGNIN_ENABLED = False
    log_in(client, people.staff)
    panel = _panel(_page(client), "synthetic-signin")
    assert ">Off</span>" in panel and "SYNTHETIC_SIGNIN_ENABLED=true" in panel


# --- 8. following Auth0 --------------------------------------------------------------------


def test_it_links_to_auth0s_notices_and_the_probes(client: Client, people: People) -> None:
    log_in(client, people.staff)
    panel = _panel(_page(client), "follow-auth0")
    for href in (
        "https://status.auth0.com/",
        "https://auth0.com/docs/secure/security-guidance/security-bulletins",
        "https://auth0.com/changelog",
        "/readyz",
        "/metrics",
    ):
        assert f'href="{href}"' in panel


# --- cost ----------------------------------------------------------------------------------


def _rows_of_every_panel(people: People, n: int) -> None:
    now = timezone.now()
    for i in range(n):
        _op(people.organization, lane=Priority.BULK)
        _op(people.organization, OpState.QUEUED, lane=Priority.INTERACTIVE)
        raise_alert(f"backlog:test-{n}-{i}", "behind", what_to_do="Look.")
        _entry(f"{n}-{i}", "api_limit", route=f"/api/v2/r{i}", client_id=f"cli_{i}")
        SyntheticSignIn.objects.create(
            started_at=now - timedelta(minutes=i), ok=True, latency_ms=90
        )
        stored_setup(people.organization, expires=now + timedelta(days=5))
        Domain.objects.create(
            organization=people.organization,
            domain=f"d{n}-{i}.test",
            verification_token="t",
            status=DomainStatus.VERIFIED,
            verified_at=now,
            failing_since=now,
        )
    TenantCheckResult.objects.get_or_create(
        name="roles", defaults={"title": "Roles", "status": CheckStatus.OK, "checked_at": now}
    )


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        _page(client)
    return len(captured)


def test_the_page_costs_the_same_queries_at_any_size(client: Client, people: People) -> None:
    log_in(client, people.staff)
    _rows_of_every_panel(people, 1)
    few = _queries(client)
    _rows_of_every_panel(people, 6)
    assert _queries(client) == few
