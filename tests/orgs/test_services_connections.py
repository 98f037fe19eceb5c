"""Connection services: an organization's own database connection, connections enabled on
organizations (with Auth0's flags), and the applications a connection serves."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.models import (
    Application,
    Connection,
    ConnectionApplication,
    MembershipModel,
    Organization,
    OrganizationConnection,
)
from orgs.services.connections import (
    connection_create_database,
    connection_disable_application,
    connection_enable_application,
    organization_connection_disable,
    organization_connection_enable,
    organization_connection_update,
)
from orgs.services.organizations import organization_create
from tests.factories import ConnectionFactory
from tests.orgs.engine import sent_ops
from tests.orgs.services import (
    assert_in_sync,
    audited,
    demo_app,
    operations,
    refused,
    remote_connection,
    remote_org,
    settle,
    shared_connection,
    staff_user,
)

pytestmark = pytest.mark.django_db


def _org(name: str = "acme") -> Organization:
    return Organization.objects.get(name=name)


def _acme_link() -> OrganizationConnection:
    return OrganizationConnection.objects.get(organization=_org(), connection=shared_connection())


def test_an_own_database_organization_gets_its_own_connection(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        org = organization_create(
            actor=staff_user(),
            name="initech",
            display_name="Initech",
            membership_model=MembershipModel.OWN_DATABASE,
        )

    assert len(sent_ops(callbacks)) == 1
    connection = Connection.objects.get(organization=org)
    assert connection.name == "initech-users" and connection.is_database
    # every application that takes organizations, and the portal's own login (through
    # which the organization's admins sign in to the portal)
    served = {link.application.client_id for link in connection.application_links.all()}
    assert served == {"sandbox-demo-app", "sandbox-portal-login"}
    assert operations() == [
        ("organization.create", None),
        ("connection.create", "organization.create"),
        ("connection_application.sync", "connection.create"),
        ("connection_application.sync", "connection.create"),
        ("organization_connection.sync", "connection.create"),
    ]
    assert audited() == [
        "connection.enable_application",
        "connection.enable_application",
        "connection.create",
        "organization_connection.enable",
        "organization.create",
    ]

    state = settle(imported_tenant)

    remote = remote_connection(state, "initech-users")
    assert remote is not None and remote["strategy"] == "auth0"
    assert remote["metadata"] == {"portal_id": str(connection.portal_id)}
    assert remote["options"]["disable_signup"] is True
    assert sorted(remote["enabled_clients"]) == ["sandbox-demo-app", "sandbox-portal-login"]
    remote_initech = remote_org(state, "initech")
    assert remote_initech is not None and list(remote_initech["connections"]) == [remote["id"]]
    assert_in_sync(
        org, connection, *connection.application_links.all(), org.organization_connections.get()
    )


def test_it_gives_an_existing_organization_its_own_database_with_flags(
    imported_tenant: Any,
) -> None:
    acme = _org()
    connection = connection_create_database(actor=None, organization=acme, applications=[])
    link = organization_connection_enable(
        actor=None,
        organization=acme,
        connection=connection,
        assign_membership_on_login=True,
        is_signup_enabled=True,
    )

    assert operations() == [
        ("connection.create", None),
        ("connection_application.sync", "connection.create"),  # the portal's login
        ("organization_connection.sync", "connection.create"),
    ]
    state = settle(imported_tenant)

    remote = remote_connection(state, "acme-users")
    assert remote is not None and remote["enabled_clients"] == ["sandbox-portal-login"]
    enabled = remote_org(state, "acme")["connections"]  # type: ignore[index]
    assert set(enabled) == {shared_connection().auth0_id, remote["id"]}
    assert enabled[remote["id"]]["assign_membership_on_login"] is True
    assert enabled[remote["id"]]["is_signup_enabled"] is True
    assert_in_sync(connection, link)


def test_it_refuses_a_second_database_connection_of_the_same_name(demo: None) -> None:
    connection_create_database(actor=None, organization=_org())
    with refused("A connection named 'acme-users' already exists."):
        connection_create_database(actor=None, organization=_org())


def test_it_refuses_a_connection_already_enabled(demo: None) -> None:
    with refused("Username-Password-Authentication is already enabled on Acme Corp."):
        organization_connection_enable(
            actor=None, organization=_org(), connection=shared_connection()
        )


def test_it_refuses_a_connection_owned_by_another_organization(demo: None) -> None:
    globex_db = connection_create_database(actor=None, organization=_org("globex"))
    with refused("globex-users belongs to another organization."):
        organization_connection_enable(actor=None, organization=_org(), connection=globex_db)


def test_it_refuses_an_eleventh_connection(demo: None) -> None:
    acme = _org()
    for n in range(9):  # acme already has the shared database connection
        connection = ConnectionFactory(name=f"saml-{n}", strategy="samlp")
        organization_connection_enable(actor=None, organization=acme, connection=connection)
    eleventh = ConnectionFactory(name="saml-10", strategy="samlp")

    with refused("An organization can have at most 10 enabled connections."):
        organization_connection_enable(actor=None, organization=acme, connection=eleventh)


def test_it_updates_the_flags_in_auth0(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        organization_connection_update(
            actor=staff_user(), link=_acme_link(), assign_membership_on_login=True
        )

    assert len(sent_ops(callbacks)) == 1
    assert operations() == [("organization_connection.sync", None)]
    assert audited() == ["organization_connection.update"]
    remote = remote_org(settle(imported_tenant), "acme")
    assert remote is not None
    flags = remote["connections"][shared_connection().auth0_id]
    assert flags["assign_membership_on_login"] is True and flags["is_signup_enabled"] is False
    assert_in_sync(_acme_link())


def test_it_refuses_an_unknown_flag(demo: None) -> None:
    with refused("Unknown connection setting."):
        organization_connection_update(actor=None, link=_acme_link(), show_on_homepage=True)


def test_it_disables_a_connection_on_an_organization(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        organization_connection_disable(actor=staff_user(), link=_acme_link())

    assert len(sent_ops(callbacks)) == 1
    assert not _org().organization_connections.exists()
    assert operations() == [("organization_connection.sync", None)]
    assert audited() == ["organization_connection.disable"]
    state = settle(imported_tenant)
    assert remote_org(state, "acme")["connections"] == {}  # type: ignore[index]
    assert remote_org(state, "globex")["connections"] != {}  # type: ignore[index]


def test_a_connection_disabled_before_the_org_exists_stays_disabled(imported_tenant: Any) -> None:
    org = organization_create(actor=None, name="initech", display_name="Initech")
    organization_connection_disable(actor=None, link=org.organization_connections.get())

    # The disable merges into the enable still queued: one operation, reading the wish
    # (no link) when it runs.
    assert operations()[-1] == ("organization_connection.sync", "organization.create")
    assert len(operations(kind="organization_connection.sync")) == 1
    remote = remote_org(settle(imported_tenant), "initech")
    assert remote is not None and remote["connections"] == {}


def test_it_disables_and_enables_an_application_on_a_connection(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    connection = connection_create_database(actor=None, organization=_org())
    settle(imported_tenant)
    ops_before = len(operations())

    with django_capture_on_commit_callbacks() as callbacks:
        connection_disable_application(
            actor=staff_user(), connection=connection, application=demo_app()
        )

    assert len(sent_ops(callbacks)) == 1
    assert not ConnectionApplication.objects.filter(
        connection=connection, application=demo_app()
    ).exists()
    assert operations()[ops_before:] == [("connection_application.sync", None)]
    assert audited()[-1] == "connection.disable_application"
    remote = remote_connection(settle(imported_tenant), "acme-users")
    assert remote is not None and remote["enabled_clients"] == ["sandbox-portal-login"]

    link = connection_enable_application(
        actor=staff_user(), connection=connection, application=demo_app()
    )

    remote = remote_connection(settle(imported_tenant), "acme-users")
    assert remote is not None
    assert sorted(remote["enabled_clients"]) == ["sandbox-demo-app", "sandbox-portal-login"]
    assert audited()[-1] == "connection.enable_application"
    assert_in_sync(link)


def test_it_refuses_to_enable_an_application_twice_or_disable_one_not_enabled(demo: None) -> None:
    portal = Application.objects.get(client_id="sandbox-portal-login")
    connection = connection_create_database(actor=None, organization=_org())
    with refused("acme-users is already enabled for Demo SaaS App."):
        connection_enable_application(actor=None, connection=connection, application=demo_app())
    connection_disable_application(actor=None, connection=connection, application=portal)
    with refused("acme-users is not enabled for Organization Admin Portal."):
        connection_disable_application(actor=None, connection=connection, application=portal)
