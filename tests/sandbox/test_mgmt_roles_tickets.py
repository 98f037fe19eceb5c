"""Roles (list, create, get, update, delete) and tickets (password change, email
verification) through the real SDK; ticket links are followed to the login pages."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.errors import BadRequestError, ConflictError, ForbiddenError, NotFoundError

from sandbox import SandboxApp
from sandbox.passwords import verify_password
from sandbox.seed import DEMO_APP_CLIENT_ID, stable_id, stable_user_id

from .conftest import BASE, FakeClock
from .mgmt_support import DB, Raw, error_of
from .openapi import OpenAPIValidator

MEMBER = stable_user_id("member@acme.test")


@pytest.fixture
def raw(http: httpx.Client, openapi: OpenAPIValidator, mgmt_token: str) -> Raw:
    return Raw(http, openapi, mgmt_token)


# --- roles -----------------------------------------------------------------------------


def test_role_lifecycle(mgmt: Auth0, raw: Raw) -> None:
    created = mgmt.roles.create(name="billing-admin", description="Pays the bills")
    assert created.id and created.id.startswith("rol_")
    response = raw("POST", "/roles", json={"name": "auditor"})
    assert response.status_code == 200  # Auth0 answers 200 here, not 201
    assert mgmt.roles.get(created.id).description == "Pays the bills"
    names = sorted(r.name or "" for r in mgmt.roles.list(per_page=1))  # the pager walks pages
    assert names == ["auditor", "billing-admin", "org-admin", "org-member"]
    assert [r.name for r in mgmt.roles.list(name_filter="ORG-A")] == ["org-admin"]
    totals = raw("GET", "/roles", params={"include_totals": "true", "per_page": 2}).json()
    assert totals["total"] == 4 and len(totals["roles"]) == 2
    renamed = mgmt.roles.update(created.id, name="finance-admin")
    assert renamed.name == "finance-admin"


def test_role_errors(mgmt: Auth0, raw: Raw) -> None:
    with pytest.raises(ConflictError) as excinfo:
        mgmt.roles.create(name="org-admin")
    assert error_of(excinfo)["statusCode"] == 409
    with pytest.raises(NotFoundError) as missing:
        mgmt.roles.get("rol_0000000000000000")
    assert error_of(missing)["errorCode"] == "inexistent_role"
    for body, message in (
        ({}, "Missing required property: name"),
        ({"name": ""}, "String is too short (0 chars), minimum 1"),
        ({"name": "x", "permissions": []}, "Additional properties not allowed: permissions"),
    ):
        response = raw("POST", "/roles", json=body)
        assert response.status_code == 400 and message in response.json()["message"], body


def test_deleting_a_role_removes_it_from_members(mgmt: Auth0, sandbox: SandboxApp) -> None:
    admin = stable_id("rol", "org-admin")
    mgmt.roles.delete(admin)
    assert admin not in sandbox.state.roles
    for org in sandbox.state.organizations.values():
        assert all(admin not in m.roles for m in org.members.values())


def test_role_scopes(sdk_for: Callable[..., Auth0], sandbox: SandboxApp,
                     token_for: Callable[..., str]) -> None:  # fmt: skip
    reader = sdk_for(sandbox, token_for("read:roles"))
    assert list(reader.roles.list())
    with pytest.raises(ForbiddenError) as excinfo:
        reader.roles.create(name="x")
    assert error_of(excinfo)["errorCode"] == "insufficient_scope"
    with pytest.raises(ForbiddenError):
        sdk_for(sandbox, token_for("create:roles")).roles.get(stable_id("rol", "org-admin"))


# --- tickets ---------------------------------------------------------------------------


def ticket_id(url: str) -> str:
    parts = urlsplit(url)
    return parse_qs(parts.query)["ticket"][0]


def test_password_change_ticket_opens_the_reset_page(
    mgmt: Auth0, sandbox: SandboxApp, http: httpx.Client, clock: FakeClock
) -> None:
    sandbox.state.users[MEMBER].email_verified = False
    made = mgmt.tickets.change_password(
        user_id=MEMBER,
        result_url="http://127.0.0.1:8000/welcome",
        mark_email_as_verified=True,
        include_email_in_redirect=True,
    )
    assert made.ticket.startswith(f"{BASE}/lo/reset?ticket=")
    stored = sandbox.state.tickets[ticket_id(made.ticket)]
    assert stored.user_id == MEMBER and stored.expires_at == clock.now + 432_000
    # Creating a ticket sends nothing: the caller delivers the link.
    assert all(m.to != "member@acme.test" for m in sandbox.state.emails)

    path = made.ticket.removeprefix(BASE)
    assert http.get(path).status_code == 200
    done = http.post(
        path,
        data={"ticket": stored.id, "password": "Brand-new-2026!", "confirm": "Brand-new-2026!"},
    )
    assert done.status_code == 302
    assert "email=member%40acme.test" in done.headers["location"]
    user = sandbox.state.users[MEMBER]
    assert verify_password("Brand-new-2026!", user.password_hash) and user.email_verified


def test_password_change_ticket_by_connection_and_email(
    mgmt: Auth0, sandbox: SandboxApp, clock: FakeClock, http: httpx.Client
) -> None:
    made = mgmt.tickets.change_password(
        connection_id=stable_id("con", DB), email="member@acme.test", ttl_sec=60
    )
    stored = sandbox.state.tickets[ticket_id(made.ticket)]
    assert stored.user_id == MEMBER and stored.expires_at == clock.now + 60
    clock.advance(61)
    assert http.get(made.ticket.removeprefix(BASE)).status_code == 400  # expired


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 400, "user_id"),
        ({"user_id": MEMBER, "email": "member@acme.test"}, 400, "cannot be combined"),
        ({"connection_id": stable_id("con", DB)}, 400, "connection_id and email"),
        ({"user_id": MEMBER, "organization_id": stable_id("org", "acme"),
          "result_url": "https://acme.test/"}, 400, "result_url"),
        ({"user_id": MEMBER, "ttl_sec": -1}, 400, "Value -1 is less than minimum 0"),
        ({"user_id": MEMBER, "connection_id": "con_x"}, 400, "String does not match pattern"),
        ({"user_id": "auth0|missing"}, 404, "User not found"),
        ({"connection_id": stable_id("con", DB), "email": "nobody@acme.test"}, 404,
         "User not found"),
        ({"user_id": MEMBER, "client_id": "missing"}, 404, "The client does not exist"),
    ],
)  # fmt: skip
def test_password_change_ticket_errors(
    raw: Raw, body: dict[str, object], status: int, message: str
) -> None:
    response = raw("POST", "/tickets/password-change", json=body)
    assert response.status_code == status, response.text
    assert message in response.json()["message"]


def test_ticket_with_organization_and_client(mgmt: Auth0, sandbox: SandboxApp) -> None:
    made = mgmt.tickets.change_password(
        user_id=MEMBER, organization_id=stable_id("org", "acme"), client_id=DEMO_APP_CLIENT_ID
    )
    data = sandbox.state.tickets[ticket_id(made.ticket)].data
    assert data["organization_id"] == stable_id("org", "acme")
    assert data["client_id"] == DEMO_APP_CLIENT_ID


def test_email_verification_ticket(
    mgmt: Auth0, sandbox: SandboxApp, http: httpx.Client, raw: Raw
) -> None:
    sandbox.state.users[MEMBER].email_verified = False
    made = mgmt.tickets.verify_email(user_id=MEMBER, result_url="https://acme.test/verified")
    assert made.ticket.startswith(f"{BASE}/u/email-verification?ticket=")
    followed = http.get(made.ticket.removeprefix(BASE))
    assert followed.status_code == 302 and followed.headers["location"].startswith(
        "https://acme.test/verified"
    )
    assert sandbox.state.users[MEMBER].email_verified
    with pytest.raises(BadRequestError):
        mgmt.tickets.verify_email(
            user_id=MEMBER, result_url="https://acme.test/", client_id=DEMO_APP_CLIENT_ID
        )
    missing = raw("POST", "/tickets/email-verification", json={})
    assert missing.status_code == 400
    assert "Missing required property: user_id" in missing.json()["message"]


def test_ticket_scope(sdk_for: Callable[..., Auth0], sandbox: SandboxApp,
                      token_for: Callable[..., str]) -> None:  # fmt: skip
    other = sdk_for(sandbox, token_for("read:users"))
    with pytest.raises(ForbiddenError) as excinfo:
        other.tickets.change_password(user_id=MEMBER)
    assert (
        error_of(excinfo)["message"] == "Insufficient scope, expected any of: create:user_tickets"
    )
