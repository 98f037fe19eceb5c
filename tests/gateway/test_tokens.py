"""The shared Management API token: fetched from the sandbox once, cached, shared, invalidated."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from orgs.auth0 import tokens
from orgs.auth0.errors import Auth0Error
from portal.coordination import coordination_store
from sandbox import SandboxApp, create_app

BASE = "http://sandbox.test"
SECRET = "sandbox-portal-m2m-secret"

pytestmark = pytest.mark.usefixtures("coordination")


@pytest.fixture(autouse=True)
def tenant(settings: object) -> None:
    settings.AUTH0_DOMAIN = BASE  # type: ignore[attr-defined]
    settings.AUTH0_MGMT_CLIENT_ID = "sandbox-portal-m2m"  # type: ignore[attr-defined]
    settings.AUTH0_MGMT_CLIENT_SECRET = SECRET  # type: ignore[attr-defined]
    settings.AUTH0_MGMT_AUDIENCE = ""  # type: ignore[attr-defined]


@pytest.fixture
def sandbox() -> SandboxApp:
    return create_app(base_url=BASE, seed="demo")


@pytest.fixture
def http(sandbox: SandboxApp) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox)) as client:
        yield client


def token_fetches(sandbox: SandboxApp) -> int:
    return sum(sandbox.stats.describe()["routes"].get("POST /oauth/token", {}).values())


def add_fault(http: httpx.Client, **rule: object) -> None:
    http.post(f"{BASE}/__sandbox__/faults", json=rule).raise_for_status()


def test_the_token_is_accepted_by_the_management_api(http: httpx.Client) -> None:
    token = tokens.management_token(http=http)
    response = http.get(f"{BASE}/api/v2/clients", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_it_is_fetched_once_then_served_from_the_shared_cache(
    http: httpx.Client, sandbox: SandboxApp
) -> None:
    first = tokens.management_token(http=http)
    # Another worker: no HTTP client at all, so it can only come from the store.
    assert tokens.management_token() == first
    assert token_fetches(sandbox) == 1
    ttl = coordination_store().pttl(tokens.TOKEN_KEY) / 1000
    assert 86400 - 300 - 5 < ttl <= 86400 - 300


def test_the_cached_token_is_encrypted_in_the_store(http: httpx.Client) -> None:
    token = tokens.management_token(http=http)
    stored = coordination_store().get(tokens.TOKEN_KEY)
    assert stored
    assert token.encode() not in stored


def test_concurrent_misses_make_a_single_fetch(sandbox: SandboxApp, http: httpx.Client) -> None:
    # A slow /oauth/token, so every thread misses the cache while the first one fetches.
    add_fault(http, action="delay", method="POST", path="^/oauth/token$", delay=0.3)
    start = threading.Barrier(6)
    seen: list[str] = []

    def worker() -> None:
        with httpx.Client(transport=httpx.WSGITransport(app=sandbox)) as own:
            start.wait()
            seen.append(tokens.management_token(http=own))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 6
    assert len(set(seen)) == 1
    assert token_fetches(sandbox) == 1


def test_invalidate_makes_the_next_call_fetch_a_new_token(
    http: httpx.Client, sandbox: SandboxApp
) -> None:
    old = tokens.management_token(http=http)
    tokens.invalidate(old)
    new = tokens.management_token(http=http)
    assert new != old
    assert token_fetches(sandbox) == 2


def test_a_late_401_for_an_old_token_keeps_the_fresh_one(
    http: httpx.Client, sandbox: SandboxApp
) -> None:
    old = tokens.management_token(http=http)
    tokens.invalidate(old)
    fresh = tokens.management_token(http=http)
    tokens.invalidate(old)  # another worker's 401, from before the refresh
    assert tokens.management_token(http=http) == fresh
    assert token_fetches(sandbox) == 2


def test_a_wrong_secret_is_a_clear_non_retryable_error_that_never_shows_the_secret(
    http: httpx.Client, settings: object
) -> None:
    settings.AUTH0_MGMT_CLIENT_SECRET = "wrong-secret"  # type: ignore[attr-defined]
    with pytest.raises(Auth0Error) as caught:
        tokens.management_token(http=http)
    error = caught.value
    assert (error.status, error.code, error.retryable) == (401, "access_denied", False)
    assert "wrong-secret" not in str(error) + repr(error)
    assert coordination_store().get(tokens.TOKEN_KEY) is None


def test_an_outage_of_the_token_endpoint_is_retryable(http: httpx.Client) -> None:
    add_fault(http, action="status", method="POST", path="^/oauth/token$", status=503)
    with pytest.raises(Auth0Error) as caught:
        tokens.management_token(http=http)
    assert caught.value.status == 503
    assert caught.value.retryable


def test_an_unreachable_tenant_is_a_retryable_transport_error(settings: object) -> None:
    settings.AUTH0_DOMAIN = "http://127.0.0.1:9"  # type: ignore[attr-defined]
    settings.AUTH0_TIMEOUT = 2.0  # type: ignore[attr-defined]
    with pytest.raises(Auth0Error) as caught:
        tokens.management_token()
    assert caught.value.retryable
    assert caught.value.code in ("transport_error", "timeout")
    assert SECRET not in str(caught.value)


def test_a_token_cached_under_another_secret_key_is_refetched(
    http: httpx.Client, sandbox: SandboxApp, settings: object
) -> None:
    tokens.management_token(http=http)
    settings.SECRET_KEY = "rotated"  # type: ignore[attr-defined]
    tokens.management_token(http=http)
    assert token_fetches(sandbox) == 2


def test_a_bare_domain_means_https_and_the_default_audience_follows_it(
    settings: object,
) -> None:
    settings.AUTH0_DOMAIN = "tenant.eu.auth0.com"  # type: ignore[attr-defined]
    assert tokens.auth0_base_url() == "https://tenant.eu.auth0.com"
    assert tokens.management_audience() == "https://tenant.eu.auth0.com/api/v2/"
    settings.AUTH0_MGMT_AUDIENCE = "https://custom/api/v2/"  # type: ignore[attr-defined]
    assert tokens.management_audience() == "https://custom/api/v2/"
