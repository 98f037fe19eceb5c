"""``POST /oauth/token`` with the Resource Owner Password grants (plugged into the core).

- ``grant_type=http://auth0.com/oauth/grant-type/password-realm``: ``username``,
  ``password`` and ``realm`` (a database connection enabled for the client);
- ``grant_type=password``: the same against the tenant's Default Directory
  (``SandboxConfig.default_directory``), Auth0's 500 when none is set.

The client must list the grant in ``grant_types`` (Auth0 has not enabled it by default
since 2017). Answers follow Auth0: a wrong password or an unknown user is 403
``invalid_grant`` "Wrong email or password.", a blocked user 401 ``unauthorized`` "user is
blocked". Tokens are those of a login: an ID token with ``openid``, an access token for
``/userinfo`` (or, with the Management API as ``audience``, the current-user scopes only).
"""

from __future__ import annotations

import secrets
from typing import Any

from werkzeug.wrappers import Response

from ..errors import OAuthError
from ..oauth import authenticate_client, grant_type
from ..passwords import verify_password
from ..routing import Call, json_response
from ..state import Client, Connection, User
from . import claims, rules
from .env import Env
from .finish import log_fields
from .login import WRONG_CREDENTIALS
from .token import _OIDC_SCOPES, _USER_API_SCOPES, _claimed_client_id, user_token_body

PASSWORD_REALM = "http://auth0.com/oauth/grant-type/password-realm"
PASSWORD = "password"
NO_DEFAULT_DIRECTORY = "Authorization server not configured with default connection."


def _authenticate(call: Call, params: dict[str, str], grant: str) -> Client:
    claimed = call.state.clients.get(_claimed_client_id(call, params))
    public = claimed is not None and claimed.token_endpoint_auth_method == "none"
    client = authenticate_client(call, params, require_secret=not public)
    if grant not in client.grant_types:
        raise OAuthError(
            403, "unauthorized_client", f"Grant type '{grant}' not allowed for the client."
        )
    return client


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise OAuthError(400, "invalid_request", f"Missing required parameter: {name}")
    return value


def _connection(call: Call, client: Client, name: str) -> Connection:
    conn = call.state.connection_by_name(name)
    if conn is None or not rules.is_database(conn):
        raise OAuthError(400, "invalid_request", "the connection is not enabled")
    if client.client_id not in conn.enabled_clients:
        raise OAuthError(400, "invalid_request", "the connection is not enabled")
    return conn


def _user(call: Call, conn: Connection, username: str) -> User | None:
    wanted = username.strip().lower()
    for user in call.state.users.values():
        if user.connection != conn.name:
            continue
        if user.email.lower() == wanted or (user.username or "").lower() == wanted:
            return user
    return None


def _tokens(env: Env, client: Client, user: User, params: dict[str, str]) -> dict[str, Any]:
    scope = params.get("scope", "")
    granted = claims.scopes(scope)
    audiences = [env.userinfo_url]
    audience = params.get("audience", "")
    if audience and audience.rstrip("/") == env.config.api_audience.rstrip("/"):
        audiences.insert(0, env.config.api_audience)
        granted = [s for s in granted if s in _OIDC_SCOPES or s in _USER_API_SCOPES]
    elif audience:
        raise OAuthError(403, "access_denied", f"Service not found: {audience}")
    else:
        granted = [s for s in granted if s in _OIDC_SCOPES]
    now = int(env.now())
    return user_token_body(
        env,
        client,
        user,
        audiences=audiences,
        granted=granted,
        id_scope=" ".join(granted),
        now=now,
        auth_time=now,
        sid=secrets.token_urlsafe(24),
    )


def _realm(call: Call, params: dict[str, str], grant: str) -> str:
    if grant == PASSWORD_REALM:
        return _required(params, "realm")
    directory = call.config.default_directory
    if not directory:
        raise OAuthError(500, "server_error", NO_DEFAULT_DIRECTORY)
    return directory


def _exchange(call: Call, params: dict[str, str], grant: str) -> Response:
    env = Env(call)
    request = call.request
    try:
        client = _authenticate(call, params, grant)
        username = _required(params, "username")
        password = _required(params, "password")
        conn = _connection(call, client, _realm(call, params, grant))
    except OAuthError as exc:
        claimed = _claimed_client_id(call, params) or None
        env.write_log("fepft", exc.description, client_id=claimed, ip=request.remote_addr)
        raise
    user = _user(call, conn, username)
    if user is None:
        fields = log_fields(request, client=client, conn=conn, user_name=username)
        env.write_log("fu", WRONG_CREDENTIALS, **fields)
        raise OAuthError(403, "invalid_grant", WRONG_CREDENTIALS)
    fields = log_fields(request, client=client, conn=conn, user=user)
    if not verify_password(password, user.password_hash):
        env.write_log("fp", WRONG_CREDENTIALS, **fields)
        raise OAuthError(403, "invalid_grant", WRONG_CREDENTIALS)
    if user.blocked:
        env.write_log("f", "user is blocked", **fields)
        raise OAuthError(401, "unauthorized", "user is blocked")
    try:
        body = _tokens(env, client, user, params)
    except OAuthError as exc:
        env.write_log("fepft", exc.description, **fields)
        raise
    rules.record_login(user, env.now(), request.remote_addr)
    env.write_log("sepft", "Password for Access Token", **fields)
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@grant_type(PASSWORD_REALM)
def password_realm(call: Call, params: dict[str, str]) -> Response:
    return _exchange(call, params, PASSWORD_REALM)


@grant_type(PASSWORD)
def password(call: Call, params: dict[str, str]) -> Response:
    return _exchange(call, params, PASSWORD)
