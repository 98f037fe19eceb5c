"""The "Require single sign-on" card and its confirmation pages: who reaches them (staff
and the organization's own customer admin; the break-glass switch staff only, everyone
else a 404 on every route and method), and a customer admin and staff going through
them against the real sandbox."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from idp_selfservice import enforcement
from idp_selfservice.models import SsoPolicy
from orgs.models import Organization, Role
from portal.models import User
from tests.conftest import People, log_in
from tests.factories import MemberFactory, UserFactory
from tests.idp_selfservice.test_enforcement_support import (
    active_setup,
    clients_in_sandbox,
    database_of,
    organization_client_ids,
    own_database_org,
    portal_login,
)
from tests.orgs.engine import drain

pytestmark = pytest.mark.django_db

ROUTES = ("require_sso", "allow_passwords", "break_glass")


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _url(name: str, org: Organization, query: str = "") -> str:
    path = reverse(f"idp_selfservice:{name}", args=[org.pk])
    return path + ("?turn=off" if name == "break_glass" and not query else query)


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
    who(client, people)
    for name in ROUTES:
        path = _url(name, people.organization)
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"turn": "off"}).status_code == 404, path
    assert not SsoPolicy.objects.exists()


def test_a_customer_admin_cannot_touch_the_break_glass(client: Client, people: People) -> None:
    log_in(client, people.org_admin, people.organization)
    for turn in ("off", "on"):
        path = _url("break_glass", people.organization, f"?turn={turn}")
        assert client.get(path).status_code == 404
        assert client.post(path, {"turn": turn}).status_code == 404
    assert not SsoPolicy.objects.exists()
    for name in ("require_sso", "allow_passwords"):  # theirs: refused in words, not hidden
        assert client.get(_url(name, people.organization)).status_code == 302


def test_staff_reach_every_route(client: Client, people: People) -> None:
    log_in(client, people.staff)
    for name in ROUTES:
        assert client.get(_url(name, people.organization)).status_code == 302  # nothing to do
    assert client.get(_url("break_glass", people.organization, "?turn=sideways")).status_code == 404


def _org_admin(org: Organization) -> User:
    admin = UserFactory(sub=f"auth0|{org.name}-admin", email=f"admin@{org.name}.test")
    member = MemberFactory(organization=org, user_id=admin.sub, email=admin.email)
    member.roles.add(Role.objects.get(name="org-admin"))
    return admin


def test_a_customer_admin_requires_sso_and_allows_passwords_again(
    client: Client, imported_tenant: Any
) -> None:
    org = own_database_org()
    setup = active_setup(org)
    log_in(client, _org_admin(org), org)
    index = reverse("idp_selfservice:index", args=[org.pk])
    page = _text(client.get(index))
    assert "Require single sign-on" in page and "What requiring it does" in page
    assert "controlled by our staff" in page and "does not end anyone's session" in page
    assert _url("require_sso", org) in page
    assert "emergency sign-in off" not in page  # staff only

    confirm = _text(client.get(_url("require_sso", org)))
    assert "Require single sign-on for Initech?" in confirm
    assert "can no longer sign in with a password" in confirm and "stay signed in" in confirm
    response = client.post(_url("require_sso", org))
    assert response.status_code == 302 and response["Location"] == index
    drain()
    enabled = clients_in_sandbox(imported_tenant, database_of(org))
    assert not organization_client_ids(org) & enabled and portal_login().client_id in enabled
    page = _text(client.get(index))
    assert "Required" in page and _url("allow_passwords", org) in page

    refused = _text(
        client.get(reverse("idp_selfservice:disable", args=[org.pk, setup.pk]), follow=True)
    )
    assert "Allow passwords again first" in refused

    assert "Allow passwords again for Initech?" in _text(client.get(_url("allow_passwords", org)))
    client.post(_url("allow_passwords", org))
    drain()
    assert organization_client_ids(org) <= clients_in_sandbox(imported_tenant, database_of(org))
    assert not enforcement.is_required(org)


def test_staff_turn_the_emergency_sign_in_off(client: Client, imported_tenant: Any) -> None:
    org = own_database_org()
    active_setup(org)
    enforcement.require_sso(actor=None, organization=org)
    drain()
    log_in(client, UserFactory(sub="auth0|staff-1", email="s@portal.test", is_staff=True))
    page = _text(client.get(reverse("idp_selfservice:index", args=[org.pk])))
    assert "Turn the emergency sign-in off" in page
    confirm = _text(client.get(_url("break_glass", org, "?turn=off")))
    assert "Turn the emergency sign-in off for Initech?" in confirm
    assert 'name="turn" value="off"' in confirm and "This applies now" in confirm
    assert client.post(_url("break_glass", org), {"turn": "off"}).status_code == 302
    drain()
    assert portal_login().client_id not in clients_in_sandbox(imported_tenant, database_of(org))
    page = _text(client.get(reverse("idp_selfservice:index", args=[org.pk])))
    assert "Off: our staff turned it off" in page and "Turn the emergency sign-in on" in page


def test_the_card_says_why_there_is_no_button(client: Client, imported_tenant: Any) -> None:
    log_in(client, UserFactory(sub="auth0|staff-1", email="s@portal.test", is_staff=True))
    acme = Organization.objects.get(name="acme")
    page = _text(client.get(reverse("idp_selfservice:index", args=[acme.pk])))
    assert enforcement.SHARED_DATABASE in page
    assert _url("require_sso", acme) not in page
    follow = _text(client.get(_url("require_sso", acme), follow=True))
    assert enforcement.SHARED_DATABASE in follow

    org = own_database_org()
    page = _text(client.get(reverse("idp_selfservice:index", args=[org.pk])))
    assert enforcement.NO_TESTED_SSO in page and _url("require_sso", org) not in page
