"""Proving a claim: the DNS TXT record (against a stub DNS on loopback) and the https
well-known file (a local server on an allowed origin), and what "Check now" says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from orgs.domains import wellknown
from orgs.domains.checks import Probes, domain_check
from orgs.domains.claims import domain_claim, domain_remove
from orgs.models import AuditEvent, Domain, SyncOperation
from orgs.models.organizations import DomainProof, DomainStatus
from orgs.services.errors import ServiceError
from tests.conftest import People, log_in
from tests.idp_selfservice._fetch_servers import RecordingServer, respond
from tests.orgs.test_domains_support import StubDns, serving_stub

pytestmark = pytest.mark.django_db
HOST = "_portal-verification.acme.example"


@pytest.fixture
def stub_dns(settings: Any) -> Iterator[StubDns]:
    yield from serving_stub(settings)


@pytest.fixture
def claimed(people: People) -> Domain:
    return domain_claim(
        actor=people.org_admin, organization=people.organization, text="acme.example"
    )


@pytest.fixture
def file_server(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingServer]:
    """A local server on an allowed origin standing in for https://<domain>."""
    with RecordingServer() as server:
        settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
        monkeypatch.setattr(
            wellknown, "url_for", lambda d: server.url(f"/{d}{wellknown.WELL_KNOWN_PATH}")
        )
        yield server


def _check(domain: Domain, proof: str = DomainProof.DNS) -> Any:
    return domain_check(actor=None, domain=domain, proof=proof)


def test_the_right_txt_record_verifies_the_domain(stub_dns: StubDns, claimed: Domain) -> None:
    stub_dns.records[HOST] = [claimed.verification_token]
    found = _check(claimed)
    claimed.refresh_from_db()
    assert found.proven and found.words == f"The TXT record at {HOST} holds the token."
    assert claimed.status == DomainStatus.VERIFIED and claimed.verified_by == DomainProof.DNS
    assert claimed.verified_at is not None and claimed.verified_at == claimed.last_checked_at
    assert stub_dns.queries == [HOST]
    assert SyncOperation.objects.filter(kind="organization_domains.sync").count() == 1
    assert AuditEvent.objects.filter(action="domain.verify", target="acme.example").exists()


def test_a_wrong_value_is_shown(stub_dns: StubDns, claimed: Domain) -> None:
    stub_dns.records[HOST] = ["portal-verification-old"]
    found = _check(claimed)
    claimed.refresh_from_db()
    assert not found.proven
    assert found.words == f'We found these TXT records at {HOST}: "portal-verification-old".'
    assert claimed.status == DomainStatus.PENDING and claimed.last_check_detail == found.words
    assert not SyncOperation.objects.exists()


def test_no_record_says_so(stub_dns: StubDns, claimed: Domain) -> None:
    found = _check(claimed)
    assert not found.proven and found.words == f"No TXT record at {HOST}."


def test_the_token_among_several_records_verifies(stub_dns: StubDns, claimed: Domain) -> None:
    stub_dns.records[HOST] = ["v=spf1 -all", claimed.verification_token, "x" * 300]
    assert _check(claimed).proven


def test_several_wrong_records_are_all_shown(stub_dns: StubDns, claimed: Domain) -> None:
    stub_dns.records[HOST] = ["one", "two"]
    words = _check(claimed).words
    assert words.startswith(f"We found these TXT records at {HOST}: ")
    assert '"one"' in words and '"two"' in words


def test_dns_that_does_not_answer_says_so(stub_dns: StubDns, claimed: Domain) -> None:
    stub_dns.silent = True
    found = _check(claimed)
    assert (
        not found.proven and found.words == f"DNS did not answer for {HOST}; try again in a while."
    )


def test_an_injected_resolver_is_used(claimed: Domain, settings: Any) -> None:
    import dns.resolver

    settings.DOMAIN_DNS_NAMESERVERS = ["127.0.0.1:9"]  # nothing listens: must not be asked
    server = StubDns().start()
    try:
        server.records[HOST] = [claimed.verification_token]
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers, resolver.port = ["127.0.0.1"], int(server.address.split(":")[1])
        found = domain_check(
            actor=None, domain=claimed, proof="dns", probes=Probes(resolver=resolver)
        )
    finally:
        server.stop()
    assert found.proven


def test_the_well_known_file_verifies(file_server: RecordingServer, claimed: Domain) -> None:
    path = f"/acme.example{wellknown.WELL_KNOWN_PATH}"
    file_server.routes[path] = respond(f"{claimed.verification_token}\n".encode())
    found = _check(claimed, DomainProof.HTTPS)
    claimed.refresh_from_db()
    assert found.proven and claimed.verified_by == DomainProof.HTTPS
    assert [hit.path for hit in file_server.hits] == [path]


def test_a_file_without_the_token_is_not_enough(
    file_server: RecordingServer, claimed: Domain
) -> None:
    file_server.routes[f"/acme.example{wellknown.WELL_KNOWN_PATH}"] = respond(b"something else")
    found = _check(claimed, DomainProof.HTTPS)
    assert not found.proven and found.words.endswith("does not hold the token.")


def test_a_missing_file_says_what_the_server_answered(
    file_server: RecordingServer, claimed: Domain
) -> None:
    found = _check(claimed, DomainProof.HTTPS)
    assert not found.proven and "could not be read: The server answered 404." in found.words


def test_the_real_address_is_https_on_the_domain_and_refused_off_the_allowed_origins(
    claimed: Domain, settings: Any
) -> None:
    assert wellknown.wellknown_url("acme.example") == (
        "https://acme.example/.well-known/portal-domain-verification.txt"
    )
    settings.IDP_FETCH_ALLOWED_ORIGINS = []
    found = wellknown.file_proves("http://127.0.0.1:9/x", claimed.verification_token)
    assert not found.proven and "could not be read" in found.words


