"""The staff applications page: each application's URLs as Auth0 (the sandbox) has them
now, which organization asked for each, what the portal has not sent yet or is taking
out, and the portal's records alone when Auth0 cannot be reached."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from orgs.models import Application, ApplicationURL, Organization, SyncState
from orgs.models.applications import UrlKind
from orgs.services.applications import application_url_add, application_url_remove
from tests.conftest import People, log_in
from tests.orgs.services import demo_app, settle, staff_user

pytestmark = pytest.mark.django_db

ACME_CALLBACK = "https://acme.example.com/callback"
GLOBEX_CALLBACK = "https://globex.example.com/callback"


def _page(client: Client) -> str:
    response = client.get("/orgs/applications/")
    assert response.status_code == 200
    return response.content.decode()


def _row(page: str, url: str) -> str:
    """The table row of `url` (the first one: the page lists each URL once per kind)."""
    return page.split(f"<code>{url}</code>")[1].split("</tr>")[0]


def _section(page: str, app: Application) -> str:
    return page.split(f'id="application-{app.pk}-title"')[1].split("</section>")[0]


# --- who may open it -----------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, people: People) -> None:
    response = client.get("/orgs/applications/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_customer_admin_gets_404(client: Client, people: People) -> None:
    log_in(client, people.org_admin, people.organization)
    assert client.get("/orgs/applications/").status_code == 404


def test_a_plain_member_gets_404(client: Client, people: People) -> None:
    log_in(client, people.org_member)
    assert client.get("/orgs/applications/").status_code == 404


def test_with_no_applications_it_says_how_to_import_them(client: Client, people: People) -> None:
    log_in(client, people.staff)
    assert "The portal knows no applications yet." in _page(client)


# --- against the sandbox tenant ----------------------------------------------------------


def _org(name: str) -> Organization:
    return Organization.objects.get(name=name)


def _add(org: str, url: str, kind: str = UrlKind.CALLBACK) -> ApplicationURL:
    return application_url_add(
        actor=None, organization=_org(org), application=demo_app(), kind=kind, url=url
    )


def test_staff_see_each_url_as_auth0_has_it_and_who_asked_for_it(
    client: Client, imported_tenant: Any
) -> None:
    _add("acme", ACME_CALLBACK)
    settle(imported_tenant)
    seeded = imported_tenant.state()["clients"]["sandbox-demo-app"]["callbacks"][0]
    log_in(client, staff_user())
    page = _page(client)
    section = _section(page, demo_app())
    assert "Callback URLs</h3>" in section and "Logout URLs</h3>" in section
    acme_row = _row(section, ACME_CALLBACK)
    assert f'href="/orgs/{_org("acme").pk}/urls/">Acme' in acme_row
    assert '<span class="badge badge-ok">In Auth0</span>' in acme_row
    assert "Not managed by the portal" in _row(section, seeded)
    assert "could not be reached" not in page
    assert f'<td data-label="URL"><code>{ACME_CALLBACK}</code></td>' in section
    for label in ("Asked for by", "State"):
        assert f'data-label="{label}"' in acme_row


def test_urls_not_in_auth0_yet_are_pending_and_removed_ones_removing(
    client: Client, imported_tenant: Any
) -> None:
    row = _add("acme", ACME_CALLBACK)
    settle(imported_tenant)
    application_url_remove(actor=None, row=row)  # Auth0 still has it: no worker ran
    _add("globex", GLOBEX_CALLBACK)
    log_in(client, staff_user())
    section = _section(_page(client), demo_app())
    assert "Removing" in _row(section, ACME_CALLBACK)
    globex_row = _row(section, GLOBEX_CALLBACK)
    assert "Pending: not in Auth0 yet" in globex_row and "Globex" in globex_row


def test_two_organizations_asking_for_one_url_are_both_named(
    client: Client, imported_tenant: Any
) -> None:
    shared = "https://shared.example.com/callback"
    _add("acme", shared)
    _add("globex", shared)
    settle(imported_tenant)
    log_in(client, staff_user())
    row = _row(_section(_page(client), demo_app()), shared)
    assert f"/orgs/{_org('acme').pk}/urls/" in row and f"/orgs/{_org('globex').pk}/urls/" in row


def test_it_reads_each_application_from_auth0_once(client: Client, imported_tenant: Any) -> None:
    log_in(client, staff_user())
    imported_tenant.control("DELETE", "/stats")
    _page(client)
    routes = imported_tenant.control("GET", "/stats")["routes"]
    reads = sum(
        sum(statuses.values())
        for route, statuses in routes.items()
        if route.startswith("GET") and "/clients/" in route
    )
    assert reads == Application.objects.count() > 1


def test_when_auth0_cannot_be_reached_it_says_so_and_shows_the_portals_records(
    client: Client, imported_tenant: Any
) -> None:
    _add("acme", ACME_CALLBACK)
    ApplicationURL.objects.update(sync_state=SyncState.IN_SYNC)
    imported_tenant.add_fault(action="drop", method="GET", path="^/api/v2/clients/")
    log_in(client, staff_user())
    page = _page(client)
    section = _section(page, demo_app())
    assert "Auth0 could not be reached" in section
    assert "In the portal’s records" in _row(section, ACME_CALLBACK)
    assert "Not managed by the portal" not in section  # nothing read, nothing claimed


def test_an_application_gone_from_auth0_says_so(client: Client, imported_tenant: Any) -> None:
    Application.objects.create(client_id="no-such-client", name="Aardvark app")
    log_in(client, staff_user())
    page = _page(client)
    gone = _section(page, Application.objects.get(client_id="no-such-client"))
    assert "Auth0 has no application with this client id any more." in gone
    assert "could not be" not in _section(page, demo_app())


def test_after_auth0_could_not_be_reached_once_the_page_stops_asking(
    client: Client, imported_tenant: Any
) -> None:
    fault = imported_tenant.add_fault(action="drop", method="GET", path="^/api/v2/clients/")
    log_in(client, staff_user())
    page = _page(client)
    assert Application.objects.count() > 1
    for app in Application.objects.all():
        assert "Auth0 could not be reached" in _section(page, app)
    faults = imported_tenant.control("GET", "/faults")["faults"]
    assert next(f for f in faults if f["id"] == fault["id"])["matched"] == 1
