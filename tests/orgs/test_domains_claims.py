"""Claiming a domain: its normal spelling, every refusal in plain words, and the staff
approval a subdomain of a domain verified elsewhere needs (service and the tab's form)."""

from __future__ import annotations

import pytest
from django.test import Client

from orgs.domains.claims import domain_approve, domain_claim, domain_refuse
from orgs.domains.names import normalise
from orgs.models import AuditEvent, Domain
from orgs.models.organizations import DomainStatus
from orgs.services.errors import ServiceError
from tests.conftest import People, log_in

pytestmark = pytest.mark.django_db


def _claim_url(people: People) -> str:
    return f"/orgs/{people.organization.pk}/domains/claim/"


def _verified(people: People, name: str) -> Domain:
    return Domain.objects.create(
        organization=people.other_organization,
        domain=name,
        verification_token="t",
        status=DomainStatus.VERIFIED,
    )


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Acme.Example", "acme.example"),
        ("  acme.example.  ", "acme.example"),
        ("Bücher.example", "xn--bcher-kva.example"),
        ("mail.acme-corp.example", "mail.acme-corp.example"),
    ],
)
def test_a_claim_is_stored_in_lower_case_idna(people: People, typed: str, stored: str) -> None:
    domain = domain_claim(actor=people.org_admin, organization=people.organization, text=typed)
    assert domain.domain == stored and domain.status == DomainStatus.PENDING
    assert domain.verification_token.startswith("portal-verification-")
    assert AuditEvent.objects.filter(action="domain.claim", target=stored).exists()


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "acme",
        "https://acme.example",
        "admin@acme.example",
        "acme..example",
        "10.0.0.1",
        "-acme.example",
        "acme.example/path",
        "a" * 64 + ".example",
    ],
)
def test_what_is_not_a_domain_is_refused(people: People, typed: str) -> None:
    with pytest.raises(ServiceError, match=r"Enter an email domain such as example\.com"):
        normalise(typed)


def test_tokens_differ_between_claims(people: People) -> None:
    one = domain_claim(actor=None, organization=people.organization, text="a.example")
    two = domain_claim(actor=None, organization=people.organization, text="b.example")
    assert one.verification_token != two.verification_token


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("gmail.com", "gmail.com is a public email service anyone can sign up to"),
        ("GMAIL.com", "gmail.com is a public email service"),
        ("outlook.com", "outlook.com is a public email service"),
        ("0-mailer.dynv6.net", "is a throwaway email service"),
    ],
)
def test_consumer_and_throwaway_domains_are_refused(people: People, typed: str, words: str) -> None:
    with pytest.raises(ServiceError, match=words):
        domain_claim(actor=people.org_admin, organization=people.organization, text=typed)
    assert not Domain.objects.exists()


def test_a_domain_verified_by_another_organization_is_refused(people: People) -> None:
    _verified(people, "globex.example")
    with pytest.raises(ServiceError, match="already verified by another organization"):
        domain_claim(actor=None, organization=people.organization, text="Globex.example")


def test_a_domain_another_organization_only_claimed_may_be_claimed(people: People) -> None:
    Domain.objects.create(
        organization=people.other_organization, domain="shared.example", verification_token="t"
    )
    domain = domain_claim(actor=None, organization=people.organization, text="shared.example")
    assert domain.status == DomainStatus.PENDING


def test_a_domain_claimed_twice_is_refused(people: People) -> None:
    domain_claim(actor=None, organization=people.organization, text="acme.example")
    with pytest.raises(ServiceError, match="already claimed by this organization"):
        domain_claim(actor=None, organization=people.organization, text="ACME.example")


def test_a_subdomain_of_one_verified_elsewhere_waits_for_staff(people: People) -> None:
    _verified(people, "globex.example")
    domain = domain_claim(
        actor=people.org_admin, organization=people.organization, text="eu.sales.globex.example"
    )
    assert domain.status == DomainStatus.AWAITING_APPROVAL
    approved = domain_approve(actor=people.staff, domain=domain)
    assert approved.status == DomainStatus.PENDING and approved.approved_at is not None
    with pytest.raises(ServiceError, match="not waiting for approval"):
        domain_approve(actor=people.staff, domain=domain)
    with pytest.raises(ServiceError, match="not waiting for approval"):
        domain_refuse(actor=people.staff, domain=domain)


