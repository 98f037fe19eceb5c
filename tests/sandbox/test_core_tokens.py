"""/oauth/token (client credentials) and the bearer check on every /api/v2 call."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest
from auth0.management.errors import ForbiddenError, UnauthorizedError

from sandbox import SandboxApp
from sandbox.seed import PORTAL_M2M_CLIENT_ID, PORTAL_M2M_CLIENT_SECRET, PORTAL_SCOPES

from .conftest import BASE, FakeClock

AUDIENCE = f"{BASE}/api/v2/"
CREDS = {
    "grant_type": "client_credentials",
    "client_id": PORTAL_M2M_CLIENT_ID,
    "client_secret": PORTAL_M2M_CLIENT_SECRET,
    "audience": AUDIENCE,
}


@pytest.mark.parametrize("as_json", [False, True])
def test_client_credentials_form_or_json(
    http: httpx.Client, sandbox: SandboxApp, as_json: bool
) -> None:
    response = (
        http.post("/oauth/token", json=CREDS) if as_json else http.post("/oauth/token", data=CREDS)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
    assert set(PORTAL_SCOPES) <= set(body["scope"].split())
    assert response.headers["cache-control"] == "no-store"
    claims = sandbox.keys.decode(body["access_token"])
    assert claims["iss"] == f"{BASE}/" and claims["aud"] == AUDIENCE
    assert claims["sub"] == f"{PORTAL_M2M_CLIENT_ID}@clients"
    assert claims["gty"] == "client-credentials"
    assert [e.type for e in sandbox.state.logs] == ["seccft"]


def test_basic_auth_and_requested_scope_subset(http: httpx.Client) -> None:
    basic = base64.b64encode(f"{PORTAL_M2M_CLIENT_ID}:{PORTAL_M2M_CLIENT_SECRET}".encode())
    response = http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "audience": AUDIENCE,
            "scope": "read:organizations",
        },
        headers={"Authorization": "Basic " + basic.decode()},
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "read:organizations"


@pytest.mark.parametrize(
    ("change", "status", "error", "fragment"),
    [
        ({"client_secret": "wrong"}, 401, "access_denied", "Unauthorized"),
        ({"client_id": "nobody"}, 401, "access_denied", "Unauthorized"),
        ({"audience": None}, 403, "access_denied", "No audience parameter"),
        ({"audience": "https://other.test/api/"}, 403, "access_denied", "Service not found"),
        ({"scope": "read:everything"}, 403, "access_denied", "not been granted scopes"),
        ({"grant_type": None}, 400, "invalid_request", "grant_type"),
        (
            {"grant_type": "urn:ietf:params:oauth:grant-type:device_code"},
            400,
            "unsupported_grant_type",
            "device_code",
        ),
    ],
)
def test_token_errors(
    http: httpx.Client,
    sandbox: SandboxApp,
    change: dict[str, str | None],
    status: int,
    error: str,
    fragment: str,
) -> None:
    data = {**CREDS, **change}
    response = http.post("/oauth/token", data={k: v for k, v in data.items() if v is not None})
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == error and fragment in body["error_description"]
    if data.get("grant_type") == "client_credentials":
        assert sandbox.state.logs[-1].type == "feccft"


def test_client_without_grant_is_refused(http: httpx.Client) -> None:
    # The portal's login client is a regular web app with no client grant.
    response = http.post(
        "/oauth/token",
        data={
            **CREDS,
            "client_id": "sandbox-portal-login",
            "client_secret": "sandbox-portal-login-secret",
        },
    )
    assert response.status_code == 403
    assert response.json()["error"] in ("access_denied", "unauthorized_client")


def test_configured_m2m_client_is_created(make_sandbox: Callable[..., SandboxApp]) -> None:
    app = make_sandbox(seed=None, m2m_client_id="ci-m2m", m2m_client_secret="ci-secret")
    assert set(app.state.clients) == {"ci-m2m"}
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE) as http:
        response = http.post(
            "/oauth/token",
            data={**CREDS, "client_id": "ci-m2m", "client_secret": "ci-secret"},
        )
    assert response.status_code == 200


def test_missing_token_is_401(http: httpx.Client) -> None:
    response = http.get("/api/v2/organizations")
    assert response.status_code == 401
    assert response.json() == {
        "statusCode": 401,
        "error": "Unauthorized",
        "message": "Missing authentication",
    }


@pytest.mark.parametrize("header", ["Bearer nonsense", "Basic abc", "Bearer "])
def test_malformed_token_is_401(http: httpx.Client, header: str) -> None:
    response = http.get("/api/v2/organizations", headers={"Authorization": header})
    assert response.status_code == 401


def test_token_from_another_tenant_is_401(
    http: httpx.Client, make_sandbox: Callable[..., SandboxApp]
) -> None:
    other = make_sandbox(base_url="http://other.test")
    with httpx.Client(transport=httpx.WSGITransport(app=other), base_url="http://other.test") as o:
        token = o.post(
            "/oauth/token", data={**CREDS, "audience": "http://other.test/api/v2/"}
        ).json()["access_token"]
    response = http.get("/api/v2/organizations", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401  # same key (process key), wrong issuer/audience


def test_expired_token_is_401(http: httpx.Client, mgmt_token: str, clock: FakeClock) -> None:
    clock.advance(86401)
    response = http.get("/api/v2/organizations", headers={"Authorization": f"Bearer {mgmt_token}"})
    assert response.status_code == 401
    assert "Expired token" in response.json()["message"]


def test_sdk_sees_401_and_403(
    sdk_for: Callable[..., object], sandbox: SandboxApp, token_for: Callable[..., str]
) -> None:
    anonymous = sdk_for(sandbox, token="not-a-jwt")
    with pytest.raises(UnauthorizedError):
        anonymous.organizations.get("org_x")  # type: ignore[attr-defined]
    reader = sdk_for(sandbox, token=token_for("read:users"))
    with pytest.raises(ForbiddenError) as err:
        reader.organizations.create(name="nope")  # type: ignore[attr-defined]
    assert err.value.body == {
        "statusCode": 403,
        "error": "Forbidden",
        "message": "Insufficient scope, expected any of: create:organizations,"
        "create:organization_connections",
        "errorCode": "insufficient_scope",
    }


def test_any_of_scopes(http: httpx.Client, token_for: Callable[..., str]) -> None:
    token = token_for("read:organizations_summary")
    response = http.get("/api/v2/organizations", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_failed_calls_are_logged_as_fapi(http: httpx.Client, sandbox: SandboxApp) -> None:
    http.post("/api/v2/organizations", json={"name": "x"})
    entry = sandbox.state.logs[-1]
    assert entry.type == "fapi" and entry.details["response"]["statusCode"] == 401


def test_reads_are_not_logged(http: httpx.Client, mgmt_token: str, sandbox: SandboxApp) -> None:
    before = len(sandbox.state.logs)
    http.get("/api/v2/organizations", headers={"Authorization": f"Bearer {mgmt_token}"})
    assert len(sandbox.state.logs) == before


def test_secrets_are_redacted_in_logs(api: httpx.Client, sandbox: SandboxApp) -> None:
    api.post("/api/v2/organizations", json={"name": "Bad Name", "password": "hunter2"})
    assert "hunter2" not in repr(sandbox.state.logs[-1])


def test_unknown_api_path_is_404(api: httpx.Client) -> None:
    response = api.get("/api/v2/nothing-here")
    assert response.status_code == 404 and response.json()["statusCode"] == 404
