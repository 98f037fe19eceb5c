"""The organization's Members tab and a member's page, read from Auth0
(orgs.views.member_directory). The changes (roles, removal, block / unblock, sign out
everywhere, password reset) are in orgs.views.org_member_actions.

Auth0 pages its members with a cursor, not page numbers (offset paging stops at 1,000
records; an organization may have 100,000 members). The tab's links still say
`?page=N`: the cursor of each page reached by "Next" is kept in the session, so
"Previous" goes back exactly, and a page number the session does not know starts again
at the first page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from orgs.forms.members import MemberRoleForm, role_forms
from orgs.models import Member, Organization, Role, SyncOperation
from orgs.services.user_accounts import account_refusal, deletable
from orgs.services.users import is_staff_user
from orgs.views.access import get_organization_for
from orgs.views.member_directory import (
    MemberView,
    member_view,
    members_listing,
    members_search,
)
from orgs.views.tabs import render_tab
from orgs.views.timeline import timeline_context

TAB = "orgs:members"
CURSORS = "member_page_cursors"  # session: {organization pk: {page number: cursor}}
MAX_REMEMBERED_PAGES = 500
MEMBER_TIMELINE_LENGTH = 20
MAX_QUERY = 200


@login_required
def organization_members(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    if query:
        context = {
            "listing": members_search(org, query),
            "query": query,
            "page_number": 1,
            "may_create_users": not account_refusal(org),
        }
        return render_tab(request, org, TAB, "orgs/detail/members.html", context)
    page_number, cursor = _page_and_cursor(request, org)
    listing = members_listing(org, cursor=cursor, page_number=request.GET.get("page", "1"))
    if listing.from_auth0:
        _remember_cursor(request, org, page_number + 1, listing.next_cursor)
    context = {
        "listing": listing,
        "may_create_users": not account_refusal(org),
        "page_number": page_number,
        "previous_page": page_number - 1 if listing.from_auth0 and page_number > 1 else None,
        "next_page": page_number + 1 if listing.next_cursor else None,
    }
    return render_tab(request, org, TAB, "orgs/detail/members.html", context)


def _page_and_cursor(request: HttpRequest, org: Organization) -> tuple[int, str]:
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    if page_number == 1:
        return 1, ""
    cursor = request.session.get(CURSORS, {}).get(str(org.pk), {}).get(str(page_number))
    return (page_number, str(cursor)) if cursor else (1, "")


def _remember_cursor(
    request: HttpRequest, org: Organization, page_number: int, cursor: str
) -> None:
    if not cursor:
        return
    remembered: dict[str, dict[str, str]] = request.session.get(CURSORS, {})
    cursors = remembered.setdefault(str(org.pk), {})
    if cursors.get(str(page_number)) == cursor or len(cursors) >= MAX_REMEMBERED_PAGES:
        return
    cursors[str(page_number)] = cursor
    request.session[CURSORS] = remembered


# --- a member's page ------------------------------------------------------------------------


@login_required
def member_detail(request: HttpRequest, pk: int, user_id: str) -> HttpResponse:
    org = get_organization_for(request, pk)
    view = member_view(org, user_id)
    if view is None:
        raise Http404
    return render_member(request, org, view)


def render_member(
    request: HttpRequest,
    org: Organization,
    view: MemberView,
    forms: tuple[MemberRoleForm, MemberRoleForm] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    """The member's page; `forms` are the role forms as posted (with their errors)."""
    add_form, remove_form = forms or role_forms(held=view.row.roles)
    context: dict[str, Any] = {
        "member": view.row,
        "view": view,
        "add_form": add_form,
        "remove_form": remove_form,
        "roles_to_add": Role.objects.exclude(name__in=view.row.roles).exists(),
        "roles_to_remove": Role.objects.filter(name__in=view.row.roles).exists(),
        "staff_only": not request.user.is_staff and is_staff_user(view.row.user_id),
        "may_delete": deletable(org, view.row.user_id),
        **_member_timeline(org, view.row.user_id, view.row.local),
    }
    return render_tab(request, org, TAB, "orgs/detail/member.html", context, status=status)


def _member_timeline(org: Organization, user_id: str, local: Member | None) -> dict[str, Any]:
    """The member's operations, live: the page polls `orgs:member_activity` while some
    are open (that view reads only the portal's rows, never Auth0)."""
    ops = (
        SyncOperation.objects.filter(target_type="member", target_id=local.pk)
        .select_related("depends_on", "organization")
        .order_by("-created_at", "-id")[:MEMBER_TIMELINE_LENGTH]
        if local is not None
        else SyncOperation.objects.none()
    )
    live_url = reverse("orgs:member_activity", args=[org.pk, user_id])
    return timeline_context(ops, live_url=live_url)


@login_required
def member_activity(request: HttpRequest, pk: int, user_id: str) -> HttpResponse:
    org = get_organization_for(request, pk)
    local = org.members.filter(user_id=user_id).first()
    if local is None:
        raise Http404
    context = _member_timeline(org, user_id, local)
    return render(request, "elements/operations_table.html", context)
