"""`/roles/{id}/permissions` and `GET /actions/actions` through the real SDK, every
answer checked against Auth0's OpenAPI document."""

from __future__ import annotations

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.errors import BadRequestError, NotFoundError
from auth0.management.types import PermissionRequestPayload

from sandbox import SandboxApp
from sandbox.seed import stable_id

from .mgmt_support import Raw
from .openapi import OpenAPIValidator

ADMIN = stable_id("rol", "org-admin")


@pytest.fixture
def raw(http: httpx.Client, openapi: OpenAPIValidator, mgmt_token: str) -> Raw:
    return Raw(http, openapi, mgmt_token)


def permission(sandbox: SandboxApp, name: str) -> PermissionRequestPayload:
    return PermissionRequestPayload(
        resource_server_identifier=sandbox.config.api_audience, permission_name=name
    )


def test_role_permissions_add_list_remove(mgmt: Auth0, raw: Raw, sandbox: SandboxApp) -> None:
    assert list(mgmt.roles.permissions.list(ADMIN)) == []
    wanted = [permission(sandbox, "read:users"), permission(sandbox, "read:roles")]
    mgmt.roles.permissions.add(ADMIN, permissions=wanted)
    mgmt.roles.permissions.add(ADMIN, permissions=wanted[:1])  # already there: no-op
    listed = list(mgmt.roles.permissions.list(ADMIN, per_page=1))  # the pager walks pages
    assert [p.permission_name for p in listed] == ["read:users", "read:roles"]
    assert listed[0].resource_server_name == "Auth0 Management API"
    bare = raw("GET", f"/roles/{ADMIN}/permissions")
    assert [p["permission_name"] for p in bare.json()] == ["read:users", "read:roles"]
    mgmt.roles.permissions.delete(ADMIN, permissions=wanted[:1])
    assert [p.permission_name for p in mgmt.roles.permissions.list(ADMIN)] == ["read:roles"]


def test_role_permission_errors(mgmt: Auth0, raw: Raw, sandbox: SandboxApp) -> None:
    with pytest.raises(NotFoundError):
        mgmt.roles.permissions.list("rol_0000000000000000")
    elsewhere = PermissionRequestPayload(
        resource_server_identifier="https://api.test/", permission_name="read:things"
    )
    with pytest.raises(NotFoundError):
        mgmt.roles.permissions.add(ADMIN, permissions=[elsewhere])
    with pytest.raises(BadRequestError):
        mgmt.roles.permissions.add(ADMIN, permissions=[permission(sandbox, "fly:kites")])
    empty = raw("POST", f"/roles/{ADMIN}/permissions", json={"permissions": []})
    assert empty.status_code == 400
    assert "Array is too short (0), minimum 1" in empty.json()["message"]


def test_actions_list_is_empty_with_auth0_paging(mgmt: Auth0, raw: Raw) -> None:
    assert list(mgmt.actions.list()) == []
    body = raw("GET", "/actions/actions", params={"page": 0, "per_page": 100}).json()
    assert body == {"actions": [], "total": 0, "page": 0, "per_page": 100}
    assert raw("GET", "/actions/actions").json()["per_page"] == 20
    bad = raw("GET", "/actions/actions", params={"triggerId": "post-nothing"})
    assert bad.status_code == 400


def test_stored_actions_are_listed_and_filtered(raw: Raw, sandbox: SandboxApp) -> None:
    sandbox.state.ns("actions")["act_1"] = {
        "id": "act_1",
        "name": "add-claims",
        "supported_triggers": [{"id": "post-login", "version": "v3"}],
    }
    listed = raw("GET", "/actions/actions", params={"triggerId": "post-login"}).json()
    assert [a["name"] for a in listed["actions"]] == ["add-claims"] and listed["total"] == 1
    other = raw("GET", "/actions/actions", params={"actionName": "nope"}).json()
    assert other["actions"] == []
