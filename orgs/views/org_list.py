"""The staff organization list: search, filters, sorting and pages, at any number of
organizations in a constant number of queries (the session, the user, the count and the
page). The operation counts are the organization's own fields (orgs/sync/counts.py), and
the search looks into domains and administrators through EXISTS subqueries, so it never
joins rows that would repeat an organization or read the operations table."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from orgs.forms.filters import (
    DEFAULT_ORGANIZATION_SORT,
    HAS_FAILURES,
    NO_FAILURES,
    OrganizationFilterForm,
)
from orgs.models import Domain, Invitation, InvitationStatus, Member, Organization, OrgStatus
from orgs.views.access import staff_required
from portal.access import ADMIN_ROLE

ORGANIZATIONS_PER_PAGE = 50
# What a row of the list shows; the wider columns (metadata, branding) stay in the database.
_LIST_COLUMNS = (
    "name",
    "display_name",
    "status",
    "membership_model",
    "sync_state",
    "sync_error",
    "open_operations",
    "failed_operations",
    "created_at",
)
# Sort key → the columns it orders by; pk last, so the order is total and pages never
# overlap or skip a row.
_ORDERINGS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "display_name": ("display_name", "name"),
    "created": ("created_at",),
    "status": ("status", "name"),
    "failures": ("failed_operations", "name"),
}
# The table's columns: (heading, sort key or "" when it does not sort, first direction).
# Counts and dates are most useful biggest or newest first.
_COLUMNS = (
    ("Organization", "display_name", ""),
    ("Name", "name", ""),
    ("Status", "status", ""),
    ("Membership", "", ""),
    ("Sync", "", ""),
    ("Operations", "failures", "-"),
    ("Created", "created", "-"),
)


@staff_required
def organization_list(request: HttpRequest) -> HttpResponse:
    form = OrganizationFilterForm(request.GET)
    filters = form.valid_filters()
    sort = filters.pop("sort", DEFAULT_ORGANIZATION_SORT)
    # get_page, not page: a junk or out-of-range ?page= gives the first or last page.
    page = Paginator(_listed_organizations(filters, sort), ORGANIZATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context: dict[str, Any] = {
        "page": page,
        "form": form,
        "query": filters.get("q", ""),
        "filtered": bool(filters),
        "filters_chosen": any(name != "q" for name in filters),
        "columns": _column_headings(sort),
    }
    return render(request, "orgs/organization_list.html", context)


def _listed_organizations(filters: dict[str, Any], sort: str) -> QuerySet[Organization]:
    """Live organizations matching `filters` (the filter form's valid values), ordered by
    `sort` ("name", "-failures", ...)."""
    organizations = Organization.objects.exclude(status=OrgStatus.DELETED)
    if filters.get("q"):
        organizations = organizations.filter(_matches_search(filters["q"]))
    if filters.get("status"):
        organizations = organizations.filter(status=filters["status"])
    if filters.get("sync"):
        organizations = organizations.filter(sync_state=filters["sync"])
    if filters.get("membership"):
        organizations = organizations.filter(membership_model=filters["membership"])
    if filters.get("failures") == HAS_FAILURES:
        organizations = organizations.filter(failed_operations__gt=0)
    elif filters.get("failures") == NO_FAILURES:
        organizations = organizations.filter(failed_operations=0)
    return organizations.only(*_LIST_COLUMNS).order_by(*_ordering(sort))


def _matches_search(query: str) -> Q:
    """Name, display name, a claimed domain, or the email of an administrator (a member
    with the admin role, or someone invited with it and not revoked)."""
    this_organization = OuterRef("pk")
    domain = Domain.objects.filter(organization=this_organization, domain__icontains=query)
    admin = Member.objects.filter(
        organization=this_organization,
        roles__name=ADMIN_ROLE,
        removing=False,
        email__icontains=query,
    )
    invited_admin = Invitation.objects.filter(
        organization=this_organization, roles__name=ADMIN_ROLE, email__icontains=query
    ).exclude(status=InvitationStatus.REVOKED)
    return (
        Q(name__icontains=query)
        | Q(display_name__icontains=query)
        | Q(Exists(domain))
        | Q(Exists(admin))
        | Q(Exists(invited_admin))
    )


def _ordering(sort: str) -> list[str]:
    descending = sort.startswith("-")
    columns = _ORDERINGS.get(sort.lstrip("-"), _ORDERINGS[DEFAULT_ORGANIZATION_SORT])
    # Only the chosen column turns round; the tie-breakers stay alphabetical.
    first, *rest = columns
    return [f"-{first}" if descending else first, *rest, "pk"]


def _column_headings(sort: str) -> list[dict[str, str]]:
    """Each heading with the sort its link asks for (the other way round when it is the
    current one) and its aria-sort when it is."""
    current, descending = sort.lstrip("-"), sort.startswith("-")
    headings = []
    for label, key, first_direction in _COLUMNS:
        heading = {"label": label, "key": key, "link": "", "aria_sort": ""}
        if key == current:
            heading["aria_sort"] = "descending" if descending else "ascending"
            heading["link"] = key if descending else f"-{key}"
        elif key:
            heading["link"] = f"{first_direction}{key}"
        headings.append(heading)
    return headings
