"""Who reaches the directory provisioning (SCIM) pages: staff and the organization's own
customer admin. Anyone signed out, an outsider (another organization's admin) and a plain
member get a 404 on every route by GET and POST, and so does a setup of another
organization reached through one's own organization's URL. Nothing is changed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from idp_selfservice.models import SsoSetup
from orgs.models import AuditEvent, SyncOperation
from tests.conftest import People, log_in
from tests.idp_selfservice._wizard import make_setup

pytestmark = pytest.mark.django_db

ROUTES = ("scim", "scim_enable", "scim_disable", "scim_token_new")


def _urls(org_pk: int, setup: SsoSetup) -> list[str]:
    found = [reverse(f"idp_selfservice:{name}", args=[org_pk, setup.pk]) for name in ROUTES]
    found.append(reverse("idp_selfservice:scim_token_revoke", args=[org_pk, setup.pk, "tok_1"]))
    return found


def _anonymous(client: Client, people: People) -> None:
    pass


def _as_outsider(client: Client, people: People) -> None:
    log_in(client, people.outsider, people.other_organization)


def _as_member(client: Client, people: People) -> None:
    log_in(client, people.org_member)


@pytest.mark.parametrize("who", [_anonymous, _as_outsider, _as_member])
def test_nobody_else_reaches_any_route(
    client: Client, people: People, who: Callable[[Client, People], None]
) -> None:
    setup = make_setup(people.organization)
    who(client, people)
    for path in _urls(people.organization.pk, setup):
        assert client.get(path).status_code == 404, path
        posted = client.post(path, {"scopes": ["get:users"], "lifetime_days": "30"})
        assert posted.status_code == 404, path
    assert not SyncOperation.objects.exists() and not AuditEvent.objects.exists()


def test_another_organizations_setup_is_not_found_through_ones_own(
    client: Client, people: People
) -> None:
    theirs = make_setup(people.other_organization)
    log_in(client, people.org_admin, people.organization)
    for path in _urls(people.organization.pk, theirs):
        assert client.get(path).status_code == 404, path
        assert client.post(path).status_code == 404, path


@pytest.mark.parametrize("staff", [False, True])
def test_the_organizations_admin_and_staff_reach_it(
    client: Client, people: People, staff: bool
) -> None:
    setup = make_setup(people.organization)
    if staff:
        log_in(client, people.staff)
    else:
        log_in(client, people.org_admin, people.organization)
    page = client.get(reverse("idp_selfservice:scim", args=[people.organization.pk, setup.pk]))
    assert page.status_code == 200
    assert "available once single sign-on is turned on" in page.content.decode()
    # Not on yet: turning SCIM on is refused in words, and nothing is recorded.
    enable = reverse("idp_selfservice:scim_enable", args=[people.organization.pk, setup.pk])
    refused = client.post(enable, follow=True)
    assert "available once single sign-on is turned on" in refused.content.decode()
    assert not SyncOperation.objects.exists()
