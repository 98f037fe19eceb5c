"""Client grants (`/client-grants`, `/organizations/{id}/client-grants`) through the real
SDK, every answer checked against Auth0's OpenAPI document; a grant written here is what
`/oauth/token` grants."""

from __future__ import annotations

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.errors import ConflictError, NotFoundError

from sandbox import SandboxApp
from sandbox.seed import DEMO_APP_CLIENT_ID, DEMO_APP_CLIENT_SECRET, PORTAL_M2M_CLIENT_ID

from .conftest import org_id
from .mgmt_support import Raw, error_of
from .openapi import OpenAPIValidator


@pytest.fixture
def raw(http: httpx.Client, openapi: OpenAPIValidator, mgmt_token: str) -> Raw:
    return Raw(http, openapi, mgmt_token)


def demo_app_token(http: httpx.Client, sandbox: SandboxApp) -> httpx.Response:
    return http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": DEMO_APP_CLIENT_ID,
            "client_secret": DEMO_APP_CLIENT_SECRET,
            "audience": sandbox.config.api_audience,
        },
    )


def allow_client_credentials(sandbox: SandboxApp) -> None:
    sandbox.state.clients[DEMO_APP_CLIENT_ID].grant_types.append("client_credentials")


def test_a_grant_created_through_the_api_sets_the_token_scopes(
    mgmt: Auth0, http: httpx.Client, sandbox: SandboxApp
) -> None:
    allow_client_credentials(sandbox)
    assert demo_app_token(http, sandbox).status_code == 403  # no grant yet
    grant = mgmt.client_grants.create(
        client_id=DEMO_APP_CLIENT_ID,
        audience=sandbox.config.api_audience,
        scope=["read:users", "read:roles"],
    )
    assert grant.id and grant.scope == ["read:users", "read:roles"]
    assert demo_app_token(http, sandbox).json()["scope"] == "read:users read:roles"
    mgmt.client_grants.update(grant.id, scope=["read:roles"])
    assert demo_app_token(http, sandbox).json()["scope"] == "read:roles"
    mgmt.client_grants.delete(grant.id)
    assert demo_app_token(http, sandbox).status_code == 403


def test_list_filters_and_pages(mgmt: Auth0, raw: Raw, sandbox: SandboxApp) -> None:
    audience = sandbox.config.api_audience
    mgmt.client_grants.create(client_id=DEMO_APP_CLIENT_ID, audience=audience, scope=[])
    listed = list(mgmt.client_grants.list(take=1))  # checkpoint paging, one per page
    assert {g.client_id for g in listed} == {PORTAL_M2M_CLIENT_ID, DEMO_APP_CLIENT_ID}
    mine = list(mgmt.client_grants.list(client_id=DEMO_APP_CLIENT_ID))
    assert [g.client_id for g in mine] == [DEMO_APP_CLIENT_ID]
    assert list(mgmt.client_grants.list(audience="https://elsewhere.test/")) == []
    offset = raw("GET", "/client-grants", params={"include_totals": "true", "per_page": 1})
    body = offset.json()
    assert body["total"] == 2 and len(body["client_grants"]) == 1 and body["limit"] == 1
    assert isinstance(raw("GET", "/client-grants").json(), list)
    bad = raw("GET", "/client-grants", params={"subject_type": "robot"})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "invalid_query_string"


def test_create_errors(mgmt: Auth0, raw: Raw, sandbox: SandboxApp) -> None:
    audience = sandbox.config.api_audience
    with pytest.raises(ConflictError) as taken:
        mgmt.client_grants.create(client_id=PORTAL_M2M_CLIENT_ID, audience=audience)
    assert error_of(taken)["message"] == "client_grant already exists"
    with pytest.raises(NotFoundError):
        mgmt.client_grants.create(client_id="nobody", audience=audience)
    with pytest.raises(NotFoundError):
        mgmt.client_grants.create(client_id=DEMO_APP_CLIENT_ID, audience="https://api.test/")
    response = raw("POST", "/client-grants", json={"client_id": DEMO_APP_CLIENT_ID})
    assert response.status_code == 400
    assert "Missing required property: audience" in response.json()["message"]
    patch = raw("PATCH", "/client-grants/cgr_missing", json={"scope": []})
    assert patch.status_code == 404
    empty_patch = raw("PATCH", f"/client-grants/{next(iter(sandbox.state.client_grants))}", json={})
    assert empty_patch.status_code == 400


def test_organization_client_grants(mgmt: Auth0, raw: Raw, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    grant = mgmt.client_grants.create(
        client_id=DEMO_APP_CLIENT_ID,
        audience=sandbox.config.api_audience,
        scope=["read:users"],
        organization_usage="allow",
    )
    assert grant.id
    assert list(mgmt.organizations.client_grants.list(acme)) == []
    added = mgmt.organizations.client_grants.create(acme, grant_id=grant.id)
    assert added.id == grant.id and added.organization_usage == "allow"
    listed = list(mgmt.organizations.client_grants.list(acme))
    assert [g.client_id for g in listed] == [DEMO_APP_CLIENT_ID]
    assert list(mgmt.organizations.client_grants.list(acme, client_id="other")) == []
    totals = raw("GET", f"/organizations/{acme}/client-grants", params={"include_totals": "true"})
    assert totals.json()["total"] == 1
    mgmt.organizations.client_grants.delete(acme, grant.id)
    assert list(mgmt.organizations.client_grants.list(acme)) == []
    # Deleting the grant (or its client) takes it off organizations.
    mgmt.organizations.client_grants.create(acme, grant_id=grant.id)
    mgmt.clients.delete(DEMO_APP_CLIENT_ID)
    assert grant.id not in sandbox.state.client_grants
    assert sandbox.state.organizations[acme].client_grants == []


def test_organization_client_grant_errors(raw: Raw, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    unknown_grant = raw("POST", f"/organizations/{acme}/client-grants", json={"grant_id": "x"})
    assert unknown_grant.status_code == 404
    grant_id = next(iter(sandbox.state.client_grants))
    no_org = raw("POST", "/organizations/org_missing/client-grants", json={"grant_id": grant_id})
    assert no_org.status_code == 404
    bad = raw("POST", f"/organizations/{acme}/client-grants", json={"grant": grant_id})
    assert bad.status_code == 400
    assert raw("DELETE", f"/organizations/{acme}/client-grants/{grant_id}").status_code == 204
