"""Organizations: create, get, get by name, list (offset and checkpoint), update, delete."""

from __future__ import annotations

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.core.api_error import ApiError
from auth0.management.errors import BadRequestError, ConflictError, NotFoundError

from sandbox import SandboxApp
from sandbox.seed import DATABASE_CONNECTION, stable_id

from .conftest import org_id


def test_create_get_update_delete_through_the_sdk(mgmt: Auth0, sandbox: SandboxApp) -> None:
    created = mgmt.organizations.create(
        name="initech",
        display_name="Initech",
        branding={
            "logo_url": "https://initech.test/logo.png",
            "colors": {"primary": "#112233", "page_background": "#ffffff"},
        },
        metadata={"portal_id": "42"},
    )
    assert created.id and created.id.startswith("org_") and len(created.id) == 20
    assert created.name == "initech"
    assert created.metadata == {"portal_id": "42"}

    fetched = mgmt.organizations.get(created.id)
    assert fetched.display_name == "Initech"
    assert fetched.branding is not None and fetched.branding.colors is not None
    by_name = mgmt.organizations.get_by_name("initech")
    assert by_name.id == created.id

    updated = mgmt.organizations.update(created.id, display_name="Initech Inc", metadata={"a": "1"})
    assert updated.display_name == "Initech Inc"
    # metadata is replaced whole, not merged
    assert updated.metadata == {"a": "1"}

    mgmt.organizations.delete(created.id)
    with pytest.raises(NotFoundError):
        mgmt.organizations.get(created.id)
    assert created.id not in sandbox.state.organizations


def test_delete_detaches_members_but_keeps_users(mgmt: Auth0, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    members = list(sandbox.state.organizations[acme].members)
    mgmt.organizations.delete(acme)
    assert all(uid in sandbox.state.users for uid in members)


def test_create_with_inline_enabled_connections(mgmt: Auth0, sandbox: SandboxApp) -> None:
    conn = stable_id("con", DATABASE_CONNECTION)
    created = mgmt.organizations.create(
        name="hooli",
        enabled_connections=[{"connection_id": conn, "assign_membership_on_login": True}],
    )
    assert created.enabled_connections is not None
    assert created.enabled_connections[0].connection_id == conn
    entry = sandbox.state.organizations[created.id].connections[conn]
    assert entry.assign_membership_on_login and entry.show_as_button


def test_create_with_unknown_inline_connection_is_400(mgmt: Auth0) -> None:
    with pytest.raises(BadRequestError) as err:
        mgmt.organizations.create(name="hooli", enabled_connections=[{"connection_id": "con_x"}])
    assert "con_x" in err.value.body["message"]


def test_duplicate_name_is_409_organization_conflict(mgmt: Auth0) -> None:
    with pytest.raises(ConflictError) as err:
        mgmt.organizations.create(name="acme")
    assert err.value.status_code == 409
    assert err.value.body["errorCode"] == "organization_conflict"
    assert err.value.body["error"] == "Conflict"


def test_rename_onto_existing_name_is_409(mgmt: Auth0, sandbox: SandboxApp) -> None:
    # PATCH documents no 409, so the SDK raises its generic ApiError with the status.
    with pytest.raises(ApiError) as err:
        mgmt.organizations.update(org_id(sandbox, "globex"), name="acme")
    assert err.value.status_code == 409


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "Upper"}, "format organization-name"),
        ({"name": "has space"}, "format organization-name"),
        ({"name": "x" * 51}, "String is too long (51 chars), maximum 50"),
        ({"name": ""}, "String is too short (0 chars), minimum 1"),
        ({}, "Missing required property: name"),
        ({"name": "ok", "display_name": "d" * 256}, "maximum 255"),
        ({"name": "ok", "unknown": 1}, "Additional properties not allowed: unknown"),
        ({"name": "ok", "metadata": {f"k{i}": "v" for i in range(26)}}, "maximum 25"),
        ({"name": "ok", "metadata": {"k": "v" * 256}}, "maximum 255"),
        ({"name": "ok", "metadata": {"k": 1}}, "Expected type string"),
        ({"name": "ok", "branding": {"logo_url": "http://x.test/l.png"}}, "https"),
        ({"name": "ok", "branding": {"colors": {"primary": "#fff"}}}, "page_background"),
        (
            {"name": "ok", "branding": {"colors": {"primary": "red", "page_background": "#fff"}}},
            "format html-color",
        ),
        (
            {"name": "ok", "enabled_connections": [{"connection_id": f"c{i}"} for i in range(11)]},
            "Array is too long (11), maximum 10",
        ),
    ],
)
def test_create_validation_errors(
    api: httpx.Client, body: dict[str, object], fragment: str
) -> None:
    response = api.post("/api/v2/organizations", json=body)
    assert response.status_code == 400
    error = response.json()
    assert error["errorCode"] == "invalid_body"
    assert error["statusCode"] == 400 and error["error"] == "Bad Request"
    assert error["message"].startswith("Payload validation error")
    assert fragment in error["message"]


