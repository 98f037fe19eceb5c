"""Suspend, reactivate and delete an organization (staff). Each is a link to a confirmation
page (portal.confirm) that says what will happen; the page posts back here, and the post
checks again (the typed short name for delete) before calling the service."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from orgs.auth0.errors import Auth0Error
from orgs.auth0.operations.users import count_connection_users
from orgs.models import ApplicationURL, Connection, InvitationStatus, Organization
from orgs.services import ServiceError
from orgs.services.organizations import (
    organization_delete,
    organization_reactivate,
    organization_suspend,
)
from orgs.sync.handlers.applications import wanted_elsewhere
from orgs.views.access import get_organization_for, staff_required
from orgs.views.outcome import report
from portal.confirm import Confirmation, render_confirmation, typed_matches
from portal.models import User

LISTED_URLS = 10  # beyond this the preview says "and N more"


@staff_required
def suspend_organization(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    connections = org.organization_connections.count()
    confirmation = Confirmation(
        title=f"Suspend {org}?",
        action_url=reverse("orgs:suspend", args=[org.pk]),
        button="Suspend organization",
        cancel_url=reverse("orgs:detail", args=[org.pk]),
        impact=[
            f"Nobody can sign in to {org}: each of its connections ({connections}) "
            "is turned off for it in Auth0.",
            "Its administrators are signed out of the portal.",
            "Members, their roles and invitations stay as they are.",
            "Reactivating turns the same connections on again, with the same settings.",
        ],
    )
    done = f"{org} is suspended. Its connections are being turned off."
    return _confirm_then(request, org, confirmation, organization_suspend, done)


@staff_required
def reactivate_organization(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    confirmation = Confirmation(
        title=f"Reactivate {org}?",
        action_url=reverse("orgs:reactivate", args=[org.pk]),
        button="Reactivate organization",
        cancel_url=reverse("orgs:detail", args=[org.pk]),
        impact=[
            f"Each of its connections ({org.organization_connections.count()}) is "
            "turned on again with the settings it had, so its people can sign in.",
            "Members, roles and invitations are as they were when it was suspended.",
        ],
        danger=False,
    )
    done = f"{org} is active again. Its connections are being turned on."
    return _confirm_then(request, org, confirmation, organization_reactivate, done)


def _confirm_then(
    request: HttpRequest,
    org: Organization,
    confirmation: Confirmation,
    service: Callable[..., Organization],
    done: str,
) -> HttpResponse:
    """GET: the confirmation; POST: the service, then back to the organization."""
    if request.method != "POST":
        return render_confirmation(request, confirmation)
    report(request, lambda: service(actor=_person(request), organization=org), done)
    return redirect("orgs:detail", pk=org.pk)


@staff_required
def delete_organization(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    if request.method != "POST":
        return render_confirmation(request, _delete_confirmation(org))
    if not typed_matches(request, org.name):
        error = f"Type {org.name} exactly to confirm."
        return render_confirmation(request, _delete_confirmation(org), error=error)
    try:
        organization_delete(
            actor=_person(request), organization=org, confirm_name=request.POST["confirm"]
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("orgs:detail", pk=org.pk)
    messages.success(request, f"{org} is being deleted. The portal keeps its audit trail.")
    return redirect("orgs:list")


def _delete_confirmation(org: Organization) -> Confirmation:
    return Confirmation(
        title=f"Delete {org}?",
        action_url=reverse("orgs:delete", args=[org.pk]),
        button="Delete organization",
        cancel_url=reverse("orgs:detail", args=[org.pk]),
        impact=delete_impact(org),
        type_to_confirm=org.name,
    )


def delete_impact(org: Organization) -> list[str]:
    """What deleting takes with it, line by line, as orgs.sync.handlers.organizations.delete
    will do it. The users of its own connections are counted in Auth0 (one call each)."""
    members = org.members.filter(removing=False).count()
    invitations = org.invitations.filter(
        status__in=[InvitationStatus.PENDING, InvitationStatus.SENT]
    ).count()
    lines = [
        f"{org} is removed from Auth0, with its {_count(members, 'member')}: people who "
        "sign in through a shared connection keep their accounts."
        if members
        else f"{org} is removed from Auth0 (it has no members)."
    ]
    if invitations:
        lines.append(f"{_count(invitations, 'open invitation')} can no longer be accepted.")
    return [
        *lines,
        *_url_lines(org),
        *(_connection_line(connection) for connection in _own_connections(org)),
        "The portal keeps its record and audit trail; the short name becomes free.",
    ]


def _url_lines(org: Organization) -> list[str]:
    rows = list(org.application_urls.filter(removing=False).select_related("application"))
    kept = [row for row in rows if wanted_elsewhere(row)]
    removed = [row for row in rows if row not in kept]
    lines = [f"{_describe(row)} is removed." for row in removed[:LISTED_URLS]]
    if len(removed) > LISTED_URLS:
        lines.append(f"… and {_count(len(removed) - LISTED_URLS, 'more URL')}.")
    lines += [f"{_describe(row)} stays: another organization uses it too." for row in kept]
    return lines


def _describe(row: ApplicationURL) -> str:
    return f"{row.get_kind_display()} {row.url} on {row.application}"


def _own_connections(org: Organization) -> list[Connection]:
    return list(org.owned_connections.filter(deleted_at=None))


def _connection_line(connection: Connection) -> str:
    what = f"Its own database connection {connection.name} is deleted"
    if not connection.auth0_id:
        return f"{what} (it was never created in Auth0, so it holds no users)."
    try:
        users = count_connection_users(connection.name)
    except Auth0Error:
        return f"{what}, with all its users (they could not be counted: Auth0 did not answer)."
    return f"{what}, with the {_count(users, 'user')} it holds in Auth0."


def _count(number: int, thing: str) -> str:
    return f"{number:,} {thing}{'' if number == 1 else 's'}"


def _person(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # staff_required: signed in
    return user
