"""The tenant's applications (staff only): each one's callback, logout and web-origin URLs
as Auth0 has them now (one gateway read per application on the page) beside the portal's
own records (orgs.ApplicationURL), so each URL says which organization asked for it, or
that the portal does not manage it, and what the portal has not sent yet or is taking out.

When Auth0 cannot be read the page says so and shows the portal's records alone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from orgs.auth0.errors import Auth0Error
from orgs.auth0.operations.clients import get_client_urls
from orgs.models import Application, ApplicationURL, Organization
from orgs.models.applications import UrlKind
from orgs.views.access import staff_required

APPLICATIONS_PER_PAGE = 20
# How a URL stands, as the page's badge says it.
IN_AUTH0 = "in_auth0"  # in Auth0, and an organization asked for it
NOT_MANAGED = "not_managed"  # in Auth0, no organization asked for it
PENDING = "pending"  # asked for, not in Auth0 yet
REMOVING = "removing"  # taken out in the portal, Auth0 not updated yet
RECORDED = "recorded"  # the portal's record; Auth0 could not be read to compare
NOT_FOUND_IN_AUTH0 = (
    "Auth0 has no application with this client id any more. Below are the portal's own "
    "records only."
)
UNREACHABLE = (
    "Auth0 could not be reached, so this is not what Auth0 has now: below are the "
    "portal's own records only. Reload the page to try again."
)


@dataclass
class ListedUrl:
    url: str
    state: str
    organizations: list[Organization] = field(default_factory=list)


@dataclass
class ListedApplication:
    application: Application
    problem: str  # why Auth0's URLs are not shown, or ""
    kinds: list[tuple[str, list[ListedUrl]]]  # (kind's label, its URLs)


@staff_required
def applications(request: HttpRequest) -> HttpResponse:
    page = Paginator(Application.objects.order_by("name", "pk"), APPLICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    records = _portal_records([app.pk for app in page.object_list])
    listed, reachable = [], True
    for app in page.object_list:
        # After Auth0 could not be reached once, the rest of the page would only wait for
        # the same timeout again: they show the portal's records straight away.
        item = _listed(app, records[app.pk], ask_auth0=reachable)
        reachable = reachable and item.problem != UNREACHABLE
        listed.append(item)
    context: dict[str, Any] = {"page": page, "listed": listed}
    return render(request, "orgs/applications.html", context)


def _portal_records(application_ids: list[int]) -> dict[int, list[ApplicationURL]]:
    """Every organization's URL rows of these applications, in one query."""
    rows = ApplicationURL.objects.filter(application_id__in=application_ids).select_related(
        "organization"
    )
    by_application: dict[int, list[ApplicationURL]] = defaultdict(list)
    for row in rows.order_by("kind", "url", "organization__name"):
        by_application[row.application_id].append(row)
    return by_application


def _listed(
    app: Application, records: list[ApplicationURL], *, ask_auth0: bool
) -> ListedApplication:
    in_auth0: dict[str, list[str]] | None = None
    problem = UNREACHABLE
    if ask_auth0:
        try:
            in_auth0, problem = get_client_urls(app.client_id), ""
        except Auth0Error as exc:
            problem = NOT_FOUND_IN_AUTH0 if exc.status == 404 else UNREACHABLE
    kinds = [
        (str(label), _urls_of_kind(kind, records, in_auth0)) for kind, label in UrlKind.choices
    ]
    return ListedApplication(application=app, problem=problem, kinds=kinds)


def _urls_of_kind(
    kind: str, records: list[ApplicationURL], in_auth0: dict[str, list[str]] | None
) -> list[ListedUrl]:
    """Auth0's URLs in Auth0's order, then the portal's that Auth0 does not have."""
    rows_by_url: dict[str, list[ApplicationURL]] = defaultdict(list)
    for row in records:
        if row.kind == kind:
            rows_by_url[row.url].append(row)
    remote = [] if in_auth0 is None else in_auth0.get(kind, [])
    listed = [_in_auth0(url, rows_by_url.get(url, [])) for url in remote]
    for url, rows in rows_by_url.items():
        if url not in remote:
            listed.append(_only_in_portal(url, rows, compared=in_auth0 is not None))
    return listed


def _in_auth0(url: str, rows: list[ApplicationURL]) -> ListedUrl:
    wanted = [row for row in rows if not row.removing]
    if not rows:
        return ListedUrl(url=url, state=NOT_MANAGED)
    state = IN_AUTH0 if wanted else REMOVING
    return ListedUrl(url=url, state=state, organizations=_organizations(wanted or rows))


def _only_in_portal(url: str, rows: list[ApplicationURL], *, compared: bool) -> ListedUrl:
    wanted = [row for row in rows if not row.removing]
    # Without Auth0's answer a wanted URL is only what the portal recorded.
    state = REMOVING if not wanted else (PENDING if compared else RECORDED)
    return ListedUrl(url=url, state=state, organizations=_organizations(wanted or rows))


def _organizations(rows: list[ApplicationURL]) -> list[Organization]:
    seen: dict[int, Organization] = {}
    for row in rows:
        seen.setdefault(row.organization_id, row.organization)
    return list(seen.values())