def test_a_domain_verified_elsewhere_meanwhile_is_refused(
    stub_dns: StubDns, claimed: Domain, people: People
) -> None:
    Domain.objects.create(
        organization=people.other_organization,
        domain="acme.example",
        verification_token="t",
        status=DomainStatus.VERIFIED,
    )
    stub_dns.records[HOST] = [claimed.verification_token]
    with pytest.raises(ServiceError, match="already verified by another organization"):
        _check(claimed)
    claimed.refresh_from_db()
    assert claimed.status == DomainStatus.PENDING


def test_a_parent_verified_elsewhere_meanwhile_sends_the_claim_to_staff(
    stub_dns: StubDns, people: People
) -> None:
    domain = domain_claim(actor=None, organization=people.organization, text="eu.globex.example")
    Domain.objects.create(
        organization=people.other_organization,
        domain="globex.example",
        verification_token="t",
        status=DomainStatus.VERIFIED,
    )
    stub_dns.records[f"_portal-verification.{domain.domain}"] = [domain.verification_token]
    found = _check(domain)
    domain.refresh_from_db()
    assert not found.proven and "staff must approve this claim" in found.words
    assert domain.status == DomainStatus.AWAITING_APPROVAL
    with pytest.raises(ServiceError, match="awaiting staff approval"):
        _check(domain)


def test_only_pending_or_failed_claims_are_checked_and_only_known_proofs(
    stub_dns: StubDns, claimed: Domain
) -> None:
    with pytest.raises(ServiceError, match="Choose how to check"):
        _check(claimed, "carrier-pigeon")
    stub_dns.records[HOST] = [claimed.verification_token]
    _check(claimed)
    with pytest.raises(ServiceError, match=r"acme\.example is verified\."):
        _check(claimed)


def test_a_failed_domain_can_be_verified_again(stub_dns: StubDns, claimed: Domain) -> None:
    Domain.objects.filter(pk=claimed.pk).update(status=DomainStatus.FAILED)
    stub_dns.records[HOST] = [claimed.verification_token]
    assert _check(claimed).proven


def test_removing_a_pending_claim_changes_nothing_in_auth0(claimed: Domain) -> None:
    domain_remove(actor=None, domain=claimed)
    assert not Domain.objects.exists() and not SyncOperation.objects.exists()
    with pytest.raises(ServiceError, match="no longer claimed"):
        domain_remove(actor=None, domain=claimed)


# --- "Check now" and "Remove" on the tab ------------------------------------------------------


def _url(claimed: Domain, action: str) -> str:
    return f"/orgs/{claimed.organization_id}/domains/{claimed.pk}/{action}/"


def test_check_now_shows_what_dns_answers(
    client: Client, people: People, stub_dns: StubDns, claimed: Domain
) -> None:
    log_in(client, people.org_admin, people.organization)
    page = client.post(_url(claimed, "check"), {"proof": "dns"}, follow=True).content.decode()
    assert f"acme.example is not verified yet. No TXT record at {HOST}." in page
    assert f"Last check: No TXT record at {HOST}." in page
    stub_dns.records[HOST] = ["wrong"]
    page = client.post(_url(claimed, "check"), {"proof": "dns"}, follow=True).content.decode()
    assert f"We found these TXT records at {HOST}: &quot;wrong&quot;." in page
    stub_dns.records[HOST] = [claimed.verification_token]
    page = client.post(_url(claimed, "check"), {"proof": "dns"}, follow=True).content.decode()
    assert "acme.example is verified." in page and "Verified on " in page
    assert "Proven by the DNS TXT record" in page


def test_check_now_reads_the_file(
    client: Client, people: People, file_server: RecordingServer, claimed: Domain
) -> None:
    file_server.routes[f"/acme.example{wellknown.WELL_KNOWN_PATH}"] = respond(
        claimed.verification_token.encode()
    )
    log_in(client, people.staff)
    page = client.post(_url(claimed, "check"), {"proof": "https"}, follow=True).content.decode()
    assert "acme.example is verified. The file at" in page


def test_check_now_with_no_proof_chosen_says_so(
    client: Client, people: People, claimed: Domain
) -> None:
    log_in(client, people.org_admin, people.organization)
    page = client.post(_url(claimed, "check"), follow=True).content.decode()
    assert "Choose how to check" in page


def test_remove_asks_first_then_removes(client: Client, people: People, claimed: Domain) -> None:
    log_in(client, people.org_admin, people.organization)
    page = client.get(_url(claimed, "remove")).content.decode()
    assert "Remove acme.example?" in page and Domain.objects.exists()
    page = client.post(_url(claimed, "remove"), follow=True).content.decode()
    assert "acme.example is removed." in page and not Domain.objects.exists()


def test_removing_a_verified_domain_says_what_it_changes(
    client: Client, people: People, claimed: Domain
) -> None:
    Domain.objects.filter(pk=claimed.pk).update(status=DomainStatus.VERIFIED)
    log_in(client, people.org_admin, people.organization)
    page = client.get(_url(claimed, "remove")).content.decode()
    assert "no longer sent to this organization&#x27;s sign-in" in page


def test_a_verified_domain_shows_the_proof_to_keep(
    client: Client, people: People, claimed: Domain
) -> None:
    Domain.objects.filter(pk=claimed.pk).update(
        status=DomainStatus.VERIFIED, verified_by=DomainProof.HTTPS
    )
    log_in(client, people.org_admin, people.organization)
    page = client.get(f"/orgs/{people.organization.pk}/domains/").content.decode()
    assert "The proof to keep in place" in page and "Proven by the well-known file" in page
    assert "https://acme.example/.well-known/portal-domain-verification.txt" in page
    assert "Check now" not in page
