"""Who the members of an organization are, as the Members tab and a member's page show
them: read from Auth0 (where members join, through invitations or on login), merged with
the portal's own `Member` rows (sync state, role changes on their way, removals).

Reads only; every change goes through orgs.services.users. When the organization is not
in Auth0 yet, or Auth0 cannot be reached, the portal's rows are shown with a notice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from orgs.auth0.errors import Auth0Error
from orgs.auth0.operations import members as auth0_members
from orgs.auth0.operations import users as auth0_users
from orgs.models import OPEN_STATES, Member, Organization, SyncOperation
from orgs.services.users import signs_in_with_password

log = logging.getLogger(__name__)

PER_PAGE = 25
NOT_IN_AUTH0 = (
    "{org} is not in Auth0 yet, so this shows the members the portal knows. "
    "Auth0's list appears once the organization is created there."
)
UNREACHABLE = (
    "Auth0 cannot be reached right now, so this shows the members the portal knows, "
    "which may be out of date. Reload the page in a minute."
)


@dataclass
class MemberRow:
    """One member: Auth0's view when it could be read, the portal's row when there is one."""

    user_id: str
    email: str
    name: str
    roles: list[str]
    blocked: bool | None = None  # None: not known
    local: Member | None = None
    last_login: str = ""  # ISO 8601 from Auth0; "" when never or not known
    connection: str = ""  # the connection they signed up with (their first identity)
    pending_roles: list[str] | None = None  # the portal's wish while a role change is open

    @property
    def label(self) -> str:
        return self.email or self.name or self.user_id

    @property
    def last_login_at(self) -> datetime | None:
        return parse_datetime(self.last_login) if self.last_login else None

    @property
    def removing(self) -> bool:
        return self.local is not None and self.local.removing

    @property
    def signs_in_with_password(self) -> bool:
        return signs_in_with_password(self.user_id)


@dataclass
class MembersListing:
    rows: list[MemberRow]
    notice: str = ""  # why this is the portal's list rather than Auth0's
    next_cursor: str = ""  # Auth0's cursor of the next page ("" on the last)
    local_page: Page[Member] | None = None  # paging of the portal's list
    from_auth0: bool = False


def members_listing(org: Organization, *, cursor: str, page_number: str) -> MembersListing:
    """One page of members: Auth0's page at `cursor`, or the portal's page `page_number`."""
    if not org.auth0_id:
        return _local_listing(org, page_number, NOT_IN_AUTH0.format(org=org))
    try:
        page = auth0_members.members_page(org.auth0_id, cursor=cursor, per_page=PER_PAGE)
    except Auth0Error as exc:
        log.warning("Members of %s not read from Auth0 (%s)", org, exc)
        return _local_listing(org, page_number, UNREACHABLE)
    return _auth0_rows(org, page.members, next_cursor=page.next_cursor)


def _auth0_rows(
    org: Organization, found: list[dict[str, Any]], *, next_cursor: str = "", notice: str = ""
) -> MembersListing:
    facts = _user_facts([str(m["user_id"]) for m in found])
    rows = [_row_from_auth0(member, facts) for member in found]
    _merge_local(org, rows)
    return MembersListing(rows=rows, next_cursor=next_cursor, from_auth0=True, notice=notice)


def _user_facts(user_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Whether each user is blocked, their last login and connection. The members list
    does not say, and one read per member would make a page 26 calls: one user search for
    the whole page instead (`user_id:(a OR b ...)`), so a block made in Auth0's dashboard
    shows too. If the search fails the page still shows, without those columns' answers."""
    try:
        return auth0_users.users_by_ids(user_ids)
    except Auth0Error as exc:
        log.warning("Blocked states not read from Auth0 (%s)", exc)
        return {}


def _row_from_auth0(member: dict[str, Any], facts: dict[str, dict[str, Any]]) -> MemberRow:
    user_id = str(member["user_id"])
    roles = sorted(str(role.get("name", "")) for role in member.get("roles") or [])
    user = facts.get(user_id)
    identities = (user or {}).get("identities") or [{}]
    return MemberRow(
        user_id=user_id,
        email=str(member.get("email") or ""),
        name=str(member.get("name") or ""),
        roles=roles,
        blocked=bool(user.get("blocked")) if user is not None else None,
        last_login=str((user or {}).get("last_login") or ""),
        connection=str(identities[0].get("connection") or ""),
    )


# --- searching -----------------------------------------------------------------------------

# Auth0 neither searches an organization's members nor lists a user search's organizations
# in one call, so a search reads the members a hundred at a time and keeps the matches:
# ten pages (1,000 members) at most, and the page says when it stopped there.
SEARCH_PAGE = 100
SEARCH_PAGES = 10
SEARCH_CAPPED = (
    "Only the first {count} members were searched. Type more of the email address or name "
    "to find someone further down."
)


