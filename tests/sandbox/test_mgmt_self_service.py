"""Self-service SSO profiles and access tickets through the real SDK."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.errors import ConflictError, ForbiddenError, NotFoundError

from sandbox import SandboxApp
from sandbox.seed import DEMO_APP_CLIENT_ID, stable_id

from .conftest import BASE, FakeClock
from .mgmt_support import DB, Raw, error_of
from .openapi import OpenAPIValidator

ACME = stable_id("org", "acme")
ATTRIBUTES = [{"name": "email", "description": "Work email", "is_optional": False}]


@pytest.fixture
def raw(http: httpx.Client, openapi: OpenAPIValidator, mgmt_token: str) -> Raw:
    return Raw(http, openapi, mgmt_token)


@pytest.fixture
def profile_id(mgmt: Auth0) -> str:
    created = mgmt.self_service_profiles.create(
        name="Customer SSO", allowed_strategies=["samlp", "oidc"], user_attributes=ATTRIBUTES
    )
    assert created.id
    return created.id


def test_profile_lifecycle(mgmt: Auth0, raw: Raw) -> None:
    created = mgmt.self_service_profiles.create(
        name="Default",
        description="For every customer",
        branding={"logo_url": "https://portal.test/logo.png", "colors": {"primary": "#0055ff"}},
    )
    assert created.id and created.id.startswith("ssp_")
    assert created.allowed_strategies and "samlp" in created.allowed_strategies
    assert created.created_at and created.user_attributes == []
    assert mgmt.self_service_profiles.get(created.id).description == "For every customer"
    updated = mgmt.self_service_profiles.update(
        created.id, description=None, allowed_strategies=["okta"], user_attributes=ATTRIBUTES
    )
    assert updated.description is None and updated.allowed_strategies == ["okta"]
    assert updated.user_attributes and updated.user_attributes[0].name == "email"
    mgmt.self_service_profiles.create(name="Second")
    assert len(list(mgmt.self_service_profiles.list(per_page=1))) == 2
    totals = raw("GET", "/self-service-profiles", params={"include_totals": "true"}).json()
    assert totals["total"] == 2
    mgmt.self_service_profiles.delete(created.id)
    with pytest.raises(NotFoundError):
        mgmt.self_service_profiles.get(created.id)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Missing required property: name"),
        ({"name": "n" * 101}, "String is too long (101 chars), maximum 100"),
        ({"name": "x", "allowed_strategies": []}, "Array is too short (0), minimum 1"),
        ({"name": "x", "allowed_strategies": ["auth0"]}, "No enum match for"),
        ({"name": "x", "branding": {"logo_url": "http://portal.test/l.png"}},
         "on property branding.logo_url"),
        ({"name": "x", "branding": {"colors": {"primary": "blue"}}},
         "on property branding.colors.primary"),
        ({"name": "x", "user_attributes": [{"name": "email"}]}, "Missing required property"),
    ],
)  # fmt: skip
def test_profile_validation(raw: Raw, body: dict[str, Any], message: str) -> None:
    response = raw("POST", "/self-service-profiles", json=body)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]


def test_at_most_twenty_profiles(mgmt: Auth0) -> None:
    for i in range(20):
        mgmt.self_service_profiles.create(name=f"p{i}")
    with pytest.raises(ConflictError) as excinfo:
        mgmt.self_service_profiles.create(name="one too many")
    assert "No more profiles" in error_of(excinfo)["message"]


def ticket_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["ticket"][0]


def test_sso_ticket_with_connection_config(
    mgmt: Auth0, sandbox: SandboxApp, profile_id: str, clock: FakeClock
) -> None:
    made = mgmt.self_service_profiles.sso_ticket.create(
        profile_id,
        connection_config={"name": "acme-sso", "display_name": "Acme SSO"},
        enabled_clients=[DEMO_APP_CLIENT_ID],
        enabled_organizations=[{"organization_id": ACME, "assign_membership_on_login": True}],
        ttl_sec=3600,
        domain_aliases_config={"domain_verification": "required"},
    )
    assert made.ticket and made.ticket.startswith(f"{BASE}/self-service/connections-flow?ticket=")
    stored = sandbox.state.tickets[ticket_of(made.ticket)]
    assert stored.kind == "sso-access" and stored.expires_at == clock.now + 3600
    assert stored.data["enabled_organizations"][0]["organization_id"] == ACME

    default = mgmt.self_service_profiles.sso_ticket.create(profile_id, connection_id=_saml(mgmt))
    assert default.ticket
    assert sandbox.state.tickets[ticket_of(default.ticket)].expires_at == clock.now + 432_000


def _saml(mgmt: Auth0) -> str:
    created = mgmt.connections.create(
        name="acme-saml", strategy="samlp", options={"metadataUrl": "https://idp.acme.test/md"}
    )
    assert created.id
    return created.id


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 400, "Exactly one of connection_id or connection_config"),
        ({"connection_config": {"name": "a"}, "connection_id": "con_x"}, 400, "Exactly one"),
        ({"connection_config": {"name": "bad_name"}}, 400, "String does not match pattern"),
        ({"connection_config": {"name": "ok"}, "ttl_sec": 432_001}, 400,
         "Value 432001 is greater than maximum 432000"),
        ({"connection_config": {"name": "ok"},
          "domain_aliases_config": {"domain_verification": "sometimes"}}, 400, "No enum match"),
        ({"connection_config": {"name": DB}}, 409, "A connection with this name already exists."),
        ({"connection_id": "con_0000000000000000"}, 404, "The connection does not exist"),
        ({"connection_id": stable_id("con", DB)}, 400, "not allowed by the profile"),
        ({"connection_config": {"name": "ok"}, "enabled_clients": ["nope"]}, 404,
         "The client does not exist"),
        ({"connection_config": {"name": "ok"}, "enabled_organizations": [
            {"organization_id": "org_0000000000000000"}]}, 404, "No organization found"),
    ],
)  # fmt: skip
def test_sso_ticket_errors(
    raw: Raw, profile_id: str, body: dict[str, Any], status: int, message: str
) -> None:
    response = raw("POST", f"/self-service-profiles/{profile_id}/sso-ticket", json=body)
    assert response.status_code == status, response.text
    assert message in response.json()["message"]


def test_revoke_is_202_even_for_unknown_tickets(
    mgmt: Auth0, sandbox: SandboxApp, profile_id: str, raw: Raw
) -> None:
    made = mgmt.self_service_profiles.sso_ticket.create(
        profile_id, connection_config={"name": "acme-sso"}
    )
    assert made.ticket
    tid = ticket_of(made.ticket)
    mgmt.self_service_profiles.sso_ticket.revoke(profile_id, tid)
    assert sandbox.state.tickets[tid].data["revoked"] is True
    response = raw("POST", f"/self-service-profiles/{profile_id}/sso-ticket/unknown/revoke")
    assert response.status_code == 202 and response.content == b""


def test_scopes(
    sdk_for: Callable[..., Auth0], sandbox: SandboxApp, token_for: Callable[..., str],
    profile_id: str,
) -> None:  # fmt: skip
    reader = sdk_for(sandbox, token_for("read:self_service_profiles"))
    assert reader.self_service_profiles.get(profile_id).name == "Customer SSO"
    for call in (
        lambda: reader.self_service_profiles.create(name="x"),
        lambda: reader.self_service_profiles.sso_ticket.create(
            profile_id, connection_config={"name": "x"}
        ),
        lambda: reader.self_service_profiles.sso_ticket.revoke(profile_id, "t"),
    ):
        with pytest.raises(ForbiddenError) as excinfo:
            call()
        assert error_of(excinfo)["errorCode"] == "insufficient_scope"
