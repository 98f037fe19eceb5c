"""Directory provisioning (SCIM) against the live sandbox: an org admin turns it on for an
active setup (through the engine), creates a token shown once, a SCIM client (httpx, as
Okta or Entra ID would) provisions and deprovisions a user with it, the token is
revoked and refused, and SCIM is turned off again."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from idp_selfservice.models import SsoSetup
from orgs.models import AuditEvent, SyncOperation
from tests.idp_selfservice.builders import active_setup
from tests.idp_selfservice.test_testing_support import acme, signed_in_admin
from tests.orgs.engine import drain

pytestmark = pytest.mark.django_db
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ALL_SCOPES = ["get:users", "post:users", "put:users", "patch:users", "delete:users"]


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _url(name: str, setup: SsoSetup, *more: str) -> str:
    return reverse(f"idp_selfservice:{name}", args=[setup.organization_id, setup.pk, *more])


def _enabled_setup(client: Client, tenant: Any) -> SsoSetup:
    signed_in_admin(client, tenant)
    setup = active_setup(acme())
    assert "Directory provisioning (SCIM)" in _text(client.get(_url("setup", setup)))
    page = _text(client.get(_url("scim", setup)))
    assert "Turn on directory provisioning" in page
    assert client.post(_url("scim_enable", setup)).status_code == 302
    op = SyncOperation.objects.get(kind="scim.configure")
    assert op.payload["intent"] == "enable"
    assert "succeeded" in drain()
    return setup


def _create_token(client: Client, setup: SsoSetup, scopes: list[str] = ALL_SCOPES) -> str:
    response = client.post(_url("scim_token_new", setup), {"scopes": scopes, "lifetime_days": "30"})
    assert response.status_code == 200, _text(response)[:500]
    assert "no-store" in response["Cache-Control"]
    page = _text(response)
    assert "this is the only time it is shown" in page
    found = re.search(r'<code id="scim-token">([^<]+)</code>', page)
    assert found is not None
    return found.group(1)


def _scim(tenant: Any, setup: SsoSetup, token: str) -> httpx.Client:
    assert setup.connection is not None
    base = f"{tenant.url}/scim/v2/connections/{setup.connection.auth0_id}"
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_enable_and_endpoint_url(client: Client, imported_tenant: Any) -> None:
    setup = _enabled_setup(client, imported_tenant)
    assert setup.connection is not None
    config = imported_tenant.app.state.scim_configurations[setup.connection.auth0_id]
    assert config.user_id_attribute == "externalId"
    page = _text(client.get(_url("scim", setup)))
    endpoint = f"{imported_tenant.url}/scim/v2/connections/{setup.connection.auth0_id}"
    assert endpoint in page and 'data-copy="#scim-endpoint"' in page
    assert "No token yet" in page and "Okta" in page and "Microsoft Entra ID" in page
    assert AuditEvent.objects.filter(action="scim.enable").exists()


def test_token_provisions_and_deprovisions_a_user(client: Client, imported_tenant: Any) -> None:
    setup = _enabled_setup(client, imported_tenant)
    token = _create_token(client, setup)
    # Shown once: never stored in the database, the session, or later pages.
    assert token not in _text(client.get(_url("scim", setup)))
    for event in AuditEvent.objects.all():
        assert token not in str(event.details) and token not in event.target
    assert all(token not in str(op.payload) for op in SyncOperation.objects.all())
    assert token not in str(dict(client.session.items()))

    with _scim(imported_tenant, setup, token) as scim:
        created = scim.post(
            "/Users",
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "new.hire@acme.test",
                "externalId": "00u-new-hire",
                "emails": [{"value": "new.hire@acme.test", "primary": True}],
                "name": {"givenName": "New", "familyName": "Hire"},
                "active": True,
            },
        )
        assert created.status_code == 201, created.text
        user_id = created.json()["id"]
        users = imported_tenant.app.state.users
        assert users[user_id].connection == setup.connection_name
        assert users[user_id].email == "new.hire@acme.test"
        found = scim.get("/Users", params={"filter": 'userName eq "new.hire@acme.test"'})
        assert found.json()["totalResults"] == 1
        path = f"/Users/{user_id}"
        leave = {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        }
        assert scim.patch(path, json=leave).json()["active"] is False
        assert users[user_id].blocked
        assert scim.delete(path).status_code == 204
        assert user_id not in users

    page = _text(client.get(_url("scim", setup)))
    assert "Not used yet" not in page  # last use is shown
    assert AuditEvent.objects.filter(action="scim.token_create").count() == 1


def test_revoked_token_is_refused(client: Client, imported_tenant: Any) -> None:
    setup = _enabled_setup(client, imported_tenant)
    token = _create_token(client, setup, scopes=["get:users"])
    with _scim(imported_tenant, setup, token) as scim:
        assert scim.get("/Users").status_code == 200
        assert scim.post("/Users", json={"userName": "x@acme.test"}).status_code == 403
    assert setup.connection is not None
    config = imported_tenant.app.state.scim_configurations[setup.connection.auth0_id]
    (token_id,) = config.tokens
    confirm = _text(client.get(_url("scim_token_revoke", setup, token_id)))
    assert "Revoke this SCIM token?" in confirm
    assert client.post(_url("scim_token_revoke", setup, token_id)).status_code == 302
    with _scim(imported_tenant, setup, token) as scim:
        assert scim.get("/Users").status_code == 401
    assert AuditEvent.objects.filter(action="scim.token_revoke").exists()


def test_token_limits_and_refusals(client: Client, imported_tenant: Any) -> None:
    setup = _enabled_setup(client, imported_tenant)
    refused = client.post(_url("scim_token_new", setup), {"lifetime_days": "30"})
    assert "This field is required" in _text(refused)
    new = _url("scim_token_new", setup)
    too_long = client.post(new, {"scopes": ALL_SCOPES, "lifetime_days": "400"})
    assert "less than or equal to 365" in _text(too_long)
    _create_token(client, setup)
    _create_token(client, setup)
    page = _text(client.get(_url("scim", setup)))
    assert "Revoke a token before creating another" in page
    third = client.post(new, {"scopes": ALL_SCOPES, "lifetime_days": "30"})
    assert "Auth0 allows 2 tokens per connection" in _text(third)


def test_disable(client: Client, imported_tenant: Any) -> None:
    setup = _enabled_setup(client, imported_tenant)
    token = _create_token(client, setup)
    assert "Turn off directory provisioning?" in _text(client.get(_url("scim_disable", setup)))
    assert client.post(_url("scim_disable", setup)).status_code == 302
    assert "Being turned off" in _text(client.get(_url("scim", setup)))
    assert "succeeded" in drain()
    assert setup.connection is not None
    assert setup.connection.auth0_id not in imported_tenant.app.state.scim_configurations
    assert "Turn on directory provisioning" in _text(client.get(_url("scim", setup)))
    with _scim(imported_tenant, setup, token) as scim:
        assert scim.get("/Users").status_code == 404
