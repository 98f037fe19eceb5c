"""Helpers for the "require single sign-on" tests (no tests here): an organization with a
password database of its own, in the sandbox, with an active, tested SSO connection."""

from __future__ import annotations

from typing import Any

from idp_selfservice import services
from idp_selfservice.models import SetupState, SsoSetup
from orgs.models import Application, Connection, MembershipModel, Organization
from orgs.services.organizations import organization_create
from tests.idp_selfservice.test_testing_support import okta_setup, passed_test
from tests.orgs.engine import drain


def own_database_org(name: str = "initech") -> Organization:
    """A new organization whose members live in a password database of its own."""
    organization = organization_create(
        actor=None,
        name=name,
        display_name=name.capitalize(),
        membership_model=MembershipModel.OWN_DATABASE,
    )
    drain()
    organization.refresh_from_db()
    return organization


def active_setup(organization: Organization) -> SsoSetup:
    setup = okta_setup(organization)
    passed_test(setup)
    setup = services.setup_activate(actor=None, setup=setup)
    drain()
    setup.refresh_from_db()
    assert setup.state == SetupState.ACTIVE
    return setup


def database_of(organization: Organization) -> Connection:
    return Connection.objects.get(organization=organization, strategy="auth0")


def clients_in_sandbox(tenant: Any, connection: Connection) -> set[str]:
    """The client ids Auth0 (the sandbox) enables the connection for."""
    return set(tenant.app.state.connection_by_name(connection.name).enabled_clients)


def portal_login() -> Application:
    return Application.objects.get(is_portal_login=True)


def organization_client_ids(organization: Organization) -> set[str]:
    return {a.client_id for a in services.organization_applications(organization)}
