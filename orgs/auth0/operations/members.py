"""Organization members and their roles: add/remove endpoints, safe without a lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orgs.auth0.client import (
    as_dict,
    auth0_call,
    gone_is_done,
    management_client,
)


def add_member(org_id: str, user_id: str) -> None:
    with auth0_call():
        management_client().organizations.members.create(org_id, members=[user_id])


def add_member_batch(org_id: str, user_ids: list[str]) -> None:
    """Add several users at once (adding an existing member changes nothing)."""
    if user_ids:
        with auth0_call():
            management_client().organizations.members.create(org_id, members=user_ids)


def remove_member(org_id: str, user_id: str) -> None:
    gone_is_done(
        lambda: management_client().organizations.members.delete(org_id, members=[user_id])
    )


def assign_roles(org_id: str, user_id: str, role_ids: list[str]) -> None:
    if role_ids:
        with auth0_call():
            management_client().organizations.members.roles.assign(org_id, user_id, roles=role_ids)


def remove_roles(org_id: str, user_id: str, role_ids: list[str]) -> None:
    if role_ids:
        with auth0_call():
            management_client().organizations.members.roles.delete(org_id, user_id, roles=role_ids)


def member_role_ids(org_id: str, user_id: str) -> set[str]:
    with auth0_call():
        pager = management_client().organizations.members.roles.list(org_id, user_id)
        return {as_dict(role)["id"] for role in pager}


def member_roles(org_id: str, user_id: str) -> list[dict[str, str]]:
    """The member's roles in the organization as `{id, name}`, in one call. A member has
    at most 50 roles, so the first page of 100 holds them all (iterating the SDK's pager
    would ask for a second, empty page)."""
    with auth0_call():
        pager = management_client().organizations.members.roles.list(org_id, user_id, per_page=100)
        found = [as_dict(role) for role in pager.items or []]
    return [{"id": str(role["id"]), "name": str(role.get("name", ""))} for role in found]


def list_members(org_id: str) -> list[dict[str, Any]]:
    with auth0_call():
        pager = management_client().organizations.members.list(
            org_id, take=100, fields="user_id,email,name,roles"
        )
        return [as_dict(member) for member in pager]


@dataclass(frozen=True)
class MembersPage:
    """One page of an organization's members and the cursor of the next ("" at the end)."""

    members: list[dict[str, Any]]
    next_cursor: str


def members_page(org_id: str, *, cursor: str, per_page: int) -> MembersPage:
    """One page of members with their roles, in one call. Checkpoint paging (`from`,
    `take`): offset paging stops at 1,000 records and an organization may have 100,000
    members. Only this page is read (iterating the SDK's pager would read them all)."""
    with auth0_call():
        pager = management_client().organizations.members.list(
            org_id,
            from_=cursor or None,
            take=per_page,
            fields="user_id,email,name,roles",
            include_fields=True,
        )
        found = [as_dict(member) for member in pager.items or []]
        next_cursor = getattr(pager.response, "next", None) or ""
    return MembersPage(members=found, next_cursor=str(next_cursor) if found else "")