def test_refusing_a_claim_removes_it(people: People) -> None:
    _verified(people, "globex.example")
    domain = domain_claim(actor=None, organization=people.organization, text="x.globex.example")
    domain_refuse(actor=people.staff, domain=domain)
    assert not Domain.objects.filter(pk=domain.pk).exists()
    assert AuditEvent.objects.filter(action="domain.refuse", target="x.globex.example").exists()


def test_a_subdomain_of_ones_own_verified_domain_needs_no_approval(people: People) -> None:
    Domain.objects.create(
        organization=people.organization,
        domain="acme.example",
        verification_token="t",
        status=DomainStatus.VERIFIED,
    )
    domain = domain_claim(actor=None, organization=people.organization, text="eu.acme.example")
    assert domain.status == DomainStatus.PENDING


# --- the tab's claim form ---------------------------------------------------------------------


def test_the_admin_claims_a_domain_and_sees_the_record_to_add(
    client: Client, people: People
) -> None:
    log_in(client, people.org_admin, people.organization)
    response = client.post(_claim_url(people), {"domain": "Acme.Example"}, follow=True)
    domain = Domain.objects.get(organization=people.organization)
    content = response.content.decode()
    assert "acme.example is claimed. Add the TXT record or the file, then check." in content
    assert "_portal-verification.acme.example" in content and domain.verification_token in content
    assert "https://acme.example/.well-known/portal-domain-verification.txt" in content
    assert 'aria-label="Copy the host for acme.example"' in content
    assert 'aria-label="Copy the file address for acme.example"' in content


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("not a domain", "Enter an email domain such as example.com"),
        ("gmail.com", "gmail.com is a public email service"),
        ("globex.example", "globex.example is already verified by another organization."),
    ],
)
def test_a_refused_claim_shows_the_reason_on_the_field(
    client: Client, people: People, typed: str, words: str
) -> None:
    _verified(people, "globex.example")
    log_in(client, people.org_admin, people.organization)
    response = client.post(_claim_url(people), {"domain": typed})
    content = response.content.decode()
    assert response.status_code == 400 and "There is a problem" in content and words in content
    assert "Error: Domains" in content
    assert not Domain.objects.filter(organization=people.organization).exists()


def test_a_subdomain_claim_says_it_waits_for_staff(client: Client, people: People) -> None:
    _verified(people, "globex.example")
    log_in(client, people.org_admin, people.organization)
    content = client.post(_claim_url(people), {"domain": "a.globex.example"}, follow=True)
    text = content.content.decode()
    assert "staff must approve the claim before you can verify it" in text
    assert "Awaiting staff approval" in text and "Check now" not in text
    assert "/approve/" not in text  # the customer admin cannot approve their own claim


def test_staff_approve_from_the_queue_and_from_the_tab(client: Client, people: People) -> None:
    _verified(people, "globex.example")
    first = domain_claim(actor=None, organization=people.organization, text="a.globex.example")
    second = domain_claim(actor=None, organization=people.organization, text="b.globex.example")
    log_in(client, people.staff)
    queue = client.get("/orgs/domain-approvals/").content.decode()
    assert "a.globex.example" in queue and "b.globex.example" in queue
    org = people.organization.pk
    response = client.post(f"/orgs/{org}/domains/{first.pk}/approve/", {"back": "queue"})
    assert response["Location"] == "/orgs/domain-approvals/"
    tab = client.get(f"/orgs/{org}/domains/").content.decode()
    assert f"/orgs/{org}/domains/{second.pk}/approve/" in tab
    response = client.post(f"/orgs/{org}/domains/{second.pk}/approve/")
    assert response["Location"] == f"/orgs/{org}/domains/"
    statuses = set(Domain.objects.filter(organization=org).values_list("status", flat=True))
    assert statuses == {DomainStatus.PENDING}
    assert "No claims are waiting." in client.get("/orgs/domain-approvals/").content.decode()


def test_staff_refuse_after_a_confirmation(client: Client, people: People) -> None:
    _verified(people, "globex.example")
    domain = domain_claim(actor=None, organization=people.organization, text="a.globex.example")
    log_in(client, people.staff)
    url = f"/orgs/{people.organization.pk}/domains/{domain.pk}/refuse/"
    page = client.get(url).content.decode()
    assert "Refuse the claim of a.globex.example" in page and Domain.objects.exists()
    assert client.post(url)["Location"] == "/orgs/domain-approvals/"
    assert not Domain.objects.filter(organization=people.organization).exists()
