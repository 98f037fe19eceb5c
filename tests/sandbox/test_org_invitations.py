"""Organization invitations: URL, email, validation, expiry, list/get/delete."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.errors import BadRequestError, NotFoundError

from sandbox import SandboxApp
from sandbox.seed import DATABASE_CONNECTION, DEMO_APP_CLIENT_ID, PORTAL_LOGIN_CLIENT_ID, stable_id
from sandbox.state import Client, Connection

from .conftest import BASE, FakeClock, org_id

DB = stable_id("con", DATABASE_CONNECTION)
ADMIN = stable_id("rol", "org-admin")


def invite(mgmt: Auth0, org: str, **extra: object) -> object:
    args: dict[str, object] = {
        "inviter": {"name": "Ann Admin"},
        "invitee": {"email": "new@acme.test"},
        "client_id": DEMO_APP_CLIENT_ID,
    }
    args.update(extra)
    return mgmt.organizations.invitations.create(org, **args)  # type: ignore[arg-type]


def test_create_builds_the_invitation_url_and_sends_email(
    mgmt: Auth0, sandbox: SandboxApp, clock: FakeClock
) -> None:
    acme = org_id(sandbox, "acme")
    inv = invite(mgmt, acme, connection_id=DB, roles=[ADMIN], app_metadata={"plan": "gold"})
    assert inv.id.startswith("uinv_")  # type: ignore[attr-defined]
    url = urlsplit(inv.invitation_url)  # type: ignore[attr-defined]
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{BASE}/__sandbox__/demo-app/login"
    query = parse_qs(url.query)
    assert query == {
        "invitation": [inv.ticket_id],  # type: ignore[attr-defined]
        "organization": [acme],
        "organization_name": ["acme"],
    }
    created, expires = inv.created_at, inv.expires_at  # type: ignore[attr-defined]
    assert (expires - created).total_seconds() == 7 * 24 * 3600  # default ttl
    assert inv.roles == [ADMIN] and inv.connection_id == DB  # type: ignore[attr-defined]

    email = sandbox.state.emails[-1]
    assert email.to == "new@acme.test" and email.kind == "invitation"
    assert inv.invitation_url in email.text  # type: ignore[attr-defined]
    assert "Ann Admin" in email.text and "Acme Corp" in email.subject


def test_no_email_when_send_invitation_email_is_false(mgmt: Auth0, sandbox: SandboxApp) -> None:
    invite(mgmt, org_id(sandbox, "acme"), send_invitation_email=False)
    assert sandbox.state.emails == []


def test_ttl_and_expiry(mgmt: Auth0, sandbox: SandboxApp, clock: FakeClock) -> None:
    acme = org_id(sandbox, "acme")
    inv = invite(mgmt, acme, ttl_sec=60)
    inv_id = inv.id  # type: ignore[attr-defined]
    assert mgmt.organizations.invitations.get(acme, inv_id).id == inv_id
    clock.advance(61)
    with pytest.raises(NotFoundError):
        mgmt.organizations.invitations.get(acme, inv_id)
    assert list(mgmt.organizations.invitations.list(acme)) == []


@pytest.mark.parametrize("ttl", [-1, 2592001])
def test_ttl_bounds(api: httpx.Client, sandbox: SandboxApp, ttl: int) -> None:
    response = api.post(
        f"/api/v2/organizations/{org_id(sandbox, 'acme')}/invitations",
        json={
            "inviter": {"name": "A"},
            "invitee": {"email": "x@acme.test"},
            "client_id": DEMO_APP_CLIENT_ID,
            "ttl_sec": ttl,
        },
    )
    assert response.status_code == 400 and response.json()["errorCode"] == "invalid_body"


def test_max_ttl_is_thirty_days(mgmt: Auth0, sandbox: SandboxApp) -> None:
    inv = invite(mgmt, org_id(sandbox, "acme"), ttl_sec=2592000)
    delta = inv.expires_at - inv.created_at  # type: ignore[attr-defined]
    assert delta.total_seconds() == 2592000


def test_list_get_delete(mgmt: Auth0, api: httpx.Client, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    first = invite(mgmt, acme)
    invite(mgmt, acme, invitee={"email": "two@acme.test"})
    listed = [i.invitee.email for i in mgmt.organizations.invitations.list(acme)]
    assert listed == ["new@acme.test", "two@acme.test"]
    page = api.get(
        f"/api/v2/organizations/{acme}/invitations", params={"include_totals": "true"}
    ).json()
    assert set(page) == {"invitations", "start", "limit"}  # Auth0 gives no total here
    only = api.get(
        f"/api/v2/organizations/{acme}/invitations/{first.id}",  # type: ignore[attr-defined]
        params={"fields": "id,invitee"},
    ).json()
    assert set(only) == {"id", "invitee"}
    mgmt.organizations.invitations.delete(acme, first.id)  # type: ignore[attr-defined]
    assert [i.invitee.email for i in mgmt.organizations.invitations.list(acme)] == ["two@acme.test"]
    response = api.delete(f"/api/v2/organizations/{acme}/invitations/{first.id}")  # type: ignore[attr-defined]
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client_id": "nope"}, "The specified client_id does not exist."),
        ({"connection_id": "con_nope"}, "The specified connection does not exist."),
        ({"roles": ["rol_nope"]}, "One or more of the specified roles do not exist: rol_nope"),
    ],
)
def test_rejections(
    mgmt: Auth0, sandbox: SandboxApp, change: dict[str, object], message: str
) -> None:
    with pytest.raises(BadRequestError) as err:
        invite(mgmt, org_id(sandbox, "acme"), **change)
    assert err.value.body["message"] == message


def test_connection_must_be_enabled_on_the_organization(mgmt: Auth0, sandbox: SandboxApp) -> None:
    conn = Connection(id="con_othersaml000000", name="other", strategy="samlp")
    sandbox.state.connections[conn.id] = conn
    with pytest.raises(BadRequestError) as err:
        invite(mgmt, org_id(sandbox, "acme"), connection_id=conn.id)
    assert "is not enabled for the organization" in err.value.body["message"]


def test_client_needs_a_login_route(mgmt: Auth0, sandbox: SandboxApp) -> None:
    sandbox.state.clients[PORTAL_LOGIN_CLIENT_ID].initiate_login_uri = None
    with pytest.raises(BadRequestError) as err:
        invite(mgmt, org_id(sandbox, "acme"), client_id=PORTAL_LOGIN_CLIENT_ID)
    assert err.value.body["message"].startswith("A default login route is required")


@pytest.mark.parametrize(
    ("uri", "allowed"),
    [
        ("https://app.example.com/login", True),
        ("http://localhost:3000/login", True),
        ("http://127.0.0.1:8000/login/", True),
        ("http://app.example.com/login", False),
    ],
)
def test_login_route_must_be_https_except_localhost(
    mgmt: Auth0, sandbox: SandboxApp, uri: str, allowed: bool
) -> None:
    client = Client(
        client_id="c" * 32, name="Other", initiate_login_uri=uri, organization_usage="allow"
    )
    sandbox.state.clients[client.client_id] = client
    if allowed:
        inv = invite(mgmt, org_id(sandbox, "acme"), client_id=client.client_id)
        assert inv.invitation_url.startswith(uri + "?invitation=")  # type: ignore[attr-defined]
    else:
        with pytest.raises(BadRequestError):
            invite(mgmt, org_id(sandbox, "acme"), client_id=client.client_id)


def test_client_must_allow_organizations(mgmt: Auth0, sandbox: SandboxApp) -> None:
    sandbox.state.clients[DEMO_APP_CLIENT_ID].organization_usage = "deny"
    with pytest.raises(BadRequestError) as err:
        invite(mgmt, org_id(sandbox, "acme"))
    assert err.value.body["message"] == "The specified client_id does not allow organizations."


def test_unknown_organization_is_404(mgmt: Auth0) -> None:
    with pytest.raises(NotFoundError):
        invite(mgmt, "org_nope")


def test_invitation_link_leads_to_authorize(
    mgmt: Auth0, http: httpx.Client, sandbox: SandboxApp
) -> None:
    acme = org_id(sandbox, "acme")
    inv = invite(mgmt, acme)
    response = http.get(inv.invitation_url)  # type: ignore[attr-defined]
    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    assert target.path == "/authorize"
    query = parse_qs(target.query)
    assert query["invitation"] == [inv.ticket_id]  # type: ignore[attr-defined]
    assert query["organization"] == [acme]
    assert query["client_id"] == [DEMO_APP_CLIENT_ID]
