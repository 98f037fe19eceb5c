"""Fault injection: status, delay, drop, apply-then-fail; by count and by probability."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.core.api_error import ApiError

from sandbox import SandboxApp

from .conftest import FakeClock, fetch_token, http_client


def add_fault(http: httpx.Client, **rule: object) -> dict[str, object]:
    response = http.post("/__sandbox__/faults", json=rule)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_status_fault_skips_the_handler(
    http: httpx.Client, mgmt: Auth0, sandbox: SandboxApp
) -> None:
    add_fault(http, method="POST", path="^/api/v2/organizations$", status=503, times=1)
    # POST /organizations documents no 503, so the SDK raises its generic ApiError
    with pytest.raises(ApiError) as err:
        mgmt.organizations.create(name="faulty")
    assert err.value.status_code == 503
    assert "x-ratelimit-remaining" in (err.value.headers or {})
    assert err.value.body == {
        "statusCode": 503,
        "error": "Service Unavailable",
        "message": "Service Unavailable",
    }
    assert sandbox.state.organization_by_name("faulty") is None
    mgmt.organizations.create(name="faulty")  # `times: 1` is used up
    assert sandbox.state.organization_by_name("faulty") is not None


def test_429_fault_looks_like_auth0(api: httpx.Client, http: httpx.Client) -> None:
    add_fault(http, path="organizations", status=429, times=1)
    response = api.get("/api/v2/organizations")
    assert response.status_code == 429
    assert response.json()["errorCode"] == "too_many_requests"
    assert response.headers["x-ratelimit-remaining"] == "0"


def test_fault_on_the_token_endpoint_is_oauth_shaped(http: httpx.Client) -> None:
    add_fault(http, path="^/oauth/token$", status=500)
    response = http.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"


def test_delay_then_normal_answer(api: httpx.Client, http: httpx.Client, clock: FakeClock) -> None:
    add_fault(http, action="delay", delay=2.5, path="organizations")
    assert api.get("/api/v2/organizations").status_code == 200
    assert clock.slept == [2.5]


def test_delay_really_waits_with_the_real_sleep(
    make_sandbox: Callable[..., SandboxApp],
) -> None:
    import time

    app = make_sandbox(sleep=time.sleep)
    with http_client(app) as http:
        add_fault(http, action="delay", delay=0.05, path="^/oauth/token$")
        started = time.monotonic()
        fetch_token(app)
        assert time.monotonic() - started >= 0.05


def test_drop_is_a_transport_error(api: httpx.Client, http: httpx.Client, mgmt: Auth0) -> None:
    add_fault(http, action="drop", path="organizations", times=2)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/api/v2/organizations")
    with pytest.raises(httpx.TransportError):
        mgmt.organizations.get("org_x")
    assert api.get("/api/v2/organizations").status_code == 200


def test_apply_then_fail_with_500_keeps_the_change(
    http: httpx.Client, mgmt: Auth0, sandbox: SandboxApp
) -> None:
    add_fault(http, action="apply_then_fail", method="POST", path="^/api/v2/organizations$")
    with pytest.raises(ApiError) as err:
        mgmt.organizations.create(name="ghost", metadata={"portal_id": "7"})
    assert err.value.status_code == 500
    created = sandbox.state.organization_by_name("ghost")
    assert created is not None and created.metadata == {"portal_id": "7"}
    # the naive retry now collides with what the lost response created
    response = http.get("/__sandbox__/stats").json()
    assert response["routes"]["POST /api/v2/organizations"] == {"201": 1}


def test_apply_then_drop_keeps_the_change(
    http: httpx.Client, mgmt: Auth0, sandbox: SandboxApp
) -> None:
    add_fault(
        http, action="apply_then_fail", then="drop", method="POST", path="/invitations$", times=1
    )
    acme = sandbox.state.organization_by_name("acme")
    assert acme is not None
    with pytest.raises(httpx.TransportError):
        mgmt.organizations.invitations.create(
            acme.id,
            inviter={"name": "A"},
            invitee={"email": "lost@acme.test"},
            client_id="sandbox-demo-app",
        )
    assert [i.invitee_email for i in acme.invitations.values()] == ["lost@acme.test"]
    assert sandbox.state.emails[-1].to == "lost@acme.test"


def test_count_with_after(api: httpx.Client, http: httpx.Client) -> None:
    add_fault(http, path="organizations", status=500, after=2, times=2)
    statuses = [api.get("/api/v2/organizations").status_code for _ in range(6)]
    assert statuses == [200, 200, 500, 500, 200, 200]
    (rule,) = http.get("/__sandbox__/faults").json()["faults"]
    assert rule["matched"] == 6 and rule["fired"] == 2


def test_probability_is_seeded_and_replayable(
    make_sandbox: Callable[..., SandboxApp],
) -> None:
    def run(seed: int) -> list[int]:
        app = make_sandbox(random_seed=seed)
        token = fetch_token(app)
        with http_client(app, headers={"Authorization": f"Bearer {token}"}) as client:
            add_fault(client, path="^/api/v2/roles|organizations$", status=500, probability=0.5)
            return [client.get("/api/v2/organizations").status_code for _ in range(40)]

    first, again, other = run(1), run(1), run(2)
    assert first == again
    assert first != other
    assert 5 < first.count(500) < 35


def test_method_filter(api: httpx.Client, http: httpx.Client) -> None:
    add_fault(http, method="DELETE", path="organizations", status=500)
    assert api.get("/api/v2/organizations").status_code == 200


def test_first_matching_rule_wins_and_rules_can_be_removed(
    api: httpx.Client, http: httpx.Client
) -> None:
    first = add_fault(http, path="organizations", status=502)
    add_fault(http, path="organizations", status=504)
    assert api.get("/api/v2/organizations").status_code == 502
    assert http.delete(f"/__sandbox__/faults/{first['id']}").status_code == 204
    assert api.get("/api/v2/organizations").status_code == 504
    assert http.delete(f"/__sandbox__/faults/{first['id']}").status_code == 404
    assert http.delete("/__sandbox__/faults").status_code == 204
    assert api.get("/api/v2/organizations").status_code == 200
    assert http.get("/__sandbox__/faults").json() == {"faults": []}


def test_faulted_calls_take_no_rate_limit_tokens(
    api: httpx.Client, http: httpx.Client, sandbox: SandboxApp
) -> None:
    add_fault(http, path="organizations", status=500, times=3)
    for _ in range(3):
        api.get("/api/v2/organizations")
    assert sandbox.limiter.buckets["global"].remaining() == 50


def test_control_routes_are_never_faulted(http: httpx.Client) -> None:
    add_fault(http, path=".*", status=500)
    assert http.get("/__sandbox__/stats").status_code == 200


@pytest.mark.parametrize(
    "rule",
    [
        {"action": "explode"},
        {"path": "("},
        {"status": 99},
        {"probability": 1.5},
        {"times": 0},
        {"after": -1},
        {"delay": "slow"},
        {"then": "nothing"},
        {"unknown": 1},
        [],
    ],
)
def test_rule_validation(http: httpx.Client, rule: object) -> None:
    response = http.post("/__sandbox__/faults", json=rule)
    assert response.status_code == 400
