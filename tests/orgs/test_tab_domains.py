"""The organization page's Domains tab: claimed domains, their verification in words and
the TXT record that proves ownership; read-only."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client

from orgs.models import Domain
from orgs.models.organizations import DomainStatus
from tests.conftest import People, log_in

pytestmark = pytest.mark.django_db

CHECKED = datetime.fromisoformat("2026-03-04T10:30:00+00:00")


def _url(people: People) -> str:
    return f"/orgs/{people.organization.pk}/domains/"


def _domain(people: People, name: str, **fields: object) -> Domain:
    return Domain.objects.create(
        organization=people.organization, domain=name, verification_token=f"tok-{name}", **fields
    )


def _row(content: str, domain: Domain) -> str:
    return content.split(f'id="domain-{domain.pk}"')[1].split("</tr>")[0]


def test_staff_see_each_domain_its_verification_in_words_and_its_txt_record(
    client: Client, people: People
) -> None:
    waiting = _domain(people, "acme.test")
    verified = _domain(people, "acme.example", status=DomainStatus.VERIFIED, verified_at=CHECKED)
    failed = _domain(people, "acme.org", status=DomainStatus.FAILED, last_checked_at=CHECKED)
    log_in(client, people.staff)
    content = client.get(_url(people)).content.decode()
    row = _row(content, waiting)
    assert "Pending verification" in row and "Waiting for the TXT record: not checked yet." in row
    assert '<code id="txt-host-' in row and "_portal-verification.acme.test" in row
    assert "tok-acme.test" in row and 'aria-label="Copy the value for acme.test"' in row
    assert "Verified on 4 Mar 2026, 10:30." in _row(content, verified)
    assert (
        "Not verified: the TXT record was not found when last checked on 4 Mar 2026, 10:30."
        in _row(content, failed)
    )


def test_a_pending_domain_checked_before_says_when(client: Client, people: People) -> None:
    domain = _domain(people, "acme.test", last_checked_at=CHECKED)
    log_in(client, people.staff)
    row = _row(client.get(_url(people)).content.decode(), domain)
    assert "not found yet when last checked on 4 Mar 2026, 10:30." in row


def test_no_domains_says_so(client: Client, people: People) -> None:
    Domain.objects.create(
        organization=people.other_organization, domain="globex.test", verification_token="t"
    )
    log_in(client, people.staff)
    content = client.get(_url(people)).content.decode()
    assert "No domains claimed yet." in content and "globex.test" not in content


def test_the_organizations_own_admin_sees_the_tab(client: Client, people: People) -> None:
    _domain(people, "acme.test")
    log_in(client, people.org_admin, people.organization)
    response = client.get(_url(people))
    assert response.status_code == 200 and b"_portal-verification.acme.test" in response.content


def test_another_organizations_admin_and_a_member_get_404(client: Client, people: People) -> None:
    log_in(client, people.outsider, people.other_organization)
    assert client.get(_url(people)).status_code == 404
    client.logout()
    log_in(client, people.org_member)
    assert client.get(_url(people)).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client: Client, people: People) -> None:
    response = client.get(_url(people))
    assert response.status_code == 302 and "/login/" in response["Location"]
