"""Only verified domains reach Auth0: the organization's discovery domains and the
`domain_aliases` of its active SSO connections, through the sandbox; and the daily
re-check that fails a domain after 7 days and tells the admins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail

from orgs.auth0.client import as_dict, auth0_call, management_client
from orgs.domains import tasks as domain_tasks
from orgs.domains.checks import domain_check
from orgs.domains.claims import domain_claim, domain_remove
from orgs.domains.recheck import FAILURE_DAYS, recheck_verified
from orgs.models import AuditEvent, Domain, OpState, Organization, SyncOperation
from orgs.models.organizations import DomainStatus
from orgs.sync.describe import describe_operations
from tests.conftest import People
from tests.idp_selfservice import builders as b
from tests.orgs.engine import drain
from tests.orgs.test_domains_support import StubDns, serving_stub

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-06-01T03:00:00+00:00")


@pytest.fixture
def stub_dns(settings: Any) -> Iterator[StubDns]:
    yield from serving_stub(settings)


def acme() -> Organization:
    return Organization.objects.get(name="acme")


def _discovery(org: Organization) -> dict[str, str]:
    with auth0_call():
        pager = management_client().organizations.discovery_domains.list(org.auth0_id)
        return {d["domain"]: d["status"] for d in (as_dict(item) for item in pager)}


def _verify(org: Organization, name: str, dns: StubDns) -> Domain:
    domain = domain_claim(actor=None, organization=org, text=name)
    dns.records[f"_portal-verification.{domain.domain}"] = [domain.verification_token]
    assert domain_check(actor=None, domain=domain, proof="dns").proven
    return domain


def _settled() -> None:
    drain()
    unsettled = SyncOperation.objects.exclude(state=OpState.SUCCEEDED)
    assert not unsettled.exists(), list(unsettled.values("kind", "state", "last_error"))


def test_verified_domains_become_verified_discovery_domains(
    imported_tenant: Any, stub_dns: StubDns
) -> None:
    org = acme()
    _verify(org, "acme.example", stub_dns)
    domain_claim(actor=None, organization=org, text="pending.example")  # never reaches Auth0
    _settled()
    assert _discovery(org) == {"acme.example": "verified"}
    op = SyncOperation.objects.get(kind="organization_domains.sync")
    assert describe_operations([op])[op.pk] == (
        "Make the organization's discovery domains its verified domains"
    )
    second = _verify(org, "acme-corp.example", stub_dns)
    _settled()
    assert _discovery(org) == {"acme.example": "verified", "acme-corp.example": "verified"}
    domain_remove(actor=None, domain=second)
    _settled()
    assert _discovery(org) == {"acme.example": "verified"}


def test_the_handler_makes_auth0_match_whatever_it_finds(
    imported_tenant: Any, stub_dns: StubDns
) -> None:
    org = acme()
    client = management_client().organizations.discovery_domains
    with auth0_call():
        client.create(org.auth0_id, domain="stray.example")
        client.create(org.auth0_id, domain="acme.example", status="pending")
    _verify(org, "acme.example", stub_dns)
    _settled()
    assert _discovery(org) == {"acme.example": "verified"}


def test_active_sso_connections_get_the_verified_domains_as_aliases(
    imported_tenant: Any, stub_dns: StubDns
) -> None:
    org = acme()
    first = _verify(org, "acme.example", stub_dns)
    _settled()
    setup = b.active_setup(org, "okta")  # activation takes the verified domains
    assert b.remote(setup.connection_name)["options"]["domain_aliases"] == ["acme.example"]
    _verify(org, "acme-corp.example", stub_dns)
    _settled()
    aliases = b.remote(setup.connection_name)["options"]["domain_aliases"]
    assert aliases == ["acme-corp.example", "acme.example"]
    domain_remove(actor=None, domain=first)
    _settled()
    assert b.remote(setup.connection_name)["options"]["domain_aliases"] == ["acme-corp.example"]


def test_a_draft_sso_setup_is_left_alone(imported_tenant: Any, stub_dns: StubDns) -> None:
    org = acme()
    setup = b.saved_setup(org, "okta")
    _verify(org, "acme.example", stub_dns)
    _settled()
    assert "domain_aliases" not in (b.remote(setup.connection_name) or {}).get("options", {})


# --- the daily re-check -----------------------------------------------------------------------


def _verified(people: People, dns: StubDns) -> Domain:
    domain = _verify(people.organization, "acme.example", dns)
    SyncOperation.objects.all().delete()
    return domain


def test_a_domain_still_proven_stays_verified(people: People, stub_dns: StubDns) -> None:
    domain = _verified(people, stub_dns)
    assert recheck_verified(now=NOW).as_dict() == {"checked": 1, "failing": 0, "failed": 0}
    domain.refresh_from_db()
    assert domain.status == DomainStatus.VERIFIED and domain.last_checked_at == NOW


def test_failing_for_seven_days_marks_it_failed_and_tells_the_admins(
    people: People, stub_dns: StubDns
) -> None:
    domain = _verified(people, stub_dns)
    stub_dns.records.clear()
    for day in range(FAILURE_DAYS):
        run = recheck_verified(now=NOW + timedelta(days=day)).as_dict()
        assert run == {"checked": 1, "failing": 1, "failed": 0}, day
    domain.refresh_from_db()
    assert domain.status == DomainStatus.VERIFIED and domain.failing_since == NOW
    assert not mail.outbox and not SyncOperation.objects.exists()
    run = recheck_verified(now=NOW + timedelta(days=FAILURE_DAYS)).as_dict()
    assert run == {"checked": 1, "failing": 1, "failed": 1}
    domain.refresh_from_db()
    assert domain.status == DomainStatus.FAILED
    assert SyncOperation.objects.filter(kind="organization_domains.sync").count() == 1
    assert AuditEvent.objects.filter(action="domain.fail", target="acme.example").exists()
    (message,) = mail.outbox
    assert message.to == ["admin@acme.test"]
    assert message.subject == "acme.example is no longer verified for Acme"
    assert "For 7 days in a row" in message.body
    assert "No TXT record at _portal-verification.acme.example." in message.body
    assert f"/orgs/{people.organization.pk}/domains/" in message.body
    assert recheck_verified(now=NOW + timedelta(days=9)).checked == 0  # failed: not rechecked


def test_one_good_day_resets_the_count(people: People, stub_dns: StubDns) -> None:
    domain = _verified(people, stub_dns)
    records = dict(stub_dns.records)
    stub_dns.records.clear()
    recheck_verified(now=NOW)
    stub_dns.records.update(records)
    recheck_verified(now=NOW + timedelta(days=3))
    domain.refresh_from_db()
    assert domain.failing_since is None
    stub_dns.records.clear()
    recheck_verified(now=NOW + timedelta(days=4))
    recheck_verified(now=NOW + timedelta(days=4 + FAILURE_DAYS - 1))
    domain.refresh_from_db()
    assert domain.status == DomainStatus.VERIFIED and not mail.outbox


def test_the_beat_task_runs_the_recheck(people: People, stub_dns: StubDns, settings: Any) -> None:
    _verified(people, stub_dns)
    assert domain_tasks.recheck_verified_domains() == {"checked": 1, "failing": 0, "failed": 0}
    entry = settings.CELERY_BEAT_SCHEDULE["recheck-verified-domains"]
    assert entry["task"] == domain_tasks.recheck_verified_domains.name
    assert entry["schedule"] == 24 * 3600.0
