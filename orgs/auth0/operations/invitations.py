"""Organization invitations. Auth0 has no 409 for them, so a create after a lost response
would duplicate: every create carries our id in `app_metadata.portal_invitation_id`, and
a retry first looks for an invitation that already carries it."""

from __future__ import annotations

from typing import Any

from orgs.auth0.client import (
    as_dict,
    auth0_call,
    gone_is_done,
    management_client,
)

PORTAL_INVITATION_KEY = "portal_invitation_id"


def find_invitation(org_id: str, portal_id: str) -> dict[str, Any] | None:
    with auth0_call():
        for item in management_client().organizations.invitations.list(org_id, per_page=100):
            invitation = as_dict(item)
            if (invitation.get("app_metadata") or {}).get(PORTAL_INVITATION_KEY) == portal_id:
                return invitation
    return None


def create_invitation(
    org_id: str,
    *,
    portal_id: str,
    email: str,
    inviter_name: str,
    client_id: str,
    connection_id: str | None,
    role_ids: list[str],
    ttl_sec: int,
    maybe_exists: bool,
) -> dict[str, Any]:
    """Create it, or on a retry (`maybe_exists`) adopt the one already created."""
    if maybe_exists:
        existing = find_invitation(org_id, portal_id)
        if existing is not None:
            return existing
    body: dict[str, Any] = {
        "inviter": {"name": inviter_name},
        "invitee": {"email": email},
        "client_id": client_id,
        "app_metadata": {PORTAL_INVITATION_KEY: portal_id},
        "ttl_sec": ttl_sec,
        "send_invitation_email": True,
    }
    if connection_id:
        body["connection_id"] = connection_id
    if role_ids:
        body["roles"] = role_ids
    with auth0_call():
        return as_dict(management_client().organizations.invitations.create(org_id, **body))


def delete_invitation(org_id: str, invitation_id: str) -> None:
    gone_is_done(
        lambda: management_client().organizations.invitations.delete(org_id, invitation_id)
    )


def list_invitations(org_id: str) -> list[dict[str, Any]]:
    with auth0_call():
        pager = management_client().organizations.invitations.list(org_id, per_page=100)
        return [as_dict(item) for item in pager]
