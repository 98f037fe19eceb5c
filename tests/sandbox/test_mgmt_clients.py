"""Clients through the real SDK: create (secret, defaults), get/list with scope-dependent
fields, PATCH replacing arrays whole and merging client_metadata, validation, delete."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.errors import BadRequestError, ForbiddenError, NotFoundError

from sandbox import SandboxApp
from sandbox.seed import DEMO_APP_CLIENT_ID

from .mgmt_support import Raw, error_of
from .openapi import OpenAPIValidator


@pytest.fixture
def raw(http: httpx.Client, openapi: OpenAPIValidator, mgmt_token: str) -> Raw:
    return Raw(http, openapi, mgmt_token)


def test_create_generates_id_secret_and_defaults(mgmt: Auth0) -> None:
    web = mgmt.clients.create(
        name="Acme Portal",
        app_type="regular_web",
        callbacks=["https://acme.test/callback"],
        initiate_login_uri="https://acme.test/login",
        organization_usage="require",
        organization_require_behavior="post_login_prompt",
        client_metadata={"portal_id": "9"},
    )
    assert web.client_id and len(web.client_id) == 32
    assert web.client_secret and len(web.client_secret) >= 32
    assert web.token_endpoint_auth_method == "client_secret_post"
    assert web.grant_types == ["authorization_code", "implicit", "refresh_token",
                               "client_credentials"]  # fmt: skip
    assert web.organization_usage == "require"
    assert web.initiate_login_uri == "https://acme.test/login"
    assert web.client_metadata == {"portal_id": "9"}

    spa = mgmt.clients.create(name="Acme SPA", app_type="spa")
    assert spa.token_endpoint_auth_method == "none"
    assert spa.grant_types == ["authorization_code", "implicit", "refresh_token"]
    m2m = mgmt.clients.create(name="Acme M2M", app_type="non_interactive")
    assert m2m.grant_types == ["client_credentials"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Missing required property: name"),
        ({"name": "<b>Acme</b>"}, "String does not match pattern ^[^<>]+$"),
        ({"name": "x", "description": "d" * 141}, "String is too long (141 chars), maximum 140"),
        ({"name": "x", "app_type": "mainframe"}, "No enum match for"),
        ({"name": "x", "callbacks": "https://a.test"}, "Expected type array"),
        ({"name": "x", "initiate_login_uri": "http://acme.test/login"},
         "absolute-https-uri-with-placeholders-or-empty"),
        ({"name": "x", "organization_usage": "sometimes"}, "on property organization_usage"),
        ({"name": "x", "client_metadata": {str(i): "v" for i in range(11)}},
         "Too many properties defined (11), maximum 10"),
        ({"name": "x", "client_metadata": {"k": "v" * 256}}, "on property client_metadata.k"),
        ({"name": "x", "client_secret": "mine"}, "Additional properties not allowed"),
        ({"name": "x", "colour": "red"}, "Additional properties not allowed: colour"),
    ],
)  # fmt: skip
def test_create_validation(raw: Raw, body: dict[str, object], message: str) -> None:
    response = raw("POST", "/clients", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["errorCode"] == "invalid_body"
    assert message in response.json()["message"]


def test_initiate_login_uri_allows_http_only_on_this_machine(mgmt: Auth0) -> None:
    local = mgmt.clients.create(name="Dev", initiate_login_uri="http://localhost:8000/login")
    assert local.initiate_login_uri == "http://localhost:8000/login"
    loopback = mgmt.clients.update(local.client_id, initiate_login_uri="http://127.0.0.1/x")
    assert loopback.initiate_login_uri == "http://127.0.0.1/x"
    cleared = mgmt.clients.update(local.client_id, initiate_login_uri="")
    assert cleared.initiate_login_uri is None
    with pytest.raises(BadRequestError):
        mgmt.clients.update(local.client_id, initiate_login_uri="http://dev.acme.test/login")


def test_update_replaces_arrays_and_merges_metadata(mgmt: Auth0) -> None:
    client = mgmt.clients.create(
        name="Acme",
        callbacks=["https://a.test/cb", "https://b.test/cb"],
        allowed_logout_urls=["https://a.test/"],
        web_origins=["https://a.test"],
        client_metadata={"keep": "1", "drop": "2"},
    )
    updated = mgmt.clients.update(
        client.client_id,
        callbacks=["https://c.test/cb"],
        web_origins=[],
        grant_types=["authorization_code"],
        client_metadata={"drop": None, "new": "3"},
    )
    assert updated.callbacks == ["https://c.test/cb"]  # replaced, not appended
    assert updated.web_origins == []
    assert updated.allowed_logout_urls == ["https://a.test/"]  # not sent, kept
    assert updated.grant_types == ["authorization_code"]
    assert updated.client_metadata == {"keep": "1", "new": "3"}  # merged per key
    reset = mgmt.clients.update(client.client_id, organization_usage=None)
    assert reset.organization_usage == "deny"

    too_many = {f"k{i}": "v" for i in range(9)}
    with pytest.raises(BadRequestError) as excinfo:
        mgmt.clients.update(client.client_id, client_metadata=too_many)
    assert "Too many properties defined (11), maximum 10" in error_of(excinfo)["message"]


def test_secret_visibility_follows_scopes(
    mgmt: Auth0, sdk_for: Callable[..., Auth0], sandbox: SandboxApp, token_for: Callable[..., str]
) -> None:
    assert mgmt.clients.get(DEMO_APP_CLIENT_ID).client_secret  # portal holds read:client_keys
    reader = sdk_for(sandbox, token_for("read:clients"))
    fetched = reader.clients.get(DEMO_APP_CLIENT_ID)
    assert fetched.client_secret is None and fetched.callbacks
    summary = sdk_for(sandbox, token_for("read:client_summary")).clients.get(DEMO_APP_CLIENT_ID)
    assert set(summary.model_dump(exclude_none=True)) == {
        "client_id", "app_type", "name", "description"
    }  # fmt: skip
    listed = list(reader.clients.list())
    assert listed and all(c.client_secret is None for c in listed)


def test_secret_changes_need_update_client_keys(
    mgmt: Auth0, sdk_for: Callable[..., Auth0], sandbox: SandboxApp, token_for: Callable[..., str]
) -> None:
    writer = sdk_for(sandbox, token_for("update:clients"))
    with pytest.raises(ForbiddenError) as excinfo:
        writer.clients.update(DEMO_APP_CLIENT_ID, client_secret="s" * 40)
    assert error_of(excinfo)["errorCode"] == "insufficient_scope"
    assert writer.clients.update(DEMO_APP_CLIENT_ID, name="Renamed").name == "Renamed"
    before = mgmt.clients.get(DEMO_APP_CLIENT_ID).client_secret
    rotated = mgmt.clients.rotate_secret(DEMO_APP_CLIENT_ID)
    assert rotated.client_secret and rotated.client_secret != before
    assert sandbox.state.clients[DEMO_APP_CLIENT_ID].client_secret == rotated.client_secret


def test_list_paging_filters_and_fields(mgmt: Auth0, raw: Raw) -> None:
    for i in range(3):
        mgmt.clients.create(name=f"Extra {i}", app_type="spa")
    every = list(mgmt.clients.list(per_page=2))  # offset pager, include_totals=true
    assert len(every) == len(raw("GET", "/clients").json())
    spas = list(mgmt.clients.list(app_type="spa"))
    assert sorted(c.name for c in spas) == ["Extra 0", "Extra 1", "Extra 2"]
    slim = raw("GET", "/clients", params={"fields": "client_id,name", "app_type": "spa"}).json()
    assert all(set(c) == {"client_id", "name"} for c in slim)
    first = raw("GET", "/clients", params={"take": 2}).json()
    assert len(first["clients"]) == 2 and first["next"]
    rest = raw("GET", "/clients", params={"take": 100, "from": first["next"]}).json()
    assert "next" not in rest and len(first["clients"]) + len(rest["clients"]) == len(every)
    queried = raw("GET", "/clients", params={"q": 'name:"Extra 1"'}).json()
    assert [c["name"] for c in queried] == ["Extra 1"]


def test_delete_and_404(mgmt: Auth0, raw: Raw) -> None:
    client = mgmt.clients.create(name="Temporary")
    mgmt.clients.delete(client.client_id)
    with pytest.raises(NotFoundError) as excinfo:
        mgmt.clients.get(client.client_id)
    body = error_of(excinfo)
    assert body["errorCode"] == "inexistent_client"
    assert raw("DELETE", f"/clients/{client.client_id}").status_code == 204  # as Auth0 does
    with pytest.raises(NotFoundError):
        mgmt.clients.update(client.client_id, name="x")


def test_scopes_are_enforced(sdk_for: Callable[..., Auth0], sandbox: SandboxApp,
                             token_for: Callable[..., str]) -> None:  # fmt: skip
    reader = sdk_for(sandbox, token_for("read:clients"))
    for call in (
        lambda: reader.clients.create(name="x"),
        lambda: reader.clients.update(DEMO_APP_CLIENT_ID, name="x"),
        lambda: reader.clients.delete(DEMO_APP_CLIENT_ID),
    ):
        with pytest.raises(ForbiddenError) as excinfo:
            call()
        assert error_of(excinfo)["errorCode"] == "insufficient_scope"
    nothing = sdk_for(sandbox, token_for("read:users"))
    with pytest.raises(ForbiddenError):
        nothing.clients.get(DEMO_APP_CLIENT_ID)
