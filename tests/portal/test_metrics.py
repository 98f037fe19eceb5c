"""/metrics: who may read it, and what it says after real gateway calls against the sandbox,
read back with prometheus_client's own parser; then the multiprocess mode."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from idp_selfservice.models import SetupState, SsoSetup
from orgs.auth0.client import auth0_call, management_client
from orgs.auth0.errors import RateLimited
from orgs.models import OpState, Priority, SyncOperation
from orgs.signup.models import Signup, SignupStatus
from tests.conftest import People, log_in
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = "203.0.113.7"


def scrape(client: Client, **extra: Any) -> dict[str, Any]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def value(families: dict[str, Any], family: str, sample: str, **labels: str) -> float | None:
    for found in families[family].samples if family in families else []:
        if found.name == sample and found.labels == labels:
            return float(found.value)
    return None


def requests_seen(client: Client, **labels: str) -> float:
    families = scrape(client)
    return value(families, "portal_auth0_requests", "portal_auth0_requests_total", **labels) or 0


# --- who may read it ---------------------------------------------------------------------


def test_a_local_scraper_reads_it_without_a_session(client: Client) -> None:
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1


def test_it_is_404_for_a_non_staff_user_from_elsewhere(client: Client, people: People) -> None:
    log_in(client, people.org_admin, people.organization)
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 404
    assert b"portal_" not in response.content


def test_it_is_404_for_anyone_from_elsewhere_even_with_a_forged_header(client: Client) -> None:
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 404


def test_staff_read_it_from_anywhere(client: Client, people: People) -> None:
    log_in(client, people.staff)
    assert "portal_auth0_requests" in scrape(client, REMOTE_ADDR=OUTSIDE)


def test_an_allowed_network_reads_it(client: Client, settings: Any) -> None:
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


# --- Management API calls ------------------------------------------------------------------


def test_gateway_calls_are_counted_by_route_template(client: Client, tenant: Any) -> None:
    roles = {"route": "/api/v2/roles", "method": "GET", "status": "200"}
    members = {"route": "/api/v2/organizations/{id}/members", "method": "GET", "status": "200"}
    before_roles, before_members = requests_seen(client, **roles), requests_seen(client, **members)
    acme = next(o for o in tenant.state()["organizations"].values() if o["name"] == "acme")
    with auth0_call():
        management_client().roles.list(per_page=1)
        management_client().organizations.members.list(acme["id"])
    families = scrape(client)
    assert value(families, "portal_auth0_requests", "portal_auth0_requests_total", **roles) == (
        before_roles + 1
    )
    assert value(families, "portal_auth0_requests", "portal_auth0_requests_total", **members) == (
        before_members + 1
    )
    assert acme["id"] not in str(families["portal_auth0_requests"].samples)
    remaining = value(
        families,
        "portal_auth0_ratelimit_remaining",
        "portal_auth0_ratelimit_remaining",
        bucket="global",
    )
    assert remaining is not None and remaining > 0


def test_a_429_is_counted_and_the_remaining_tokens_drop_to_zero(
    client: Client, tenant: Any
) -> None:
    families = scrape(client)
    limited = "portal_auth0_rate_limited_total"
    before = value(families, "portal_auth0_rate_limited", limited, bucket="global") or 0
    tenant.add_fault(path="^/api/v2/roles$", status=429, times=1)
    with pytest.raises(RateLimited), auth0_call():
        management_client().roles.list(per_page=1)
    families = scrape(client)
    assert value(families, "portal_auth0_rate_limited", limited, bucket="global") == before + 1
    throttled = {"route": "/api/v2/roles", "method": "GET", "status": "429"}
    assert value(families, "portal_auth0_requests", "portal_auth0_requests_total", **throttled)
    remaining = "portal_auth0_ratelimit_remaining"
    assert value(families, remaining, remaining, bucket="global") == 0


# --- computed at scrape time -----------------------------------------------------------------


def _operation(kind: str, priority: str, state: str, age: timedelta) -> SyncOperation:
    operation = SyncOperation.objects.create(
        kind=kind, priority=priority, state=state, idempotency_key=f"{kind}|{priority}|{age}"
    )
    SyncOperation.objects.filter(pk=operation.pk).update(created_at=timezone.now() - age)
    return operation


def test_operations_are_counted_by_kind_lane_and_state(client: Client) -> None:
    _operation("organization.create", Priority.INTERACTIVE, OpState.QUEUED, timedelta(minutes=5))
    _operation("organization.create", Priority.INTERACTIVE, OpState.QUEUED, timedelta(minutes=1))
    _operation("member.add", Priority.BULK, OpState.FAILED, timedelta(hours=2))
    _operation("member.add", Priority.BULK, OpState.SUCCEEDED, timedelta(hours=3))
    families = scrape(client)
    ops = "portal_sync_operations"
    assert (
        value(families, ops, ops, kind="organization.create", lane="interactive", state="queued")
        == 2
    )
    assert value(families, ops, ops, kind="member.add", lane="bulk", state="failed") == 1
    assert value(families, ops, ops, kind="member.add", lane="bulk", state="succeeded") is None
    oldest = "portal_sync_oldest_queued_seconds"
    interactive = value(families, oldest, oldest, lane="interactive")
    assert interactive is not None and 299 <= interactive < 360
    assert value(families, oldest, oldest, lane="bulk") == 0  # a failed one is not queued


def test_signups_are_counted_by_state(client: Client) -> None:
    for slug, status in (
        ("waiting-one", SignupStatus.AWAITING_VERIFICATION),
        ("waiting-two", SignupStatus.AWAITING_VERIFICATION),
        ("refused-one", SignupStatus.REFUSED),
    ):
        Signup.objects.create(
            slug=slug, status=status, company_name=slug, admin_name="A", email=f"a@{slug}.test"
        )
    families = scrape(client)
    assert value(families, "portal_signups", "portal_signups", state="awaiting_verification") == 2
    assert value(families, "portal_signups", "portal_signups", state="refused") == 1
    assert value(families, "portal_signups", "portal_signups", state="done") == 0


def test_a_new_signup_increments_the_started_counter(
    client: Client, tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from orgs.signup.services import SignupDetails, signup_start

    started = "portal_signups_started_total"
    before = value(scrape(client), "portal_signups_started", started) or 0
    details = SignupDetails(
        company_name="Pied Piper", slug="pied-piper", admin_name="Richard", email="r@piper.test"
    )
    with django_capture_on_commit_callbacks(execute=True):
        signup_start(details=details, ip="198.51.100.4")
    with django_capture_on_commit_callbacks(execute=True):
        signup_start(details=details, ip="198.51.100.4")  # the same request: not a new one
    assert value(scrape(client), "portal_signups_started", started) == before + 1


def test_active_sso_setups_report_their_certificate_expiry(client: Client) -> None:
    acme = OrganizationFactory(name="acme-certs")
    not_after = timezone.now() + timedelta(days=10)
    certificate = {"sha256_fingerprint": "ab:cd", "not_after": not_after.isoformat()}
    for name, state in (("acme-saml", SetupState.ACTIVE), ("acme-draft", SetupState.DRAFT)):
        SsoSetup.objects.create(
            organization=acme,
            provider="okta",
            connection_name=name,
            state=state,
            idp_summary={"certificates": [{**certificate, "in_use": True}]},
        )
    families = scrape(client)
    expiry = "portal_idp_certificate_expiry_seconds"
    seconds = value(families, expiry, expiry, organization="acme-certs", connection="acme-saml")
    assert seconds is not None and 9 * 86400 < seconds <= 10 * 86400
    assert (
        value(families, expiry, expiry, organization="acme-certs", connection="acme-draft") is None
    )
    up = "portal_metrics_collector_up"
    assert value(families, up, up, collector="certificates") == 1


def test_task_durations_are_observed(client: Client) -> None:
    from orgs.tasks import sweep_sync_operations

    count = "portal_task_duration_seconds_count"
    labels = {"task": "orgs.tasks.sweep_sync_operations"}
    before = value(scrape(client), "portal_task_duration_seconds", count, **labels) or 0
    sweep_sync_operations.apply()  # prerun and postrun fire as in a worker
    assert value(scrape(client), "portal_task_duration_seconds", count, **labels) == before + 1


# --- multiprocess mode -----------------------------------------------------------------------

CHILD = """
import django
django.setup()
from portal.metrics import TASK_DURATION, observe_auth0_response
observe_auth0_response(
    "GET", "/api/v2/organizations/org_child/members", 200, {"x-ratelimit-remaining": "7"}
)
TASK_DURATION.labels(task="child.task").observe(0.3)
import os
print(os.getpid())
"""


def test_multiprocess_mode_adds_up_every_process_and_forgets_dead_ones(
    client: Client, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    pids = [
        subprocess.run(
            [sys.executable, "-c", CHILD], env=env, cwd=ROOT, check=True, capture_output=True
        ).stdout.split()[-1]
        for _ in range(2)
    ]
    settings.PROMETHEUS_MULTIPROC_DIR = str(directory)
    families = scrape(client)
    members = {"route": "/api/v2/organizations/{id}/members", "method": "GET", "status": "200"}
    assert value(families, "portal_auth0_requests", "portal_auth0_requests_total", **members) == 2
    count = "portal_task_duration_seconds_count"
    assert value(families, "portal_task_duration_seconds", count, task="child.task") == 2
    remaining = "portal_auth0_ratelimit_remaining"
    assert value(families, remaining, remaining, bucket="global") == 7
    assert "portal_sync_operations" in families  # the database part is there too

    hooks = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    for pid in pids:
        hooks["child_exit"](None, SimpleNamespace(pid=int(pid)))
    families = scrape(client)
    assert value(families, remaining, remaining, bucket="global") is None  # livemax: dead
    assert value(families, "portal_auth0_requests", "portal_auth0_requests_total", **members) == 2
