"""Token-bucket rate limits: headers, 429s, endpoint buckets, refill, configuration."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.errors import TooManyRequestsError

from sandbox import SandboxApp
from sandbox.ratelimit import RateLimiter

from .conftest import START, FakeClock, fetch_token, http_client, org_id

TOO_MANY = {
    "statusCode": 429,
    "error": "Too Many Requests",
    "message": "Global limit has been reached",
    "errorCode": "too_many_requests",
}


def limits(response: httpx.Response) -> tuple[int, int, int]:
    h = response.headers
    return (
        int(h["x-ratelimit-limit"]),
        int(h["x-ratelimit-remaining"]),
        int(h["x-ratelimit-reset"]),
    )


def test_headers_on_every_management_response(api: httpx.Client) -> None:
    ok = api.get("/api/v2/organizations")
    assert limits(ok) == (50, 49, int(START) + 1)
    missing = api.get("/api/v2/organizations/org_nope")
    assert missing.status_code == 404 and limits(missing)[1] == 48


def test_global_bucket_empties_then_refills(
    make_sandbox: Callable[..., SandboxApp], clock: FakeClock
) -> None:
    app = make_sandbox(rate=2, burst=3)
    token = fetch_token(app)
    with http_client(app, headers={"Authorization": f"Bearer {token}"}) as api:
        remaining = [limits(api.get("/api/v2/organizations"))[1] for _ in range(3)]
        assert remaining == [2, 1, 0]
        refused = api.get("/api/v2/organizations")
        assert refused.status_code == 429 and refused.json() == TOO_MANY
        limit, left, reset = limits(refused)
        assert (limit, left) == (3, 0) and reset == int(START) + 2  # 3 tokens at 2/s
        # a refused call takes nothing: half a second brings back exactly one token
        clock.advance(0.5)
        assert api.get("/api/v2/organizations").status_code == 200
        assert api.get("/api/v2/organizations").status_code == 429
        clock.advance(10)
        assert limits(api.get("/api/v2/organizations"))[1] == 2  # full again, minus one
    assert app.stats.throttled == 2
    entries = [e for e in app.state.logs if e.type == "api_limit"]
    assert len(entries) == 2 and entries[0].details["bucket"] == "global"


def test_organization_writes_bucket(mgmt: Auth0, sandbox: SandboxApp, clock: FakeClock) -> None:
    for i in range(5):
        mgmt.organizations.create(name=f"burst-{i}")
    with pytest.raises(TooManyRequestsError) as err:
        mgmt.organizations.create(name="burst-5")
    assert err.value.body == TOO_MANY
    headers = err.value.headers or {}
    assert headers["x-ratelimit-limit"] == "5" and headers["x-ratelimit-remaining"] == "0"
    # reads are not organization writes, and the global bucket still has tokens
    assert len(list(mgmt.organizations.list())) == 8
    clock.advance(0.4)  # 150/min = 2.5/s: one token back after 0.4 s
    mgmt.organizations.create(name="burst-5")
    throttled = [e for e in sandbox.state.logs if e.type == "api_limit"]
    assert [e.details["bucket"] for e in throttled] == ["organization_writes"]


def test_headers_describe_the_most_constraining_bucket(
    api: httpx.Client, sandbox: SandboxApp
) -> None:
    response = api.patch(f"/api/v2/organizations/{org_id(sandbox, 'acme')}", json={})
    assert limits(response)[:2] == (5, 4)  # organization_writes, not global (50, 49)


@pytest.mark.parametrize(
    ("method", "path", "bucket"),
    [
        ("POST", "/api/v2/organizations", "organization_writes"),
        ("PATCH", "/api/v2/organizations/org_1", "organization_writes"),
        ("DELETE", "/api/v2/organizations/org_1", "organization_writes"),
        (
            "POST",
            "/api/v2/organizations/org_1/enabled_connections",
            "organization_connection_writes",
        ),
        (
            "DELETE",
            "/api/v2/organizations/org_1/enabled_connections/con_1",
            "organization_connection_writes",
        ),
        (
            "PATCH",
            "/api/v2/organizations/org_1/connections/con_1",
            "organization_connection_writes",
        ),
        ("POST", "/api/v2/organizations/org_1/invitations", "invitations"),
        ("DELETE", "/api/v2/organizations/org_1/invitations/uinv_1", "invitations"),
        ("POST", "/api/v2/organizations/org_1/members/auth0|1/roles", "member_roles"),
        ("DELETE", "/api/v2/organizations/org_1/members/auth0|1/roles", "member_roles"),
    ],
)
def test_endpoint_groups(method: str, path: str, bucket: str) -> None:
    assert RateLimiter.groups_for(method, path) == [bucket]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v2/organizations"),
        ("GET", "/api/v2/organizations/org_1/invitations"),
        ("POST", "/api/v2/organizations/org_1/members"),
        ("GET", "/api/v2/organizations/org_1/members/auth0|1/roles"),
        ("POST", "/api/v2/connections"),
    ],
)
def test_paths_outside_endpoint_groups(method: str, path: str) -> None:
    assert RateLimiter.groups_for(method, path) == []


def test_invitation_bucket_through_the_sdk(
    make_sandbox: Callable[..., SandboxApp], sdk_for: Callable[..., Auth0]
) -> None:
    app = make_sandbox(bucket_overrides={"invitations": {"burst": 2, "rate": 1}})
    sdk = sdk_for(app)
    acme = org_id(app, "acme")
    args = {"inviter": {"name": "A"}, "client_id": "sandbox-demo-app"}
    for i in range(2):
        sdk.organizations.invitations.create(acme, invitee={"email": f"{i}@x.test"}, **args)  # type: ignore[arg-type]
    with pytest.raises(TooManyRequestsError):
        sdk.organizations.invitations.create(acme, invitee={"email": "3@x.test"}, **args)  # type: ignore[arg-type]
    assert len(app.state.organizations[acme].invitations) == 2


def test_endpoint_buckets_can_be_turned_off(
    make_sandbox: Callable[..., SandboxApp], sdk_for: Callable[..., Auth0]
) -> None:
    sdk = sdk_for(make_sandbox(endpoint_buckets=False))
    for i in range(8):
        sdk.organizations.create(name=f"free-{i}")


def test_control_route_changes_rates(
    api: httpx.Client, http: httpx.Client, sandbox: SandboxApp
) -> None:
    response = http.post(
        "/__sandbox__/ratelimits",
        json={"buckets": {"global": {"burst": 1, "per_minute": 60}}, "endpoint_buckets": False},
    )
    assert response.status_code == 200
    described = response.json()
    assert described["endpoint_buckets"] is False
    assert described["buckets"]["global"]["burst"] == 1
    assert described["buckets"]["global"]["rate"] == 1.0
    assert api.get("/api/v2/organizations").status_code == 200
    assert api.get("/api/v2/organizations").status_code == 429
    http.post("/__sandbox__/ratelimits", json={"refill": True})
    assert api.get("/api/v2/organizations").status_code == 200
    levels = http.get("/__sandbox__/ratelimits").json()["buckets"]
    assert levels["global"]["remaining"] == 0


def test_control_route_rejects_unknown_bucket(http: httpx.Client) -> None:
    response = http.post("/__sandbox__/ratelimits", json={"buckets": {"nope": {"burst": 1}}})
    assert response.status_code == 400


def test_unknown_override_is_a_config_error(make_sandbox: Callable[..., SandboxApp]) -> None:
    with pytest.raises(ValueError, match="unknown rate-limit bucket"):
        make_sandbox(bucket_overrides={"nope": {"burst": 1}})


def test_token_endpoint_is_not_metered_by_the_management_buckets(
    make_sandbox: Callable[..., SandboxApp],
) -> None:
    app = make_sandbox(burst=1, rate=0.001)
    for _ in range(3):
        fetch_token(app)
