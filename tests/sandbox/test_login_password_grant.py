"""The Resource Owner Password grants on /oauth/token: password-realm (a named database
connection) and plain password (the tenant's Default Directory), with Auth0's answers
for a wrong password, a blocked user and a client that may not use the grant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from sandbox import SandboxApp
from sandbox.authn.password_grant import PASSWORD_REALM
from sandbox.seed import DATABASE_CONNECTION, DEMO_CREDENTIALS
from sandbox.state import Client

from .conftest import http_client
from .login_support import log_types
from .openapi import AUTHN_DOC, OpenAPIValidator, load_document, require_openapi

MEMBER = "member@acme.test"
CLIENT_ID, CLIENT_SECRET = "synthetic-signin", "synthetic-signin-secret"


@pytest.fixture
def authn_openapi() -> OpenAPIValidator:
    require_openapi(AUTHN_DOC)
    return OpenAPIValidator(load_document(AUTHN_DOC))


def add_password_client(app: SandboxApp, grant_types: list[str] | None = None) -> Client:
    """A confidential client allowed the grant, with the database connection enabled."""
    client = Client(
        client_id=CLIENT_ID,
        name="Synthetic sign-in",
        client_secret=CLIENT_SECRET,
        grant_types=grant_types if grant_types is not None else [PASSWORD_REALM],
    )
    with app.state.lock:
        app.state.clients[CLIENT_ID] = client
        connection = app.state.connection_by_name(DATABASE_CONNECTION)
        assert connection is not None
        connection.enabled_clients.append(CLIENT_ID)
    return client


def sign_in(app: SandboxApp, **overrides: str) -> httpx.Response:
    form = {
        "grant_type": PASSWORD_REALM,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": MEMBER,
        "password": DEMO_CREDENTIALS[MEMBER],
        "realm": DATABASE_CONNECTION,
        "scope": "openid email",
        **overrides,
    }
    with http_client(app) as http:
        return http.post("/oauth/token", data=form)


def test_password_realm_signs_the_user_in_with_an_id_token(
    sandbox: SandboxApp, authn_openapi: OpenAPIValidator
) -> None:
    add_password_client(sandbox)
    response = sign_in(sandbox)
    assert response.status_code == 200, response.text
    body = response.json()
    authn_openapi.validate("POST", "/oauth/token", 200, body)
    assert body["token_type"] == "Bearer" and body["scope"] == "openid email"
    claims = sandbox.keys.decode(body["id_token"])
    user = sandbox.state.user_by_email(MEMBER)
    assert user is not None and claims["sub"] == user.user_id and claims["aud"] == CLIENT_ID
    assert claims["email"] == MEMBER
    assert user.logins_count == 1
    assert log_types(sandbox)[-1] == "sepft"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_wrong_password_is_invalid_grant(sandbox: SandboxApp) -> None:
    add_password_client(sandbox)
    response = sign_in(sandbox, password="not-it")
    assert response.status_code == 403
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Wrong email or password.",
    }
    assert log_types(sandbox)[-1] == "fp"


def test_an_unknown_user_gets_the_same_answer(sandbox: SandboxApp) -> None:
    add_password_client(sandbox)
    response = sign_in(sandbox, username="nobody@acme.test")
    assert response.status_code == 403
    assert response.json()["error_description"] == "Wrong email or password."
    assert log_types(sandbox)[-1] == "fu"


def test_a_blocked_user_is_refused(sandbox: SandboxApp) -> None:
    add_password_client(sandbox)
    user = sandbox.state.user_by_email(MEMBER)
    assert user is not None
    user.blocked = True
    response = sign_in(sandbox)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized", "error_description": "user is blocked"}


def test_a_client_without_the_grant_type_is_refused(sandbox: SandboxApp) -> None:
    add_password_client(sandbox, grant_types=["authorization_code"])
    response = sign_in(sandbox)
    assert response.status_code == 403
    assert response.json() == {
        "error": "unauthorized_client",
        "error_description": f"Grant type '{PASSWORD_REALM}' not allowed for the client.",
    }


def test_a_wrong_client_secret_is_refused(sandbox: SandboxApp) -> None:
    add_password_client(sandbox)
    response = sign_in(sandbox, client_secret="nope")
    assert response.status_code == 401 and response.json()["error"] == "access_denied"


def test_a_realm_not_enabled_for_the_client_is_refused(sandbox: SandboxApp) -> None:
    add_password_client(sandbox)
    response = sign_in(sandbox, realm="no-such-connection")
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_a_missing_password_is_invalid_request(sandbox: SandboxApp) -> None:
    add_password_client(sandbox)
    response = sign_in(sandbox, password="")
    assert response.status_code == 400
    assert response.json()["error_description"] == "Missing required parameter: password"


def test_plain_password_uses_the_default_directory(
    make_sandbox: Callable[..., SandboxApp],
) -> None:
    app = make_sandbox(default_directory=DATABASE_CONNECTION)
    add_password_client(app, grant_types=["password"])
    response = sign_in(app, grant_type="password", realm="")
    assert response.status_code == 200, response.text
    assert "id_token" in response.json()


def test_plain_password_without_a_default_directory_is_a_server_error(
    sandbox: SandboxApp,
) -> None:
    add_password_client(sandbox, grant_types=["password"])
    response = sign_in(sandbox, grant_type="password")
    assert response.status_code == 500
    assert response.json() == {
        "error": "server_error",
        "error_description": "Authorization server not configured with default connection.",
    }


def test_the_management_api_audience_gets_only_current_user_scopes(sandbox: SandboxApp) -> None:
    add_password_client(sandbox)
    response = sign_in(
        sandbox,
        audience=sandbox.config.api_audience,
        scope="openid read:current_user read:users",
    )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200 and body["scope"] == "openid read:current_user"
