"""Steps 6 and 7 against the real sandbox: turn a tested setup on (and only then), turn
it off and on, delete it behind the typed short name, refuse to remove the last way in,
and change it later through a draft copy that is tested and swapped in."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from idp_selfservice import services
from idp_selfservice.models import SetupState, SsoSetup
from orgs.models import Domain, OrganizationConnection
from orgs.models.organizations import DomainStatus
from tests.idp_selfservice.test_testing_support import (
    acme,
    details_from,
    okta_setup,
    passed_test,
    run_test,
    signed_in_admin,
    url,
)
from tests.orgs.engine import drain

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _sandbox_connection(tenant: Any, name: str) -> Any:
    return tenant.app.state.connection_by_name(name)


def _sandbox_org(tenant: Any) -> Any:
    return tenant.app.state.organizations[acme().auth0_id]


def _active_setup(client: Client, tenant: Any) -> SsoSetup:
    setup = okta_setup(acme())
    passed_test(setup)
    response = client.post(url("activate", setup), {"show_as_button": "on"})
    assert response.status_code == 302, _text(response)[:500]
    drain()
    setup.refresh_from_db()
    assert setup.state == SetupState.ACTIVE
    return setup


def test_turning_on_is_refused_until_a_test_passed(client: Client, imported_tenant: Any) -> None:
    signed_in_admin(client, imported_tenant)
    setup = okta_setup(acme())
    page = _text(client.get(url("activate", setup)))
    assert "Run a test sign-in that passes before turning this on" in page
    assert 'name="show_as_button"' not in page
    refused = client.post(url("activate", setup), {"show_as_button": "on"}, follow=True)
    assert "Run a test sign-in that passes" in _text(refused)
    setup.refresh_from_db()
    assert setup.state == SetupState.DRAFT


def test_turning_on_after_a_pass_sets_everything_in_auth0(
    client: Client, imported_tenant: Any
) -> None:
    signed_in_admin(client, imported_tenant)
    organization = acme()
    Domain.objects.create(
        organization=organization,
        domain="acme.test",
        verification_token="t",
        status=DomainStatus.VERIFIED,
    )
    setup = okta_setup(organization)
    test, _, _ = run_test(client, imported_tenant, setup)  # a real pass, through the IdP
    assert test.outcome == "passed"
    applications = list(services.organization_applications(organization))
    assert applications
    page = _text(client.get(url("activate", setup)))
    assert "What will happen" in page and "acme.test" in page
    assert all(app.name in page for app in applications)
    landing = applications[0]
    response = client.post(
        url("activate", setup),
        {
            "assign_membership_on_login": "on",
            "idp_initiated": "on",
            "idp_initiated_client_id": landing.client_id,
        },
    )
    assert response.status_code == 302 and response["Location"] == url("setup", setup)
    drain()
    conn = _sandbox_connection(imported_tenant, setup.connection_name)
    assert {app.client_id for app in applications} <= set(conn.enabled_clients)
    link = _sandbox_org(imported_tenant).connections[conn.id]
    assert link.show_as_button is False and link.assign_membership_on_login is True
    assert conn.options["idpinitiated"]["enabled"] is True
    assert conn.options["idpinitiated"]["client_id"] == landing.client_id
    assert conn.options["domain_aliases"] == ["acme.test"]


def test_idp_initiated_sign_in_needs_an_application(client: Client, imported_tenant: Any) -> None:
    signed_in_admin(client, imported_tenant)
    setup = okta_setup(acme())
    passed_test(setup)
    response = client.post(url("activate", setup), {"idp_initiated": "on"})
    assert response.status_code == 200
    assert "Choose the application people land in" in _text(response)
    setup.refresh_from_db()
    assert setup.state == SetupState.TESTED


def test_turning_off_and_on_again(client: Client, imported_tenant: Any) -> None:
    signed_in_admin(client, imported_tenant)
    setup = _active_setup(client, imported_tenant)
    page = _text(client.get(url("disable", setup)))
    assert f"Turn off {setup.connection_name}?" in page
    assert "No member of your organization has signed in through it yet." in page
    assert "People can still sign in with:" in page
    response = client.post(url("disable", setup))
    assert response.status_code == 302 and response["Location"] == url("setup", setup)
    drain()
    setup.refresh_from_db()
    assert setup.state == SetupState.DISABLED
    conn = _sandbox_connection(imported_tenant, setup.connection_name)
    assert conn.id not in _sandbox_org(imported_tenant).connections
    assert "Turn it on" in _text(client.get(url("enable", setup)))
    client.post(url("enable", setup))
    drain()
    setup.refresh_from_db()
    assert setup.state == SetupState.ACTIVE
    assert conn.id in _sandbox_org(imported_tenant).connections


def test_deleting_asks_for_the_short_name(client: Client, imported_tenant: Any) -> None:
    signed_in_admin(client, imported_tenant)
    setup = _active_setup(client, imported_tenant)
    page = _text(client.get(url("delete", setup)))
    assert "Auth0 deletes the connection and every user who signed in through it" in page
    assert "Type <code>acme</code> to confirm" in page
    wrong = client.post(url("delete", setup), {"confirm": "acme-corp"})
    assert wrong.status_code == 200 and "Type acme exactly to confirm." in _text(wrong)
    setup.refresh_from_db()
    assert setup.state == SetupState.ACTIVE
    response = client.post(url("delete", setup), {"confirm": "acme"})
    assert response["Location"] == reverse("idp_selfservice:index", args=[setup.organization_id])
    drain()
    setup.refresh_from_db()
    assert setup.state == SetupState.DELETED
    assert _sandbox_connection(imported_tenant, setup.connection_name) is None


def test_the_last_way_in_cannot_be_removed(client: Client, imported_tenant: Any) -> None:
    signed_in_admin(client, imported_tenant)
    setup = _active_setup(client, imported_tenant)
    OrganizationConnection.objects.filter(organization=acme()).exclude(
        connection=setup.connection
    ).delete()
    refusal = "This is the only way people of this organization sign in."
    for action in ("disable", "delete"):
        shown = client.get(url(action, setup), follow=True)
        assert shown.status_code == 200 and refusal in _text(shown)
    posted = client.post(url("disable", setup), follow=True)
    assert posted.status_code == 200 and refusal in _text(posted)
    deleted = client.post(url("delete", setup), {"confirm": "acme"}, follow=True)
    assert deleted.status_code == 200 and refusal in _text(deleted)
    setup.refresh_from_db()
    assert setup.state == SetupState.ACTIVE


def test_a_draft_copy_is_tested_then_swapped_in(client: Client, imported_tenant: Any) -> None:
    signed_in_admin(client, imported_tenant)
    live = _active_setup(client, imported_tenant)
    response = client.post(url("edit", live))
    copy = SsoSetup.objects.get(replaces=live)
    assert response["Location"] == url("setup", copy)
    new_details = details_from("jumpcloud.xml")
    copy = services.setup_save_idp(actor=None, setup=copy, details=new_details)
    drain()
    refused = client.get(url("swap", copy))  # not tested yet
    assert refused.status_code == 302 and refused["Location"] == url("test", copy)
    test, result, _ = run_test(client, imported_tenant, copy)
    assert test.outcome == "passed", test.reason
    assert "Continue: swap it in" in _text(client.get(result["Location"]))
    page = _text(client.get(url("swap", copy)))
    assert "Signing certificate" in page and "Sign-in URL" in page
    assert "The draft's own connection is deleted afterwards." in page
    response = client.post(url("swap", copy))
    assert response["Location"] == url("setup", live)
    drain()
    conn = _sandbox_connection(imported_tenant, live.connection_name)
    assert conn.options["signingCert"] == new_details.options["signingCert"]
    assert conn.options["signInEndpoint"] == new_details.options["signInEndpoint"]
    assert _sandbox_connection(imported_tenant, copy.connection_name) is None
    copy.refresh_from_db()
    live.refresh_from_db()
    assert copy.state == SetupState.SWAPPED and live.state == SetupState.ACTIVE


def test_a_draft_copy_can_be_discarded(client: Client, imported_tenant: Any) -> None:
    signed_in_admin(client, imported_tenant)
    live = _active_setup(client, imported_tenant)
    client.post(url("edit", live))
    copy = SsoSetup.objects.get(replaces=live)
    drain()
    assert "Discard the draft" in _text(client.get(url("discard", copy)))
    response = client.post(url("discard", copy))
    assert response["Location"] == url("setup", live)
    drain()
    copy.refresh_from_db()
    assert copy.state == SetupState.DELETED
    assert _sandbox_connection(imported_tenant, copy.connection_name) is None
    assert _sandbox_connection(imported_tenant, live.connection_name) is not None
