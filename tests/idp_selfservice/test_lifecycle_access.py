"""Who reaches the test sign-in and lifecycle pages: staff and the organization's own
customer admin. Another organization's admin, a plain member and anyone signed out get
a 404 on every route, by GET and by POST, and so does a setup of another organization
reached through one's own organization's URL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from idp_selfservice.models import SsoSetup, SsoTest
from tests.conftest import People, log_in

pytestmark = pytest.mark.django_db

ROUTES = (
    "test",
    "test_start",
    "activate",
    "disable",
    "enable",
    "delete",
    "edit",
    "swap",
    "discard",
)


def _setup(people: People, organization: object) -> SsoSetup:
    return SsoSetup.objects.create(
        organization=organization, provider="okta", connection_name=f"{organization}-okta"
    )


def _urls(org_pk: int, setup: SsoSetup) -> list[str]:
    test = SsoTest.objects.create(setup=setup)
    found = [reverse(f"idp_selfservice:{name}", args=[org_pk, setup.pk]) for name in ROUTES]
    found.append(reverse("idp_selfservice:test_result", args=[org_pk, setup.pk, test.pk]))
    return found


def _as_outsider(client: Client, people: People) -> None:
    log_in(client, people.outsider, people.other_organization)


def _as_member(client: Client, people: People) -> None:
    log_in(client, people.org_member)


def _anonymous(client: Client, people: People) -> None:
    pass


@pytest.mark.parametrize("who", [_as_outsider, _as_member, _anonymous])
def test_nobody_else_reaches_any_route(
    client: Client, people: People, who: Callable[[Client, People], None]
) -> None:
    setup = _setup(people, people.organization)
    who(client, people)
    for path in _urls(people.organization.pk, setup):
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"confirm": "acme"}).status_code == 404, path
    setup.refresh_from_db()
    assert setup.state == "draft"


def test_another_organizations_setup_is_not_found_through_ones_own(
    client: Client, people: People
) -> None:
    theirs = _setup(people, people.other_organization)
    log_in(client, people.org_admin, people.organization)
    for path in _urls(people.organization.pk, theirs):
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"confirm": "globex"}).status_code == 404, path


def test_the_organizations_own_admin_and_staff_reach_them(client: Client, people: People) -> None:
    setup = _setup(people, people.organization)
    test_page = reverse("idp_selfservice:test", args=[people.organization.pk, setup.pk])
    log_in(client, people.org_admin, people.organization)
    response = client.get(test_page)
    assert response.status_code == 200
    assert "Tell us about your identity provider first" in response.content.decode()
    staff = Client()
    log_in(staff, people.staff)
    assert staff.get(test_page).status_code == 200
