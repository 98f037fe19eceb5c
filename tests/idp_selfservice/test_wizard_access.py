"""Who may reach the wizard's pages (steps 1-4, the index, the task list): staff and the
organization's own admin. Another organization's admin, a plain member and an anonymous
visitor get a 404 or the sign-in page on every route, POSTs included, and a setup of
another organization is a 404 even under the right organization's pk."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import People, log_in
from tests.idp_selfservice._wizard import (
    ORG_ROUTES,
    SAML_SUMMARY,
    SETUP_ROUTES,
    make_setup,
    org_url,
    url,
    written,
)

pytestmark = pytest.mark.django_db


def _every_route(people: People) -> list[tuple[str, str]]:
    setup = make_setup(people.organization, idp_summary=SAML_SUMMARY)
    routes = [(m, url(n, setup)) for n, methods in SETUP_ROUTES.items() for m in methods]
    routes += [
        (m, org_url(n, people.organization)) for n, methods in ORG_ROUTES.items() for m in methods
    ]
    return routes


def _call(client: Client, method: str, path: str) -> int:
    data = {"provider": "okta", "method": "url", "metadata_url": "https://idp.example/m"}
    response = client.post(path, data) if method == "POST" else client.get(path)
    return response.status_code


def test_anonymous_visitors_are_sent_to_sign_in_on_every_route(
    client: Client, people: People
) -> None:
    for method, path in _every_route(people):
        response = client.post(path) if method == "POST" else client.get(path)
        assert response.status_code == 302, (method, path)
        assert "/login/" in response["Location"], (method, path)


@pytest.mark.parametrize("who", ["outsider", "org_member"])
def test_another_admin_and_a_plain_member_get_404_on_every_route(
    client: Client, people: People, who: str
) -> None:
    if who == "outsider":
        log_in(client, people.outsider, people.other_organization)
    else:
        log_in(client, people.org_member)  # no organization pinned: not an admin
    routes = _every_route(people)
    before = written()
    for method, path in routes:
        assert _call(client, method, path) == 404, (who, method, path)
    assert written() == before


@pytest.mark.parametrize("who", ["staff", "org_admin"])
def test_a_setup_of_another_organization_is_404_under_the_right_pk(
    client: Client, people: People, who: str
) -> None:
    theirs = make_setup(people.other_organization, idp_summary=SAML_SUMMARY)
    log_in(client, getattr(people, who), None if who == "staff" else people.organization)
    for name, methods in SETUP_ROUTES.items():
        for method in methods:
            path = url(name, theirs, org_pk=people.organization.pk)
            assert _call(client, method, path) == 404, (who, method, path)


def test_the_other_organizations_own_admin_reaches_its_setup(
    client: Client, people: People
) -> None:
    theirs = make_setup(people.other_organization)
    log_in(client, people.outsider, people.other_organization)
    assert client.get(url("setup", theirs)).status_code == 200


def test_a_get_only_page_refuses_a_post_with_405_for_those_who_may_see_it(
    client: Client, people: People
) -> None:
    setup = make_setup(people.organization, idp_summary=SAML_SUMMARY)
    log_in(client, people.org_admin, people.organization)
    for name in ("setup", "create_app", "sp_metadata", "found"):
        assert client.post(url(name, setup)).status_code == 405, name
    assert client.post(org_url("index", people.organization)).status_code == 405
