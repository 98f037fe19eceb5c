"""Who may use each route of the Domains tab: anonymous visitors are sent to log in; an
outsider, a member, another organization's admin get 404; this organization's admin and
staff may; approving and refusing claims (and their queue) are staff's alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from orgs.models import Domain
from orgs.models.organizations import DomainStatus
from tests.conftest import People, log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Route = tuple[str, str, dict[str, str]]  # method, URL, data


def _claim(
    people: People, status: str = DomainStatus.PENDING, name: str = "acme.example"
) -> Domain:
    return Domain.objects.create(
        organization=people.organization, domain=name, verification_token="t", status=status
    )


def _customer_routes(people: People, domain: Domain) -> list[Route]:
    base = f"/orgs/{people.organization.pk}/domains/"
    return [
        ("get", base, {}),
        ("post", f"{base}claim/", {"domain": "new.example"}),
        ("post", f"{base}{domain.pk}/check/", {"proof": "carrier-pigeon"}),
        ("get", f"{base}{domain.pk}/remove/", {}),
        ("post", f"{base}{domain.pk}/remove/", {}),
    ]


def _staff_routes(people: People, domain: Domain) -> list[Route]:
    base = f"/orgs/{people.organization.pk}/domains/"
    return [
        ("post", f"{base}{domain.pk}/approve/", {}),
        ("get", f"{base}{domain.pk}/refuse/", {}),
        ("post", f"{base}{domain.pk}/refuse/", {}),
        ("get", "/orgs/domain-approvals/", {}),
    ]


def _call(client: Client, route: Route) -> int:
    method, url, data = route
    call: Callable[..., object] = getattr(client, method)
    return call(url, data).status_code  # type: ignore[attr-defined,no-any-return]


def _logins(people: People) -> dict[str, Callable[[Client], object]]:
    return {
        "outsider": lambda c: log_in(c, UserFactory(sub="auth0|nobody", email="no@x.test")),
        "member": lambda c: log_in(c, people.org_member),
        "other admin": lambda c: log_in(c, people.outsider, people.other_organization),
    }


def test_anonymous_visitors_are_sent_to_log_in(client: Client, people: People) -> None:
    domain = _claim(people, DomainStatus.AWAITING_APPROVAL)
    for route in [*_customer_routes(people, domain), *_staff_routes(people, domain)]:
        response = getattr(client, route[0])(route[1], route[2])
        assert response.status_code == 302 and "/login/" in response["Location"], route
    assert Domain.objects.count() == 1


@pytest.mark.parametrize("who", ["outsider", "member", "other admin"])
def test_everyone_else_gets_404_everywhere(client: Client, people: People, who: str) -> None:
    domain = _claim(people, DomainStatus.AWAITING_APPROVAL)
    _logins(people)[who](client)
    for route in [*_customer_routes(people, domain), *_staff_routes(people, domain)]:
        assert _call(client, route) == 404, (who, route)
    assert list(Domain.objects.values_list("domain", "status")) == [
        ("acme.example", DomainStatus.AWAITING_APPROVAL)
    ]


def test_this_organizations_admin_uses_the_tab_but_not_the_staff_routes(
    client: Client, people: People
) -> None:
    domain = _claim(people, DomainStatus.AWAITING_APPROVAL)
    log_in(client, people.org_admin, people.organization)
    for route in _staff_routes(people, domain):
        assert _call(client, route) == 404, route
    statuses = [_call(client, route) for route in _customer_routes(people, domain)]
    assert statuses == [200, 302, 302, 200, 302]
    assert list(Domain.objects.values_list("domain", flat=True)) == ["new.example"]


def test_staff_use_every_route(client: Client, people: People) -> None:
    domain = _claim(people, DomainStatus.AWAITING_APPROVAL)
    log_in(client, people.staff)
    assert [_call(client, route) for route in _staff_routes(people, domain)] == [302, 200, 302, 200]
    domain.refresh_from_db()
    assert domain.status == DomainStatus.PENDING  # approved (then refusing had nothing to do)
    refused = _claim(people, DomainStatus.AWAITING_APPROVAL, "b.acme.example")
    assert _call(client, _staff_routes(people, refused)[2]) == 302
    assert not Domain.objects.filter(pk=refused.pk).exists()
    assert [_call(client, route) for route in _customer_routes(people, domain)] == [
        200,
        302,
        302,
        200,
        302,
    ]


def test_another_organizations_domain_is_not_reachable_through_this_one(
    client: Client, people: People
) -> None:
    theirs = Domain.objects.create(
        organization=people.other_organization, domain="globex.example", verification_token="t"
    )
    log_in(client, people.org_admin, people.organization)
    base = f"/orgs/{people.organization.pk}/domains/{theirs.pk}"
    assert client.post(f"{base}/check/", {"proof": "dns"}).status_code == 404
    assert client.get(f"{base}/remove/").status_code == 404
    assert client.post(f"{base}/remove/").status_code == 404
    assert Domain.objects.filter(pk=theirs.pk).exists()
