"""An organization's connections through `/enabled_connections` and `/connections`."""

from __future__ import annotations

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.errors import BadRequestError, ConflictError, NotFoundError

from sandbox import SandboxApp
from sandbox.seed import DATABASE_CONNECTION, stable_id
from sandbox.state import Connection

from .conftest import org_id

DB = stable_id("con", DATABASE_CONNECTION)


@pytest.fixture
def saml(sandbox: SandboxApp) -> str:
    conn = Connection(id="con_samlsamlsamlsaml", name="acme-saml", strategy="samlp")
    sandbox.state.connections[conn.id] = conn
    return conn.id


def test_enabled_connections_add_get_update_list_remove(
    mgmt: Auth0, sandbox: SandboxApp, saml: str
) -> None:
    acme = org_id(sandbox, "acme")
    ec = mgmt.organizations.enabled_connections
    added = ec.add(acme, connection_id=saml, assign_membership_on_login=True)
    assert added.connection_id == saml
    assert added.assign_membership_on_login is True
    assert added.show_as_button is True  # Auth0's default
    assert added.connection is not None and added.connection.strategy == "samlp"

    got = ec.get(acme, saml)
    assert got.connection is not None and got.connection.name == "acme-saml"

    updated = ec.update(acme, saml, show_as_button=False)
    assert updated.show_as_button is False and updated.assign_membership_on_login is True

    listed = {c.connection_id for c in ec.list(acme)}
    assert listed == {DB, saml}

    ec.delete(acme, saml)
    with pytest.raises(NotFoundError):
        ec.get(acme, saml)
    # removing again is a no-op, so a retry after a lost response succeeds
    ec.delete(acme, saml)


def test_add_is_idempotent_and_updates_flags(mgmt: Auth0, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    again = mgmt.organizations.enabled_connections.add(
        acme, connection_id=DB, is_signup_enabled=True
    )
    assert again.is_signup_enabled is True
    assert len(sandbox.state.organizations[acme].connections) == 1


def test_add_unknown_connection_is_404(mgmt: Auth0, sandbox: SandboxApp) -> None:
    with pytest.raises(NotFoundError) as err:
        mgmt.organizations.enabled_connections.add(
            org_id(sandbox, "acme"), connection_id="con_nope"
        )
    assert err.value.body["errorCode"] == "inexistent_connection"


def test_unknown_organization_is_404(mgmt: Auth0) -> None:
    with pytest.raises(NotFoundError):
        list(mgmt.organizations.enabled_connections.list("org_nope"))


def test_at_most_ten_enabled_connections(mgmt: Auth0, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    for i in range(9):
        conn = Connection(id=f"con_extra{i:011d}", name=f"extra-{i}", strategy="oidc")
        sandbox.state.connections[conn.id] = conn
        mgmt.organizations.enabled_connections.add(acme, connection_id=conn.id)
        sandbox.limiter.refill_all()
    conn = Connection(id="con_eleventh0000000", name="eleventh", strategy="oidc")
    sandbox.state.connections[conn.id] = conn
    with pytest.raises(BadRequestError):
        mgmt.organizations.enabled_connections.add(acme, connection_id=conn.id)


def test_body_validation(api: httpx.Client, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    response = api.post(
        f"/api/v2/organizations/{acme}/enabled_connections",
        json={"connection_id": DB, "show_as_button": "yes"},
    )
    assert response.status_code == 400
    assert "Expected type boolean" in response.json()["message"]
    response = api.patch(
        f"/api/v2/organizations/{acme}/enabled_connections/{DB}", json={"connection_id": "x"}
    )
    assert response.status_code == 400


def test_offset_paging_of_enabled_connections(api: httpx.Client, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    body = api.get(
        f"/api/v2/organizations/{acme}/enabled_connections", params={"include_totals": "true"}
    ).json()
    assert body["total"] == 1 and body["enabled_connections"][0]["connection_id"] == DB


def test_connections_view_shares_the_same_state(
    mgmt: Auth0, sandbox: SandboxApp, saml: str
) -> None:
    acme = org_id(sandbox, "acme")
    view = mgmt.organizations.connections
    created = view.create(
        acme,
        connection_id=saml,
        organization_connection_name="Acme SSO",
        organization_access_level="readonly",
        is_enabled=False,
    )
    assert created.is_enabled is False
    assert created.organization_connection_name == "Acme SSO"
    # disabled: present in /connections, absent from /enabled_connections
    enabled = {c.connection_id for c in mgmt.organizations.enabled_connections.list(acme)}
    assert enabled == {DB}
    assert {c.connection_id for c in view.list(acme)} == {DB, saml}
    assert [c.connection_id for c in view.list(acme, is_enabled=False)] == [saml]

    updated = view.update(acme, saml, is_enabled=True, organization_connection_name=None)
    assert updated.is_enabled is True and updated.organization_connection_name is None
    enabled = {c.connection_id for c in mgmt.organizations.enabled_connections.list(acme)}
    assert enabled == {DB, saml}
    assert view.get(acme, saml).organization_access_level == "readonly"

    with pytest.raises(ConflictError):
        view.create(acme, connection_id=saml)
    view.delete(acme, saml)
    with pytest.raises(NotFoundError):
        view.get(acme, saml)


def test_connections_view_sees_enabled_connections(mgmt: Auth0, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    got = mgmt.organizations.connections.get(acme, DB)
    assert got.is_enabled is True and got.connection is not None
    assert got.connection.name == DATABASE_CONNECTION
