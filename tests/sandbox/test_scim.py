"""Inbound SCIM in the sandbox: the Management API's scim-configuration endpoints through
the real SDK (every answer checked against Auth0's OpenAPI document), then the SCIM 2.0
Users endpoint as an IdP would call it with a token created there."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.core.api_error import ApiError
from auth0.management.errors import ConflictError, NotFoundError

from sandbox import SandboxApp
from sandbox.mgmt.scim import DEFAULT_MAPPING, TOKEN_SCOPES

from .conftest import BASE, FakeClock
from .mgmt_support import Raw, error_of
from .openapi import OpenAPIValidator

OIDC = {"client_id": "acme-client", "discovery_url": "https://idp.acme.test/.well-known/x"}
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def raw(http: httpx.Client, openapi: OpenAPIValidator, mgmt_token: str) -> Raw:
    return Raw(http, openapi, mgmt_token)


@pytest.fixture
def connection_id(mgmt: Auth0) -> str:
    created = mgmt.connections.create(name="acme-oidc", strategy="oidc", options=OIDC)
    assert created.id
    return created.id


def _scim(http: httpx.Client, token: str) -> dict[str, Any]:
    return {"headers": {"Authorization": f"Bearer {token}"}}


def test_configuration_lifecycle(mgmt: Auth0, connection_id: str, raw: Raw) -> None:
    scim = mgmt.connections.scim_configuration
    with pytest.raises(NotFoundError):
        scim.get(connection_id)
    default = scim.get_default_mapping(connection_id)
    assert default.mapping and len(default.mapping) == len(DEFAULT_MAPPING)
    created = scim.create(connection_id)
    assert created.connection_id == connection_id and created.connection_name == "acme-oidc"
    assert created.strategy == "oidc" and created.tenant_name == "sandbox"
    assert created.user_id_attribute == "externalId"
    assert created.mapping == default.mapping
    with pytest.raises(ConflictError):
        scim.create(connection_id)
    updated = scim.update(
        connection_id,
        user_id_attribute="userName",
        mapping=[{"auth0": "email", "scim": "userName"}],
    )
    assert updated.user_id_attribute == "userName" and len(updated.mapping or []) == 1
    assert scim.get(connection_id).user_id_attribute == "userName"
    scim.delete(connection_id)
    with pytest.raises(NotFoundError):
        scim.get(connection_id)
    assert raw("DELETE", f"/connections/{connection_id}/scim-configuration").status_code == 404


def test_unknown_connection_and_database_connection(mgmt: Auth0, raw: Raw) -> None:
    with pytest.raises(NotFoundError) as excinfo:
        mgmt.connections.scim_configuration.get("con_nope")
    assert error_of(excinfo)["errorCode"] == "inexistent_connection"
    database = next(c for c in mgmt.connections.list() if c.strategy == "auth0")
    refused = raw("POST", f"/connections/{database.id}/scim-configuration", json={})
    assert refused.status_code == 400
    assert "not supported" in refused.json()["message"]


def test_tokens(mgmt: Auth0, connection_id: str, raw: Raw, clock: FakeClock) -> None:
    scim = mgmt.connections.scim_configuration
    with pytest.raises(NotFoundError):
        scim.tokens.get(connection_id)  # no configuration yet
    scim.create(connection_id)
    first = scim.tokens.create(connection_id, scopes=["get:users"], token_lifetime=86400)
    assert first.token and first.token_id and first.scopes == ["get:users"]
    assert first.created_at == "2026-05-28T20:26:40.000Z"
    assert first.valid_until == "2026-05-29T20:26:40.000Z"
    second = scim.tokens.create(connection_id)
    assert second.scopes == list(TOKEN_SCOPES) and second.valid_until is None
    with pytest.raises(ConflictError):
        scim.tokens.create(connection_id)
    listed = scim.tokens.get(connection_id)
    assert [t.token_id for t in listed] == [first.token_id, second.token_id]
    assert all("token" not in t.model_dump(exclude_none=True) for t in listed)
    scim.tokens.delete(connection_id, first.token_id)
    assert [t.token_id for t in scim.tokens.get(connection_id)] == [second.token_id]
    assert (
        raw(
            "DELETE", f"/connections/{connection_id}/scim-configuration/tokens/{first.token_id}"
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"scopes": []}, "Array is too short"),
        ({"scopes": ["read:users"]}, "No enum match"),
        ({"token_lifetime": 900}, "less than minimum"),
        ({"other": 1}, "Additional properties not allowed"),
    ],
)
def test_token_validation(
    mgmt: Auth0, connection_id: str, raw: Raw, body: dict[str, Any], message: str
) -> None:
    mgmt.connections.scim_configuration.create(connection_id)
    response = raw("POST", f"/connections/{connection_id}/scim-configuration/tokens", json=body)
    assert response.status_code == 400 and message in response.json()["message"]


def test_scopes_are_checked(
    sandbox: SandboxApp, sdk_for: Any, token_for: Any, connection_id: str
) -> None:
    reader = sdk_for(sandbox, token=token_for("read:scim_config"))
    with pytest.raises(ApiError) as excinfo:  # the SDK has no ForbiddenError for this one
        reader.connections.scim_configuration.create(connection_id)
    assert error_of(excinfo)["errorCode"] == "insufficient_scope"


def test_scim_client_provisions_and_deprovisions(
    sandbox: SandboxApp, mgmt: Auth0, connection_id: str, http: httpx.Client, clock: FakeClock
) -> None:
    scim = mgmt.connections.scim_configuration
    scim.create(connection_id)
    token = scim.tokens.create(connection_id, token_lifetime=3600)
    assert token.token
    auth = _scim(http, token.token)
    users = f"/scim/v2/connections/{connection_id}/Users"
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "jane@acme.test",
        "externalId": "00u1",
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"value": "jane@acme.test", "primary": True, "type": "work"}],
        "displayName": "Jane Doe",
        "active": True,
    }
    created = http.post(users, json=body, **auth)
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith("application/scim+json")
    resource = created.json()
    user_id = resource["id"]
    assert user_id == "oidc|acme-oidc|00u1" and resource["active"] is True
    assert resource["meta"]["location"] == f"{BASE}{users}/{quote(user_id)}"
    user = sandbox.state.users[user_id]
    assert (user.email, user.given_name, user.name, user.blocked) == (
        "jane@acme.test", "Jane", "Jane Doe", False
    )  # fmt: skip
    assert http.post(users, json=body, **auth).status_code == 409

    found = http.get(users, params={"filter": 'userName eq "JANE@acme.test"'}, **auth).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == user_id
    none = http.get(users, params={"filter": 'userName eq "bob@acme.test"'}, **auth).json()
    assert none["totalResults"] == 0 and none["Resources"] == []

    one = f"{users}/{quote(user_id)}"
    clock.advance(60)
    patch = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    patched = http.patch(one, json=patch, **auth)
    assert patched.status_code == 200, patched.text
    assert patched.json()["active"] is False and sandbox.state.users[user_id].blocked
    entra = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "value": {"active": True}}]}
    assert http.patch(one, json=entra, **auth).json()["active"] is True

    replaced = http.put(one, json={**body, "displayName": "Jane Smith", "active": False}, **auth)
    assert replaced.status_code == 200 and replaced.json()["displayName"] == "Jane Smith"
    assert sandbox.state.users[user_id].blocked
    assert http.get(one, **auth).json()["name"]["givenName"] == "Jane"

    listed = scim.tokens.get(connection_id)
    assert listed[0].last_used_at == "2026-05-28T20:27:40.000Z"

    assert http.delete(one, **auth).status_code == 204
    assert user_id not in sandbox.state.users
    assert http.get(one, **auth).status_code == 404


def test_scim_tokens_are_checked(
    mgmt: Auth0, connection_id: str, http: httpx.Client, clock: FakeClock
) -> None:
    scim = mgmt.connections.scim_configuration
    scim.create(connection_id)
    reader = scim.tokens.create(connection_id, scopes=["get:users"], token_lifetime=1000)
    assert reader.token and reader.token_id
    users = f"/scim/v2/connections/{connection_id}/Users"
    assert http.get(users).status_code == 401
    assert http.get(users, **_scim(http, "not-a-token")).status_code == 401
    assert http.get(users, **_scim(http, reader.token)).status_code == 200
    refused = http.post(users, json={"userName": "x"}, **_scim(http, reader.token))
    assert refused.status_code == 403
    assert refused.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    clock.advance(1001)
    assert http.get(users, **_scim(http, reader.token)).status_code == 401
    fresh = scim.tokens.create(connection_id)
    assert fresh.token and fresh.token_id
    scim.tokens.delete(connection_id, fresh.token_id)
    assert http.get(users, **_scim(http, fresh.token)).status_code == 401
    scim.delete(connection_id)
    assert http.get(users, **_scim(http, fresh.token)).status_code == 404
