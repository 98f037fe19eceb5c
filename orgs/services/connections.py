"""Connections: an organization's own database connection, enabling connections on
organizations with Auth0's flags, and which applications a connection serves."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import transaction

from orgs.models import (
    Application,
    Connection,
    ConnectionApplication,
    MembershipModel,
    Organization,
    OrganizationConnection,
)
from orgs.models.connections import Strategy
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.sync.outbox import awaited_create, record_operation
from portal.models import User

MAX_ENABLED_CONNECTIONS = 10


def shared_database_connection() -> Connection:
    connection = Connection.objects.filter(
        name=settings.AUTH0_SHARED_DB_CONNECTION, organization=None, deleted_at=None
    ).first()
    if connection is None:
        raise ServiceError(
            f"The shared database connection '{settings.AUTH0_SHARED_DB_CONNECTION}' is not "
            "known to the portal yet. Run the tenant import first."
        )
    return connection


def provision_membership_connection(*, actor: User | None, organization: Organization) -> None:
    """What the membership model needs: the shared database connection enabled, or a
    database connection of its own created and enabled; nothing for enterprise-only."""
    if organization.membership_model == MembershipModel.SHARED_DATABASE:
        organization_connection_enable(
            actor=actor, organization=organization, connection=shared_database_connection()
        )
    elif organization.membership_model == MembershipModel.OWN_DATABASE:
        connection = connection_create_database(actor=actor, organization=organization)
        organization_connection_enable(
            actor=actor, organization=organization, connection=connection
        )


def own_database_name(organization: Organization) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "-", organization.name).strip("-")
    return f"{name}-users"[:128]


@transaction.atomic
def connection_create_database(
    *, actor: User | None, organization: Organization, applications: list[Application] | None = None
) -> Connection:
    """A database connection owned by the organization, serving `applications` (by default
    every application that supports organizations) and always the portal's own login
    application, through which the organization's admins sign in to the portal."""
    name = own_database_name(organization)
    if Connection.objects.filter(name=name).exists():
        raise ServiceError(f"A connection named '{name}' already exists.")
    connection = Connection.objects.create(
        name=name,
        display_name=f"{organization.display_name} users",
        strategy=Strategy.DATABASE,
        organization=organization,
        options={"disable_signup": True, "brute_force_protection": True, "passwordPolicy": "good"},
    )
    record_operation(
        kind="connection.create",
        target=connection,
        organization=organization,
        depends_on=awaited_create(organization, "organization.create"),
        actor=actor,
    )
    if applications is None:
        applications = [
            app
            for app in Application.objects.exclude(organization_usage="").exclude(
                organization_usage="deny"
            )
            if not app.is_portal_login
        ]
    portal_login = Application.objects.filter(is_portal_login=True).first()
    if portal_login is not None and portal_login not in applications:
        applications = [*applications, portal_login]
    for application in applications:
        connection_enable_application(actor=actor, connection=connection, application=application)
    audit(actor=actor, action="connection.create", organization=organization, target=name)
    return connection


@transaction.atomic
def organization_connection_enable(
    *,
    actor: User | None,
    organization: Organization,
    connection: Connection,
    assign_membership_on_login: bool = False,
    show_as_button: bool = True,
    is_signup_enabled: bool = False,
) -> OrganizationConnection:
    if organization.organization_connections.count() >= MAX_ENABLED_CONNECTIONS:
        raise ServiceError(
            f"An organization can have at most {MAX_ENABLED_CONNECTIONS} enabled connections."
        )
    if connection.organization_id not in (None, organization.pk):
        raise ServiceError(f"{connection} belongs to another organization.")
    link, created = OrganizationConnection.objects.get_or_create(
        organization=organization,
        connection=connection,
        defaults={
            "assign_membership_on_login": assign_membership_on_login,
            "show_as_button": show_as_button,
            "is_signup_enabled": is_signup_enabled,
        },
    )
    if not created:
        raise ServiceError(f"{connection} is already enabled on {organization}.")
    _record_link_sync(link, actor, intent="enable")
    audit(
        actor=actor,
        action="organization_connection.enable",
        organization=organization,
        target=connection.name,
        flags=link.flags(),
    )
    return link


@transaction.atomic
def organization_connection_update(
    *, actor: User | None, link: OrganizationConnection, **flags: bool
) -> OrganizationConnection:
    allowed = {"assign_membership_on_login", "show_as_button", "is_signup_enabled"}
    if set(flags) - allowed:
        raise ServiceError("Unknown connection setting.")
    for flag, value in flags.items():
        setattr(link, flag, bool(value))
    link.save()
    _record_link_sync(link, actor, intent="update")
    audit(
        actor=actor,
        action="organization_connection.update",
        organization=link.organization,
        target=link.connection.name,
        flags=link.flags(),
    )
    return link


@transaction.atomic
def organization_connection_disable(*, actor: User | None, link: OrganizationConnection) -> None:
    organization, connection = link.organization, link.connection
    payload: dict[str, Any] = {
        "organization_id": organization.pk,
        "connection_id": connection.pk,
        "intent": "disable",  # what the timeline says (orgs.sync.describe)
    }
    link_id = link.pk
    link.delete()
    link.pk = link_id  # the operation's natural target (organization + connection) remains
    # Waits on nothing: a disable must never be held up by another change's failure; the
    # handler does nothing when the link never reached Auth0.
    record_operation(
        kind="organization_connection.sync",
        target=link,
        organization=organization,
        payload=payload,
        actor=actor,
    )
    audit(
        actor=actor,
        action="organization_connection.disable",
        organization=organization,
        target=connection.name,
    )


def _record_link_sync(link: OrganizationConnection, actor: User | None, *, intent: str) -> None:
    parent = awaited_create(link.connection, "connection.create") or awaited_create(
        link.organization, "organization.create"
    )
    record_operation(
        kind="organization_connection.sync",
        target=link,
        organization=link.organization,
        payload={
            "organization_id": link.organization_id,
            "connection_id": link.connection_id,
            "intent": intent,
        },
        depends_on=parent,
        actor=actor,
    )


@transaction.atomic
def connection_enable_application(
    *, actor: User | None, connection: Connection, application: Application
) -> ConnectionApplication:
    link, created = ConnectionApplication.objects.get_or_create(
        connection=connection, application=application
    )
    if not created:
        raise ServiceError(f"{connection} is already enabled for {application}.")
    _record_application_sync(actor, link, "connection.enable_application", intent="enable")
    return link


@transaction.atomic
def connection_disable_application(
    *, actor: User | None, connection: Connection, application: Application
) -> None:
    link = ConnectionApplication.objects.filter(
        connection=connection, application=application
    ).first()
    if link is None:
        raise ServiceError(f"{connection} is not enabled for {application}.")
    link_id = link.pk
    link.delete()
    link.pk = link_id  # the operation targets the row that was
    _record_application_sync(actor, link, "connection.disable_application", intent="disable")


def _record_application_sync(
    actor: User | None, link: ConnectionApplication, action: str, *, intent: str
) -> None:
    connection, application = link.connection, link.application
    record_operation(
        kind="connection_application.sync",
        target=link,
        organization=connection.organization,
        payload={
            "connection_id": connection.pk,
            "application_id": application.pk,
            "intent": intent,
        },
        depends_on=awaited_create(connection, "connection.create"),
        actor=actor,
    )
    audit(
        actor=actor,
        action=action,
        organization=connection.organization,
        target=f"{connection} / {application}",
    )
