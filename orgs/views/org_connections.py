"""The organization's connections tab: the connections enabled on it with Auth0's flags,
enabling, changing and disabling them, and the applications each connection serves
(changeable here only for a connection the organization owns: a shared connection's
applications are the whole tenant's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from orgs.forms.tabs import (
    FLAG_NAMES,
    ConnectionApplicationForm,
    ConnectionEnableForm,
    ConnectionSettingsForm,
)
from orgs.models import (
    Application,
    Connection,
    ConnectionApplication,
    Organization,
    OrganizationConnection,
)
from orgs.services import ServiceError
from orgs.services.connections import (
    connection_disable_application,
    connection_enable_application,
    organization_connection_disable,
    organization_connection_enable,
    organization_connection_update,
)
from orgs.views.access import get_organization_for
from orgs.views.outcome import report
from orgs.views.tabs import render_tab
from portal.confirm import Confirmation, render_confirmation
from portal.models import User

TAB = "orgs:connections"
ENABLE_PREFIX = "enable"


@dataclass
class ConnectionRow:
    """One enabled connection as the tab shows it."""

    link: OrganizationConnection
    settings_form: ConnectionSettingsForm
    served: list[ConnectionApplication] = field(default_factory=list)
    # Only for a connection this organization owns; None means read-only.
    add_application_form: ConnectionApplicationForm | None = None

    @property
    def connection(self) -> Connection:
        return self.link.connection

    @property
    def owned(self) -> bool:
        return self.add_application_form is not None


def settings_prefix(connection: Connection) -> str:
    return f"settings-{connection.pk}"


def application_prefix(connection: Connection) -> str:
    return f"applications-{connection.pk}"


@login_required
def organization_connections(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    return _render(request, org)


def _render(
    request: HttpRequest, org: Organization, bound: forms.Form | None = None
) -> HttpResponse:
    """The tab; `bound` (a form that failed) takes the place of the blank form with its
    prefix, so its errors show where the person typed."""
    links = list(
        org.organization_connections.select_related("connection").order_by("connection__name")
    )
    served = _served_applications([link.connection for link in links])
    rows = []
    for link in links:
        connection = link.connection
        initial = {name: getattr(link, name) for name in FLAG_NAMES}
        settings = ConnectionSettingsForm(
            connection=connection, initial=initial, prefix=settings_prefix(connection)
        )
        add_form = None
        if connection.organization_id == org.pk:
            add_form = ConnectionApplicationForm(
                connection=connection, prefix=application_prefix(connection)
            )
        rows.append(ConnectionRow(link, settings, served.get(connection.pk, []), add_form))
    enable_form = ConnectionEnableForm(organization=org, prefix=ENABLE_PREFIX)
    if bound is not None:
        enable_form = _swap_in(bound, rows, enable_form)
    context = {"connection_rows": rows, "enable_form": enable_form, "has_errors": bound is not None}
    return render_tab(request, org, TAB, "orgs/detail/connections.html", context)


def _served_applications(connections: list[Connection]) -> dict[int, list[ConnectionApplication]]:
    served: dict[int, list[ConnectionApplication]] = {}
    rows = ConnectionApplication.objects.filter(connection__in=connections).select_related(
        "application"
    )
    for row in rows.order_by("application__name"):
        served.setdefault(row.connection_id, []).append(row)
    return served


def _swap_in(
    bound: forms.Form, rows: list[ConnectionRow], enable_form: ConnectionEnableForm
) -> ConnectionEnableForm:
    for row in rows:
        if isinstance(bound, ConnectionSettingsForm) and bound.prefix == row.settings_form.prefix:
            row.settings_form = bound
        if (
            isinstance(bound, ConnectionApplicationForm)
            and row.owned
            and (bound.prefix == application_prefix(row.connection))
        ):
            row.add_application_form = bound
    return bound if isinstance(bound, ConnectionEnableForm) else enable_form


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _tab_url(org: Organization) -> str:
    return reverse(TAB, args=[org.pk])


def _link_for(org: Organization, connection_id: int) -> OrganizationConnection:
    link = (
        org.organization_connections.select_related("connection", "organization")
        .filter(connection_id=connection_id)
        .first()
    )
    if link is None:
        raise Http404
    return link


def _owned_connection(org: Organization, connection_id: int) -> Connection:
    connection = Connection.objects.filter(
        pk=connection_id, organization=org, deleted_at=None
    ).first()
    if connection is None:
        raise Http404
    return connection


def _name(connection: Connection) -> str:
    return connection.display_name or connection.name


# -- enabling, changing and disabling a connection on the organization ----------------------


@require_POST
@login_required
def connection_enable(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    form = ConnectionEnableForm(request.POST, organization=org, prefix=ENABLE_PREFIX)
    if not form.is_valid():
        return _render(request, org, form)
    connection = form.cleaned_data["connection"]
    try:
        organization_connection_enable(
            actor=_actor(request), organization=org, connection=connection, **form.flags()
        )
    except ServiceError as exc:
        form.add_service_error(exc)
        return _render(request, org, form)
    messages.success(
        request, f"Enabling {_name(connection)}. It shows as In sync once Auth0 has it."
    )
    return redirect(TAB, pk=org.pk)


@require_POST
@login_required
def connection_update(request: HttpRequest, pk: int, connection_id: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    link = _link_for(org, connection_id)
    form = ConnectionSettingsForm(
        request.POST, connection=link.connection, prefix=settings_prefix(link.connection)
    )
    if not form.is_valid():
        return _render(request, org, form)
    try:
        organization_connection_update(actor=_actor(request), link=link, **form.flags())
    except ServiceError as exc:
        form.add_service_error(exc)
        return _render(request, org, form)
    messages.success(
        request,
        f"Saving the settings of {_name(link.connection)}. "
        "They show as In sync once Auth0 has them.",
    )
    return redirect(TAB, pk=org.pk)


@require_http_methods(["GET", "POST"])
@login_required
def connection_disable(request: HttpRequest, pk: int, connection_id: int) -> HttpResponse:
    """GET: what disabling does; POST: disable."""
    org = get_organization_for(request, pk)
    link = _link_for(org, connection_id)
    name = _name(link.connection)
    if request.method != "POST":
        return render_confirmation(request, _disable_confirmation(org, link))
    report(
        request,
        lambda: organization_connection_disable(actor=_actor(request), link=link),
        f"Disabling {name}. The Activity tab shows when Auth0 has done it.",
    )
    return redirect(TAB, pk=org.pk)


def _disable_confirmation(org: Organization, link: OrganizationConnection) -> Confirmation:
    name = _name(link.connection)
    return Confirmation(
        title=f"Disable {name} for {org.display_name}?",
        action_url=reverse("orgs:connection_disable", args=[org.pk, link.connection_id]),
        button="Disable connection",
        cancel_url=_tab_url(org),
        impact=(
            f"People of this organization can no longer sign in with {name}.",
            "Their accounts are kept: enabling the connection again lets them back in.",
        ),
    )


# -- the applications an organization's own connection serves -----------------------------


@require_POST
@login_required
def connection_application_add(request: HttpRequest, pk: int, connection_id: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    connection = _owned_connection(org, connection_id)
    form = ConnectionApplicationForm(
        request.POST, connection=connection, prefix=application_prefix(connection)
    )
    if not form.is_valid():
        return _render(request, org, form)
    application = form.cleaned_data["application"]
    try:
        connection_enable_application(
            actor=_actor(request), connection=connection, application=application
        )
    except ServiceError as exc:
        form.add_service_error(exc)
        return _render(request, org, form)
    messages.success(
        request,
        f"Letting {application} sign people in with {_name(connection)}. "
        "It shows as In sync once Auth0 has it.",
    )
    return redirect(TAB, pk=org.pk)


@require_http_methods(["GET", "POST"])
@login_required
def connection_application_remove(
    request: HttpRequest, pk: int, connection_id: int, application_id: int
) -> HttpResponse:
    """GET: what removing the application does; POST: remove it."""
    org = get_organization_for(request, pk)
    connection = _owned_connection(org, connection_id)
    application = Application.objects.filter(pk=application_id).first()
    if application is None:
        raise Http404
    if request.method != "POST":
        return render_confirmation(request, _application_confirmation(org, connection, application))
    report(
        request,
        lambda: connection_disable_application(
            actor=_actor(request), connection=connection, application=application
        ),
        f"Stopping {application} using {_name(connection)}. "
        "The Activity tab shows when Auth0 has done it.",
    )
    return redirect(TAB, pk=org.pk)


def _application_confirmation(
    org: Organization, connection: Connection, application: Application
) -> Confirmation:
    name = _name(connection)
    return Confirmation(
        title=f"Stop {application} using {name}?",
        action_url=reverse(
            "orgs:connection_application_remove", args=[org.pk, connection.pk, application.pk]
        ),
        button="Stop using it",
        cancel_url=_tab_url(org),
        impact=(f"People can no longer sign in to {application} with {name}.",),
    )
