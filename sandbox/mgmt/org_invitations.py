"""Organization invitations: create (with the invitation URL and email), list, get, delete.

The invitation URL is the client's `initiate_login_uri` plus `invitation` (the ticket
id), `organization` and `organization_name`. Accepting one is the login pages' job: they
find it with `find_invitation_by_ticket` and remove it once used.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Response

from ..errors import bad_request, not_found
from ..paging import offset_page
from ..routing import Call, empty, json_response, mgmt_route
from ..state import Invitation, Organization, State, new_id
from ..validation import https_or_local, validate
from .org_common import filter_fields, get_org, render_invitation, requested_fields

DEFAULT_TTL = 7 * 24 * 3600  # ttl_sec 0 (or absent) means 7 days
MAX_TTL = 30 * 24 * 3600
PASSWORDLESS = frozenset({"email", "sms"})
_LOGIN_ROUTE_REQUIRED = (
    "A default login route is required to generate the invitation url. For more "
    "information, see https://auth0.com/docs/universal-login/configure-default-login-routes"
)

CREATE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["inviter", "invitee", "client_id"],
    "properties": {
        "inviter": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 300}},
        },
        "invitee": {
            "type": "object",
            "additionalProperties": False,
            "required": ["email"],
            "properties": {"email": {"type": "string", "format": "email"}},
        },
        "client_id": {"type": "string", "minLength": 1},
        "connection_id": {"type": "string", "minLength": 1},
        "app_metadata": {"type": "object"},
        "user_metadata": {"type": "object"},
        "ttl_sec": {"type": "integer", "minimum": 0, "maximum": MAX_TTL},
        "roles": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "send_invitation_email": {"type": "boolean"},
    },
}


def invitation_url(login_uri: str, ticket_id: str, org: Organization) -> str:
    parts = urlsplit(login_uri)
    query = urlencode(
        {"invitation": ticket_id, "organization": org.id, "organization_name": org.name}
    )
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, joined, parts.fragment))


def _usable_login_uri(call: Call, uri: str) -> bool:
    """Auth0 wants https. Also accepted: http on localhost, and the sandbox's own pages
    (the demo app lives at `{base_url}/__sandbox__/demo-app/`, whatever the base URL)."""
    return (bool(uri) and https_or_local(uri)) or uri.startswith(call.config.base_url + "/")


def find_invitation_by_ticket(state: State, ticket_id: str, now: float) -> Invitation | None:
    """For the accept-invitation page: a live invitation with this ticket id."""
    for org in state.organizations.values():
        for inv in org.invitations.values():
            if inv.ticket_id == ticket_id and inv.expires_at > now:
                return inv
    return None


def _purge_expired(org: Organization, now: float) -> None:
    for inv_id in [i.id for i in org.invitations.values() if i.expires_at <= now]:
        del org.invitations[inv_id]


@mgmt_route(
    "POST",
    "/organizations/<id>/invitations",
    scope="create:organization_invitations",
    description="Create an invitation to an Organization",
)
def create_invitation(call: Call) -> Response:
    org = get_org(call)
    body = call.body()
    validate(body, CREATE_SCHEMA)
    state = call.state
    client = state.clients.get(body["client_id"])
    if client is None:
        raise bad_request("The specified client_id does not exist.")
    if client.organization_usage not in ("allow", "require"):
        raise bad_request("The specified client_id does not allow organizations.")
    login_uri = client.initiate_login_uri
    if login_uri is None or not _usable_login_uri(call, login_uri):
        raise bad_request(_LOGIN_ROUTE_REQUIRED)
    connection_id = body.get("connection_id")
    if connection_id:
        conn = state.connections.get(connection_id)
        if conn is None:
            raise bad_request("The specified connection does not exist.")
        if conn.strategy in PASSWORDLESS:
            raise bad_request("Passwordless connections are not supported.")
        if org.enabled_connection(connection_id) is None:
            raise bad_request(
                f"The specified connection ({connection_id}) is not enabled for the organization"
            )
    roles = body.get("roles", [])
    missing = [r for r in roles if r not in state.roles]
    if missing:
        raise bad_request(f"One or more of the specified roles do not exist: {', '.join(missing)}")

    now = call.now()
    ttl = body.get("ttl_sec") or DEFAULT_TTL
    ticket_id = new_id("", 32)
    inv = Invitation(
        id=new_id("uinv"),
        organization_id=org.id,
        inviter_name=body["inviter"]["name"],
        invitee_email=body["invitee"]["email"],
        client_id=client.client_id,
        ticket_id=ticket_id,
        invitation_url=invitation_url(login_uri, ticket_id, org),
        created_at=now,
        expires_at=now + ttl,
        connection_id=connection_id,
        roles=list(roles),
        app_metadata=body.get("app_metadata") or {},
        user_metadata=body.get("user_metadata") or {},
    )
    _purge_expired(org, now)
    org.invitations[inv.id] = inv
    if body.get("send_invitation_email", True):
        _send_email(call, org, inv, client.name)
    return json_response(render_invitation(inv), 200)


def _send_email(call: Call, org: Organization, inv: Invitation, app_name: str) -> None:
    org_label = org.display_name or org.name
    subject = f"You've been invited to join {org_label}"
    text = (
        f"{inv.inviter_name} has invited you to join {org_label} on {app_name}.\n\n"
        f"Accept the invitation: {inv.invitation_url}\n"
    )
    url = html.escape(inv.invitation_url, quote=True)
    body = (
        f"<p>{html.escape(inv.inviter_name)} has invited you to join "
        f"<strong>{html.escape(org_label)}</strong> on {html.escape(app_name)}.</p>"
        f'<p><a href="{url}">Accept invitation</a></p>'
    )
    call.send_email(
        inv.invitee_email,
        subject,
        text,
        body,
        kind="invitation",
        url=inv.invitation_url,
        invitation_id=inv.id,
        organization_id=org.id,
    )


@mgmt_route(
    "GET",
    "/organizations/<id>/invitations",
    scope="read:organization_invitations",
    description="Get invitations of an Organization",
)
def list_invitations(call: Call) -> Response:
    org = get_org(call)
    now = call.now()
    items = org.live_invitations(now)
    sort = call.args.get("sort", "created_at:1")
    items.sort(key=lambda i: i.created_at, reverse=sort.endswith(":-1"))
    fields, include = requested_fields(call)
    page = offset_page(
        call,
        items,
        "invitations",
        lambda i: filter_fields(render_invitation(i), fields, include),
        with_total=False,  # Auth0 does not count invitations
    )
    return json_response(page)


def _get_invitation(call: Call) -> Invitation:
    org = get_org(call)
    inv = org.invitations.get(call.params["invitation_id"])
    if inv is None or inv.expires_at <= call.now():
        raise not_found("The invitation does not exist.")
    return inv


@mgmt_route(
    "GET",
    "/organizations/<id>/invitations/<invitation_id>",
    scope="read:organization_invitations",
    description="Get an invitation of an Organization",
)
def get_invitation(call: Call) -> Response:
    inv = _get_invitation(call)
    fields, include = requested_fields(call)
    return json_response(filter_fields(render_invitation(inv), fields, include))


@mgmt_route(
    "DELETE",
    "/organizations/<id>/invitations/<invitation_id>",
    scope="delete:organization_invitations",
    description="Delete an invitation of an Organization",
)
def delete_invitation(call: Call) -> Response:
    inv = _get_invitation(call)
    del call.state.organizations[inv.organization_id].invitations[inv.id]
    return empty(204)
