"""Control routes (/__sandbox__/), snapshots, the demo seed, the OpenAPI validator itself."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from auth0.management.client import Auth0

from sandbox import SandboxApp
from sandbox.passwords import verify_password
from sandbox.seed import (
    DEMO_APP_CLIENT_ID,
    DEMO_CREDENTIALS,
    PORTAL_LOGIN_CLIENT_ID,
    PORTAL_M2M_CLIENT_ID,
    stable_user_id,
)

from .conftest import BASE, fetch_token, http_client, org_id
from .openapi import OpenAPIValidator


def test_index_lists_control_routes(http: httpx.Client) -> None:
    routes = http.get("/__sandbox__/").json()["control_routes"]
    for expected in ("faults", "stats", "reset", "seed", "state", "ratelimits", "token"):
        assert any(f"/__sandbox__/{expected}" in r for r in routes), expected


def test_stats_count_calls_per_route_and_status(api: httpx.Client, http: httpx.Client) -> None:
    api.get("/api/v2/organizations")
    api.get("/api/v2/organizations/org_nope")
    api.get("/api/v2/organizations/org_nope")
    stats = http.get("/__sandbox__/stats").json()
    assert stats["routes"]["GET /api/v2/organizations"] == {"200": 1}
    assert stats["routes"]["GET /api/v2/organizations/{id}"] == {"404": 2}
    assert stats["throttled"] == 0
    assert stats["buckets"]["global"]["remaining"] == 47
    assert http.delete("/__sandbox__/stats").status_code == 204
    assert http.get("/__sandbox__/stats").json()["total"] == 0


def test_state_dump_has_everything_but_the_private_key(http: httpx.Client) -> None:
    state = http.get("/__sandbox__/state").json()
    assert {o["name"] for o in state["organizations"].values()} == {"staff", "acme", "globex"}
    assert "signing_key" not in state
    assert set(state["clients"]) >= {PORTAL_LOGIN_CLIENT_ID, PORTAL_M2M_CLIENT_ID}


def test_reset_to_empty_and_to_the_seed(
    http: httpx.Client, mgmt: Auth0, sandbox: SandboxApp
) -> None:
    mgmt.organizations.create(name="temp")
    http.post("/__sandbox__/faults", json={"path": "nothing"})
    assert http.post("/__sandbox__/reset", json={}).status_code == 200
    assert sandbox.state.organizations == {} and sandbox.state.clients == {}
    assert sandbox.faults.rules == []
    assert http.post("/__sandbox__/reset", json={"seed": "demo"}).status_code == 200
    assert {o.name for o in sandbox.state.organizations.values()} == {"staff", "acme", "globex"}
    # tokens issued before the reset still verify: the signing key is kept
    assert [o.name for o in mgmt.organizations.list()] != []


def test_reset_keeps_the_configured_m2m_client(make_sandbox: Callable[..., SandboxApp]) -> None:
    app = make_sandbox(m2m_client_id="ci", m2m_client_secret="s")
    with http_client(app) as http:
        http.post("/__sandbox__/reset", json={})
    assert set(app.state.clients) == {"ci"}
    assert app.state.client_grants


def test_seed_is_idempotent_and_unknown_seeds_fail(http: httpx.Client, sandbox: SandboxApp) -> None:
    before = len(sandbox.state.users)
    assert http.post("/__sandbox__/seed", json={"name": "demo"}).status_code == 200
    assert len(sandbox.state.users) == before
    assert http.post("/__sandbox__/seed", json={"name": "nope"}).status_code == 400
    assert http.post("/__sandbox__/reset", json={"seed": "nope"}).status_code == 400


def test_demo_seed_contents(sandbox: SandboxApp) -> None:
    state = sandbox.state
    login = state.clients[PORTAL_LOGIN_CLIENT_ID]
    assert login.name == "Organization Admin Portal" and login.app_type == "regular_web"
    assert login.client_secret == "sandbox-portal-login-secret"
    assert login.callbacks == [
        "http://127.0.0.1:8000/auth/callback",
        "http://localhost:8000/auth/callback",
    ]
    assert login.allowed_logout_urls == ["http://127.0.0.1:8000/", "http://localhost:8000/"]
    assert login.organization_usage == "allow"
    demo = state.clients[DEMO_APP_CLIENT_ID]
    assert demo.organization_usage == "require"
    assert demo.initiate_login_uri == f"{BASE}/__sandbox__/demo-app/login"
    conn = state.connection_by_name("Username-Password-Authentication")
    assert conn is not None and conn.strategy == "auth0"
    assert set(conn.enabled_clients) == {PORTAL_LOGIN_CLIENT_ID, DEMO_APP_CLIENT_ID}
    assert {r.name for r in state.roles.values()} == {"org-admin", "org-member"}
    expected = {
        "staff@portal.test": ("staff", "org-admin"),
        "admin@acme.test": ("acme", "org-admin"),
        "member@acme.test": ("acme", "org-member"),
        "admin@globex.test": ("globex", "org-admin"),
        "member@globex.test": ("globex", "org-member"),
    }
    for email, (org_name, role_name) in expected.items():
        user = state.users[stable_user_id(email)]
        assert verify_password(DEMO_CREDENTIALS[email], user.password_hash)
        org = state.organizations[org_id(sandbox, org_name)]
        role = state.role_by_name(role_name)
        assert role is not None and org.members[user.user_id].roles == [role.id]
        assert conn.id in org.connections
    assert state.organizations[org_id(sandbox, "acme")].display_name == "Acme Corp"
    assert state.organizations[org_id(sandbox, "globex")].display_name == "Globex Inc"


def test_snapshot_round_trip(make_sandbox: Callable[..., SandboxApp], tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = make_sandbox(state_file=str(path))
    token = fetch_token(first)
    with http_client(first, headers={"Authorization": f"Bearer {token}"}) as api:
        assert api.post("/api/v2/organizations", json={"name": "kept"}).status_code == 201
    data = json.loads(path.read_text())
    assert any(o["name"] == "kept" for o in data["organizations"].values())
    assert "BEGIN PRIVATE KEY" in data["signing_key"]["private_pem"]

    second = make_sandbox(state_file=str(path))
    kept = second.state.organization_by_name("kept")
    assert kept is not None and kept.connections == {}
    acme = second.state.organization_by_name("acme")
    assert acme is not None and all(m.roles for m in acme.members.values())
    # the same key: a token from before the restart still works
    with http_client(second, headers={"Authorization": f"Bearer {token}"}) as api:
        assert api.get(f"/api/v2/organizations/{kept.id}").status_code == 200


def test_test_token_route_mints_exact_scopes(http: httpx.Client, sandbox: SandboxApp) -> None:
    body = http.post(
        "/__sandbox__/token", json={"scopes": ["read:organizations"], "expires_in": 5}
    ).json()
    claims = sandbox.keys.decode(body["access_token"])
    assert claims["scope"] == "read:organizations" and claims["exp"] - claims["iat"] == 5


def test_demo_app_pages(http: httpx.Client) -> None:
    assert "Demo SaaS App" in http.get("/__sandbox__/demo-app/").text
    login = http.get("/__sandbox__/demo-app/login", params={"organization": "org_1"})
    assert login.status_code == 302 and "organization=org_1" in login.headers["location"]
    done = http.get("/__sandbox__/demo-app/callback", params={"code": "abc"})
    assert "abc" in done.text
    failed = http.get("/__sandbox__/demo-app/callback", params={"error": "access_denied"})
    assert failed.status_code == 400


def test_validator_rejects_a_body_that_breaks_the_schema(openapi: OpenAPIValidator) -> None:
    openapi.validate("GET", "/api/v2/organizations/org_1", 200, {"id": "org_1", "name": "ok"})
    with pytest.raises(AssertionError, match="does not match Auth0's schema"):
        openapi.validate("GET", "/api/v2/organizations/org_1", 200, {"id": 5})
    with pytest.raises(AssertionError, match="does not list"):
        openapi.validate("POST", "/api/v2/organizations", 200, {"id": "org_1"})
    with pytest.raises(AssertionError, match="does not match"):
        openapi.validate(
            "GET", "/organizations/{id}/discovery-domains", 200, {"domains": [], "extra": 1}
        )


def test_sdk_fixture_validates_every_response(mgmt: Auth0, openapi: OpenAPIValidator) -> None:
    mgmt.organizations.get_by_name("acme")
    list(mgmt.organizations.list())
    assert ("GET", "/organizations/name/{name}", 200) in openapi.checked
    assert ("GET", "/organizations", 200) in openapi.checked


def test_missing_openapi_document_skips_locally_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from . import openapi as module

    absent = tmp_path / "management-api.openapi.json"
    monkeypatch.setattr(module, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="not found"):
        module.require_openapi(absent)
    monkeypatch.setattr(module, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        module.require_openapi(absent)


def test_every_seeded_client_has_its_own_name(make_sandbox: Callable[..., SandboxApp]) -> None:
    # deploy-cli matches clients by name: a configured M2M client beside the seed's must
    # not share its name.
    app = make_sandbox(m2m_client_id="ci", m2m_client_secret="s")
    names = [c.name for c in app.state.clients.values()]
    assert len(names) == 4 and len(set(names)) == 4
    assert app.state.clients["ci"].name == "Organization Admin Portal (Management API) ci"