def test_invalid_json_body_is_invalid_body(api: httpx.Client) -> None:
    response = api.post(
        "/api/v2/organizations", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "error": "Bad Request",
        "message": "Invalid request payload JSON format",
        "errorCode": "invalid_body",
    }


def test_sdk_validation_error_surfaces_as_bad_request(mgmt: Auth0) -> None:
    with pytest.raises(BadRequestError) as err:
        mgmt.organizations.create(name="Not Valid")
    assert err.value.body["errorCode"] == "invalid_body"


def test_metadata_null_values_are_dropped(mgmt: Auth0) -> None:
    created = mgmt.organizations.create(name="nulls", metadata={"a": "1", "b": None})
    assert created.metadata == {"a": "1"}


def test_get_unknown_and_by_unknown_name_are_404(mgmt: Auth0, api: httpx.Client) -> None:
    with pytest.raises(NotFoundError):
        mgmt.organizations.get("org_doesnotexist0000")
    response = api.get("/api/v2/organizations/name/nope")
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404


def test_sdk_list_walks_every_organization_by_checkpoint(mgmt: Auth0, sandbox: SandboxApp) -> None:
    for i in range(7):
        sandbox.state.organizations.pop("x", None)
        mgmt.organizations.create(name=f"bulk-{i}")
        sandbox.limiter.refill_all()  # creation is rate limited (organization_writes)
    names = [o.name for o in mgmt.organizations.list(take=3)]
    assert len(names) == 10 and len(set(names)) == 10


def test_checkpoint_paging_shape(api: httpx.Client, sandbox: SandboxApp) -> None:
    first = api.get("/api/v2/organizations", params={"take": 2}).json()
    assert set(first) == {"organizations", "next"} and len(first["organizations"]) == 2
    second = api.get("/api/v2/organizations", params={"take": 2, "from": first["next"]}).json()
    assert "next" not in second and len(second["organizations"]) == 1
    ids = [o["id"] for o in first["organizations"] + second["organizations"]]
    assert sorted(ids) == sorted(sandbox.state.organizations)


def test_checkpoint_survives_deletion_of_the_cursor_record(
    api: httpx.Client, sandbox: SandboxApp
) -> None:
    first = api.get("/api/v2/organizations", params={"take": 1}).json()
    ordered = sorted(sandbox.state.organizations)
    del sandbox.state.organizations[ordered[1]]  # the record `next` points at
    rest = api.get("/api/v2/organizations", params={"take": 5, "from": first["next"]}).json()
    assert [o["id"] for o in rest["organizations"]] == ordered[2:]


def test_offset_paging_with_totals(api: httpx.Client) -> None:
    body = api.get(
        "/api/v2/organizations", params={"page": 1, "per_page": 2, "include_totals": "true"}
    ).json()
    assert body["start"] == 2 and body["limit"] == 2 and body["total"] == 3
    assert len(body["organizations"]) == 1
    plain = api.get("/api/v2/organizations", params={"per_page": 2}).json()
    assert isinstance(plain, list) and len(plain) == 2


def test_offset_paging_stops_at_1000_records(api: httpx.Client, sandbox: SandboxApp) -> None:
    from sandbox.state import Organization

    for i in range(1100):
        org = Organization(id=f"org_bulk{i:012d}", name=f"bulk-{i}")
        sandbox.state.organizations[org.id] = org
    last = api.get("/api/v2/organizations", params={"page": 9, "per_page": 100}).json()
    assert len(last) == 100
    response = api.get("/api/v2/organizations", params={"page": 10, "per_page": 100})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_paging"
    # checkpoint paging reaches them all
    seen, cursor = 0, None
    while True:
        params: dict[str, str | int] = {"take": 100}
        if cursor:
            params["from"] = cursor
        page = api.get("/api/v2/organizations", params=params).json()
        seen += len(page["organizations"])
        cursor = page.get("next")
        if not cursor:
            break
    assert seen == 1103


@pytest.mark.parametrize(
    "params",
    [{"per_page": 101}, {"per_page": 0}, {"take": 101}, {"page": "x"}, {"include_totals": "y"}],
)
def test_bad_paging_parameters_are_invalid_query_string(
    api: httpx.Client, params: dict[str, object]
) -> None:
    response = api.get("/api/v2/organizations", params=params)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_query_string"


def test_sort_by_name_descending(api: httpx.Client) -> None:
    names = [o["name"] for o in api.get("/api/v2/organizations?sort=name:-1").json()]
    assert names == ["staff", "globex", "acme"]


def test_writes_are_logged_as_sapi_and_failures_as_fapi(mgmt: Auth0, sandbox: SandboxApp) -> None:
    mgmt.organizations.create(name="logged")
    with pytest.raises(ConflictError):
        mgmt.organizations.create(name="logged")
    types = [
        (e.type, e.details["response"]["statusCode"])
        for e in sandbox.state.logs
        if e.type in ("sapi", "fapi")
    ]
    assert types == [("sapi", 201), ("fapi", 409)]
    entry = next(e for e in sandbox.state.logs if e.type == "sapi")
    assert entry.description == "Create an Organization"
    assert entry.client_id == "sandbox-portal-m2m"
    assert entry.details["request"]["body"] == {"name": "logged"}