def members_search(org: Organization, query: str) -> MembersListing:
    """Members whose email or name contains `query` (any case), up to one page of them."""
    needle = query.strip().lower()
    if not org.auth0_id:
        return _local_search(org, needle, NOT_IN_AUTH0.format(org=org))
    matches: list[dict[str, Any]] = []
    cursor, read = "", 0
    try:
        for _ in range(SEARCH_PAGES):
            page = auth0_members.members_page(org.auth0_id, cursor=cursor, per_page=SEARCH_PAGE)
            read += len(page.members)
            matches += [m for m in page.members if _matches(m, needle)]
            cursor = page.next_cursor
            if not cursor or len(matches) >= PER_PAGE:
                break
    except Auth0Error as exc:
        log.warning("Members of %s not searched in Auth0 (%s)", org, exc)
        return _local_search(org, needle, UNREACHABLE)
    capped = bool(cursor) and len(matches) < PER_PAGE
    notice = SEARCH_CAPPED.format(count=read) if capped else ""
    return _auth0_rows(org, matches[:PER_PAGE], notice=notice)


def _matches(member: dict[str, Any], needle: str) -> bool:
    text = f"{member.get('email') or ''}\n{member.get('name') or ''}".lower()
    return needle in text


def _local_search(org: Organization, needle: str, notice: str) -> MembersListing:
    found = org.members.prefetch_related("roles").filter(
        Q(email__icontains=needle) | Q(name__icontains=needle)
    )
    rows = [row_from_local(member) for member in found.order_by("email", "pk")[:PER_PAGE]]
    _merge_local(org, rows)
    return MembersListing(rows=rows, notice=notice)


def _merge_local(org: Organization, rows: list[MemberRow]) -> None:
    """Attach the portal's rows (two queries for the page, whatever its size)."""
    local = {
        m.user_id: m
        for m in org.members.filter(user_id__in=[r.user_id for r in rows]).prefetch_related("roles")
    }
    changing = _role_changes_open([m.pk for m in local.values()])
    for row in rows:
        row.local = local.get(row.user_id)
        if row.local is not None and row.local.pk in changing:
            row.pending_roles = row.local.role_names()


def _role_changes_open(member_pks: list[int]) -> set[int]:
    open_changes = SyncOperation.objects.filter(
        kind="member.sync_roles",
        target_type="member",
        target_id__in=member_pks,
        state__in=OPEN_STATES,
    ).values_list("target_id", flat=True)
    return {pk for pk in open_changes if pk is not None}


def _local_listing(org: Organization, page_number: str, notice: str) -> MembersListing:
    members = org.members.prefetch_related("roles").order_by("email", "pk")
    page = Paginator(members, PER_PAGE).get_page(page_number)
    rows = [row_from_local(member) for member in page.object_list]
    _merge_local(org, rows)
    return MembersListing(rows=rows, notice=notice, local_page=page)


def row_from_local(member: Member) -> MemberRow:
    return MemberRow(
        user_id=member.user_id,
        email=member.email,
        name=member.name,
        roles=member.role_names(),
        local=member,
    )


# --- one member ----------------------------------------------------------------------------


@dataclass
class Auth0Member:
    """What Auth0 says about one member of the organization."""

    user_id: str
    email: str
    name: str
    role_ids: list[str]
    role_names: list[str]
    blocked: bool
    connection: str


def auth0_member(org: Organization, user_id: str) -> Auth0Member | None:
    """The user as a member of the organization in Auth0; None when the user does not
    exist or is not a member. Three reads (the user, their organizations, their roles
    here). Raises Auth0Error when Auth0 cannot answer."""
    assert org.auth0_id
    user = auth0_users.get_user(user_id)
    if user is None or org.auth0_id not in auth0_users.organization_ids_of_user(user_id):
        return None
    roles = auth0_members.member_roles(org.auth0_id, user_id)
    identities = user.get("identities") or [{}]
    return Auth0Member(
        user_id=user_id,
        email=str(user.get("email") or ""),
        name=str(user.get("name") or ""),
        role_ids=[role["id"] for role in roles],
        role_names=sorted(role["name"] for role in roles),
        blocked=bool(user.get("blocked")),
        connection=str(identities[0].get("connection") or ""),
    )


@dataclass
class MemberView:
    """A member's page: the row, where it came from, and the user's connection."""

    row: MemberRow
    notice: str = ""
    connection: str = ""


def member_view(org: Organization, user_id: str) -> MemberView | None:
    """None when neither Auth0 nor the portal knows this user as a member."""
    local = org.members.prefetch_related("roles").filter(user_id=user_id).first()
    notice = NOT_IN_AUTH0.format(org=org) if not org.auth0_id else ""
    if org.auth0_id:
        try:
            remote = auth0_member(org, user_id)
        except Auth0Error as exc:
            log.warning("Member %s of %s not read from Auth0 (%s)", user_id, org, exc)
            notice = UNREACHABLE
        else:
            if remote is not None:
                return _view_from_auth0(org, remote)
            if local is None:
                return None
            notice = f"Auth0 does not list {local} as a member of {org} (any more)."
    if local is None:
        return None
    row = row_from_local(local)
    _merge_local(org, [row])
    return MemberView(row=row, notice=notice)


def _view_from_auth0(org: Organization, remote: Auth0Member) -> MemberView:
    row = MemberRow(
        user_id=remote.user_id,
        email=remote.email,
        name=remote.name,
        roles=remote.role_names,
        blocked=remote.blocked,
    )
    _merge_local(org, [row])
    return MemberView(row=row, connection=remote.connection)
