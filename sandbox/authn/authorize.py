"""``GET /authorize``: validate the request, reuse an SSO session, or start a login.

Errors that cannot safely go back to the application (unknown client, callback not
allowed) are shown as an error page, as Auth0 does; every later error is sent to the
``redirect_uri`` as ``error`` and ``error_description``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from . import pages, pkce, rules, store
from .env import Env
from .finish import complete, log_fields, read_session
from .respond import error_page, error_to_client, redirect

_RESPONSE_MODES = (None, "", "query", "form_post")
# Parameters a transaction keeps from the /authorize request, as sent.
_KEPT = ("scope", "state", "nonce", "audience", "login_hint", "screen_hint")


def idp_url(conn_name: str, txn_id: str, login_hint: str | None = None) -> str:
    url = f"{pages.IDP_PATH_PREFIX}{quote(conn_name)}?state={quote(txn_id)}"
    return url + (f"&login_hint={quote(login_hint)}" if login_hint else "")


def next_page(env: Env, txn: store.Txn) -> str:
    """Where a fresh transaction goes first: invitation, org prompt, IdP or login form."""
    if txn.get("invitation_id"):
        return f"{pages.INVITATION_PATH}?state={quote(txn['id'])}"
    if txn.get("needs_org"):
        return f"{pages.ORGANIZATION_PATH}?state={quote(txn['id'])}"
    conn = env.state.connection_by_name(txn["connection"]) if txn.get("connection") else None
    if conn is not None and rules.is_enterprise(conn):
        return idp_url(conn.name, txn["id"], txn.get("login_hint"))
    return f"{pages.LOGIN_PATH}?state={quote(txn['id'])}"


def authorize(env: Env, request: Request) -> Response:
    state = env.state
    args = request.args
    client_id = args.get("client_id")
    if not client_id:
        return error_page("invalid_request", "Missing required parameter: client_id")
    client = state.clients.get(client_id)
    if client is None:
        return error_page("invalid_request", f"Unknown client: {client_id}")
    redirect_uri = args.get("redirect_uri")
    sent = bool(redirect_uri)
    if not redirect_uri:
        # Auth0 falls back to the first allowed callback when redirect_uri is left out.
        if not client.callbacks:
            return error_page("invalid_request", "Missing required parameter: redirect_uri")
        redirect_uri = client.callbacks[0]
    if not rules.url_allowed(redirect_uri, client.callbacks):
        return error_page(
            "invalid_request",
            f"Callback URL mismatch. {redirect_uri} is not in the list of allowed callback URLs",
        )
    mode = args.get("response_mode")
    client_state = args.get("state")

    def refuse(error: str, description: str, log: bool = True) -> Response:
        if log:
            env.write_log("f", description, **log_fields(request, client=client))
        safe_mode = mode if mode in _RESPONSE_MODES else None
        return error_to_client(redirect_uri, error, description, client_state, safe_mode)

    if mode not in _RESPONSE_MODES:
        return refuse("invalid_request", f"Unsupported response_mode: {mode}", log=False)
    response_type = args.get("response_type")
    if not response_type:
        return refuse("invalid_request", "Missing required parameter: response_type", log=False)
    if response_type != "code":
        return refuse(
            "unsupported_response_type", f"Unsupported response type: {response_type}", log=False
        )
    challenge = args.get("code_challenge")
    method = args.get("code_challenge_method")
    if challenge:
        if method not in pkce.SUPPORTED_METHODS:
            return refuse("invalid_request", "code_challenge_method must be S256", log=False)
        if not pkce.challenge_is_well_formed(challenge):
            return refuse("invalid_request", "Invalid code_challenge", log=False)
    elif method:
        return refuse("invalid_request", "Missing required parameter: code_challenge", log=False)

    audience = args.get("audience")
    if audience and audience.rstrip("/") != env.config.api_audience.rstrip("/"):
        # The tenant's only API is its Management API.
        return refuse("access_denied", f"Service not found: {audience}")

    txn: dict[str, Any] = {k: args.get(k) for k in _KEPT}
    txn.update(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        redirect_uri_sent=sent,
        response_mode=mode or None,
        code_challenge=challenge,
        code_challenge_method=method if challenge else None,
        scope=args.get("scope") or "openid",
    )

    org_param = args.get("organization")
    invitation = args.get("invitation")
    org = None
    if org_param:
        if client.organization_usage not in ("allow", "require"):
            return refuse(
                "invalid_request", "parameter organization is not allowed for this client"
            )
        org = rules.find_organization(state, org_param)
        if org is None:
            return refuse("invalid_request", f"parameter organization is invalid: {org_param}")
        txn["org_id"] = org.id
    elif invitation:
        return refuse("invalid_request", "parameter organization is required with invitation")
    elif client.organization_usage == "require":
        if client.organization_require_behavior in ("pre_login_prompt", "post_login_prompt"):
            txn["needs_org"] = True
        else:
            return refuse("invalid_request", "parameter organization is required for this client")

    if invitation and org is not None:
        inv = rules.find_invitation(org, invitation)
        if inv is None:
            return refuse("invalid_request", "invitation not found or already used")
        if inv.expires_at <= env.now():
            return refuse("invalid_request", "the invitation has expired")
        if inv.client_id != client.client_id:
            return refuse("invalid_request", "the invitation is not valid for this client")
        txn["invitation_id"] = inv.id

    conn_name = args.get("connection")
    if conn_name:
        conn = state.connection_by_name(conn_name)
        if conn is None:
            return refuse("invalid_request", f"the connection was not found: {conn_name}")
        if client.client_id not in conn.enabled_clients:
            return refuse("invalid_request", "the connection is not enabled")
        if org is not None and conn.id not in org.connections:
            return refuse("access_denied", "the connection is not enabled for the organization")
        txn["connection"] = conn.name

    prompts = (args.get("prompt") or "").split()
    txn = store.new_transaction(state, txn, env.now())
    if "login" not in prompts and not txn.get("invitation_id") and not txn.get("needs_org"):
        reused = _reuse_session(env, request, txn)
        if reused is not None:
            return reused
    if "none" in prompts:
        store.end_transaction(state, txn["id"])
        return refuse("login_required", "Login required", log=False)
    return redirect(next_page(env, txn))


def _reuse_session(env: Env, request: Request, txn: store.Txn) -> Response | None:
    """Complete the login from the SSO cookie when its user may log in here."""
    session = read_session(env, request)
    if session is None:
        return None
    user = env.state.users.get(session.user_id)
    conn = env.state.connection_by_name(session.connection)
    client = env.state.clients[txn["client_id"]]
    org = env.state.organizations.get(txn["org_id"]) if txn.get("org_id") else None
    if user is None or conn is None:
        return None
    if txn.get("connection") and txn["connection"] != conn.name:
        return None
    if conn not in rules.connections_for(env.state, client, org):
        return None
    return complete(env, request, txn, user, conn, session=session)
