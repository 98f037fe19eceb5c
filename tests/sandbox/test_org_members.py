"""Organization members (checkpoint paging, fields=roles) and member roles."""

from __future__ import annotations

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.errors import BadRequestError, ConflictError, ForbiddenError

from sandbox import SandboxApp
from sandbox.seed import stable_id, stable_user_id
from sandbox.state import Role, User

from .conftest import org_id

ADMIN = stable_id("rol", "org-admin")
MEMBER = stable_id("rol", "org-member")


@pytest.fixture
def newcomer(sandbox: SandboxApp) -> str:
    user = User(user_id="auth0|newcomer000000000000000", connection="x", email="new@acme.test")
    sandbox.state.users[user.user_id] = user
    return user.user_id


def test_list_add_remove_members(mgmt: Auth0, sandbox: SandboxApp, newcomer: str) -> None:
    acme = org_id(sandbox, "acme")
    members = mgmt.organizations.members
    before = {m.user_id: m for m in members.list(acme)}
    assert set(before) == {stable_user_id("admin@acme.test"), stable_user_id("member@acme.test")}
    admin = before[stable_user_id("admin@acme.test")]
    assert admin.email == "admin@acme.test" and admin.roles is None  # no roles by default

    members.create(acme, members=[newcomer, newcomer])
    assert newcomer in {m.user_id for m in members.list(acme)}
    members.create(acme, members=[newcomer])  # adding again is fine

    members.delete(acme, members=[newcomer, "auth0|notamember"])
    assert newcomer not in sandbox.state.organizations[acme].members
    assert newcomer in sandbox.state.users  # the account survives


def test_add_unknown_user_is_400(mgmt: Auth0, sandbox: SandboxApp) -> None:
    with pytest.raises(BadRequestError):
        mgmt.organizations.members.create(org_id(sandbox, "acme"), members=["auth0|ghost"])


def test_empty_member_list_is_invalid(api: httpx.Client, sandbox: SandboxApp) -> None:
    response = api.post(
        f"/api/v2/organizations/{org_id(sandbox, 'acme')}/members", json={"members": []}
    )
    assert response.status_code == 400
    assert "Array is too short (0), minimum 1" in response.json()["message"]


def test_fields_roles_includes_role_names(mgmt: Auth0, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    listed = {
        m.email: m for m in mgmt.organizations.members.list(acme, fields="user_id,email,roles")
    }
    roles = listed["admin@acme.test"].roles
    assert roles is not None and [(r.id, r.name) for r in roles] == [(ADMIN, "org-admin")]


def test_fields_roles_needs_the_member_roles_scope(
    sdk_for: object, sandbox: SandboxApp, token_for: object
) -> None:
    token = token_for("read:organization_members")  # type: ignore[operator]
    client = sdk_for(sandbox, token=token)  # type: ignore[operator]
    acme = org_id(sandbox, "acme")
    assert len(list(client.organizations.members.list(acme))) == 2
    with pytest.raises(ForbiddenError) as err:
        list(client.organizations.members.list(acme, fields="roles"))
    assert err.value.body["errorCode"] == "insufficient_scope"


def test_members_checkpoint_paging(api: httpx.Client, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    first = api.get(f"/api/v2/organizations/{acme}/members", params={"take": 1}).json()
    assert len(first["members"]) == 1 and "next" in first
    second = api.get(
        f"/api/v2/organizations/{acme}/members", params={"take": 1, "from": first["next"]}
    ).json()
    assert "next" not in second
    assert first["members"][0]["user_id"] < second["members"][0]["user_id"]


def test_members_offset_paging_with_totals(api: httpx.Client, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    body = api.get(
        f"/api/v2/organizations/{acme}/members", params={"include_totals": "true", "per_page": 1}
    ).json()
    assert body["total"] == 2 and len(body["members"]) == 1


def test_member_roles_list_assign_remove(mgmt: Auth0, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    uid = stable_user_id("member@acme.test")
    roles = mgmt.organizations.members.roles
    assert [r.name for r in roles.list(acme, uid)] == ["org-member"]
    roles.assign(acme, uid, roles=[ADMIN])
    assert [r.name for r in roles.list(acme, uid)] == ["org-member", "org-admin"]
    roles.assign(acme, uid, roles=[ADMIN])  # idempotent
    roles.delete(acme, uid, roles=[MEMBER])
    assert [r.id for r in roles.list(acme, uid)] == [ADMIN]
    # roles are per organization: globex is untouched
    globex_member = sandbox.state.organizations[org_id(sandbox, "globex")].members
    assert globex_member[stable_user_id("member@globex.test")].roles == [MEMBER]


def test_assign_unknown_role_is_400(mgmt: Auth0, sandbox: SandboxApp) -> None:
    with pytest.raises(BadRequestError) as err:
        mgmt.organizations.members.roles.assign(
            org_id(sandbox, "acme"), stable_user_id("admin@acme.test"), roles=["rol_nope"]
        )
    assert "rol_nope" in err.value.body["message"]


def test_assign_to_non_member_is_400(mgmt: Auth0, sandbox: SandboxApp) -> None:
    with pytest.raises(BadRequestError):
        mgmt.organizations.members.roles.assign(
            org_id(sandbox, "globex"), stable_user_id("admin@acme.test"), roles=[ADMIN]
        )


def test_at_most_fifty_roles_per_member(mgmt: Auth0, sandbox: SandboxApp) -> None:
    for i in range(50):
        sandbox.state.roles[f"rol_bulk{i:012d}"] = Role(f"rol_bulk{i:012d}", f"bulk-{i}")
    acme = org_id(sandbox, "acme")
    uid = stable_user_id("admin@acme.test")
    mgmt.organizations.members.roles.assign(
        acme, uid, roles=[f"rol_bulk{i:012d}" for i in range(49)]
    )
    with pytest.raises(ConflictError):
        mgmt.organizations.members.roles.assign(acme, uid, roles=["rol_bulk000000000049"])


def test_member_roles_offset_shape(api: httpx.Client, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    uid = stable_user_id("admin@acme.test")
    body = api.get(
        f"/api/v2/organizations/{acme}/members/{uid}/roles", params={"include_totals": "true"}
    ).json()
    assert body == {
        "roles": [{"id": ADMIN, "name": "org-admin"}],
        "start": 0,
        "limit": 50,
        "total": 1,
    }
