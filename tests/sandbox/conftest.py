"""Fixtures for sandbox tests: an in-process tenant, raw httpx, the real SDK, validation.

- `clock`: a fake clock (`clock.advance(seconds)`); the sandbox's sleeps advance it too.
- `sandbox`: `create_app(base_url=BASE, seed="demo", clock=clock, sleep=clock.sleep)`.
  Use `make_sandbox(**config)` for other configs (seed=None, other rates, ...).
- `http`: an httpx.Client on the sandbox (base_url BASE), no validation.
- `mgmt_token`: a Management API token for the demo portal M2M client.
- `token_for(*scopes)`: a token with exactly those scopes (for 403 tests).
- `openapi`: the Management API validator (skips locally / fails in CI without the doc).
- `api`: an httpx.Client with the M2M bearer token whose /api/v2 responses are
  validated like the SDK's (for raw calls: offset paging, bad bodies, headers).
- `mgmt`: the real auth0-python client (`auth0.management.client.Auth0`), SDK retries
  off, every response validated against Auth0's OpenAPI schema by an httpx hook.
- `sdk_for(app, token=...)`: the same for another app or token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from auth0.management.client import Auth0

from sandbox import SandboxApp, create_app
from sandbox.seed import PORTAL_M2M_CLIENT_ID, PORTAL_M2M_CLIENT_SECRET

from .openapi import MGMT_DOC, OpenAPIValidator, load_document, require_openapi

BASE = "http://sandbox.test"
START = 1_780_000_000.0  # 2026-05-28: a fixed "now" so dates in assertions are stable


class FakeClock:
    """Time for the sandbox under test: moves only when told, or when it "sleeps"."""

    def __init__(self, start: float = START) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_sandbox(clock: FakeClock) -> Callable[..., SandboxApp]:
    def make(**config: Any) -> SandboxApp:
        config.setdefault("base_url", BASE)
        config.setdefault("seed", "demo")
        config.setdefault("clock", clock)
        config.setdefault("sleep", clock.sleep)
        return create_app(**config)

    return make


@pytest.fixture
def sandbox(make_sandbox: Callable[..., SandboxApp]) -> SandboxApp:
    return make_sandbox()


def http_client(app: SandboxApp, **kwargs: Any) -> httpx.Client:
    return httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url=app.config.base_url, **kwargs
    )


@pytest.fixture
def http(sandbox: SandboxApp) -> Iterator[httpx.Client]:
    with http_client(sandbox) as client:
        yield client


def fetch_token(
    app: SandboxApp,
    client_id: str = PORTAL_M2M_CLIENT_ID,
    client_secret: str = PORTAL_M2M_CLIENT_SECRET,
) -> str:
    with http_client(app) as client:
        response = client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
                "audience": app.config.api_audience,
            },
        )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def mgmt_token(sandbox: SandboxApp) -> str:
    return fetch_token(sandbox)


@pytest.fixture
def token_for(sandbox: SandboxApp) -> Callable[..., str]:
    def mint(*scopes: str, expires_in: int | None = None) -> str:
        body: dict[str, Any] = {"client_id": PORTAL_M2M_CLIENT_ID, "scopes": list(scopes)}
        if expires_in is not None:
            body["expires_in"] = expires_in
        with http_client(sandbox) as client:
            response = client.post("/__sandbox__/token", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    return mint


@pytest.fixture(scope="session")
def _mgmt_doc() -> dict[str, Any]:
    require_openapi(MGMT_DOC)
    return load_document(MGMT_DOC)


@pytest.fixture
def openapi(_mgmt_doc: dict[str, Any]) -> OpenAPIValidator:
    return OpenAPIValidator(_mgmt_doc, prefix="/api/v2")


@pytest.fixture
def sdk_for(openapi: OpenAPIValidator) -> Iterator[Callable[..., Auth0]]:
    clients: list[httpx.Client] = []

    def build(app: SandboxApp, token: str | Callable[[], str] | None = None) -> Auth0:
        cache: dict[str, str] = {}

        def supplier() -> str:
            # Fetched on first use and kept, like the portal's shared token cache.
            if "token" not in cache:
                cache["token"] = fetch_token(app)
            return cache["token"]

        transport_client = http_client(app, event_hooks={"response": [openapi.check_response]})
        clients.append(transport_client)
        return Auth0(
            base_url=f"{app.config.base_url}/api/v2",
            token=token if token is not None else supplier,
            httpx_client=transport_client,
            max_retries=0,
        )

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def mgmt(sandbox: SandboxApp, sdk_for: Callable[..., Auth0]) -> Auth0:
    return sdk_for(sandbox)


@pytest.fixture
def api(sandbox: SandboxApp, mgmt_token: str, openapi: OpenAPIValidator) -> Iterator[httpx.Client]:
    with http_client(
        sandbox,
        headers={"Authorization": f"Bearer {mgmt_token}"},
        event_hooks={"response": [openapi.check_response]},
    ) as client:
        yield client


def org_id(app: SandboxApp, name: str) -> str:
    org = app.state.organization_by_name(name)
    assert org is not None, name
    return org.id
