"""Users through the real SDK: create (409, password policy, hash only, verification
email), get, PATCH (top-level metadata merge, password), delete, search, organizations."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.errors import BadRequestError, ConflictError, ForbiddenError, NotFoundError

from sandbox import SandboxApp
from sandbox.passwords import verify_password
from sandbox.seed import stable_id, stable_user_id

from .mgmt_support import DB, Raw, error_of
from .openapi import OpenAPIValidator

STRONG = "Correct-Horse-42"


@pytest.fixture
def raw(http: httpx.Client, openapi: OpenAPIValidator, mgmt_token: str) -> Raw:
    return Raw(http, openapi, mgmt_token)


def test_create_stores_only_a_hash_and_sends_verification(mgmt: Auth0, sandbox: SandboxApp) -> None:
    user = mgmt.users.create(
        connection=DB,
        email="Jane.Doe@Acme.test",
        password=STRONG,
        app_metadata={"organizations": ["org_a"]},
        user_metadata={"lang": "en"},
        name="Jane Doe",
    )
    assert user.user_id and user.user_id.startswith("auth0|")
    assert user.email == "jane.doe@acme.test"  # database users' emails are lower-cased
    assert user.email_verified is False and user.name == "Jane Doe"
    assert user.identities and user.identities[0].connection == DB
    assert user.app_metadata == {"organizations": ["org_a"]}
    stored = sandbox.state.users[user.user_id]
    assert stored.password_hash and stored.password_hash.startswith("scrypt$")
    assert STRONG not in str(stored) and verify_password(STRONG, stored.password_hash)
    mail = sandbox.state.emails[-1]
    assert mail.to == "jane.doe@acme.test" and "/u/email-verification?ticket=" in mail.text

    quiet = mgmt.users.create(connection=DB, email="q@acme.test", password=STRONG,
                              verify_email=False)  # fmt: skip
    assert quiet.user_id and sandbox.state.emails[-1].to != "q@acme.test"


def test_duplicate_email_in_the_connection_is_409(mgmt: Auth0) -> None:
    mgmt.users.create(connection=DB, email="dup@acme.test", password=STRONG)
    with pytest.raises(ConflictError) as excinfo:
        mgmt.users.create(connection=DB, email="DUP@acme.test", password=STRONG)
    body = error_of(excinfo)
    assert body["message"] == "The user already exists."
    assert body["errorCode"] == "auth0_idp_error"
    mgmt.connections.create(name="other-db", strategy="auth0")
    assert mgmt.users.create(connection="other-db", email="dup@acme.test", password=STRONG)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"email": "a@acme.test", "password": STRONG}, "Missing required property: connection"),
        ({"connection": DB, "password": STRONG}, "Missing required property: email"),
        ({"connection": DB, "email": "a@acme.test"}, "Missing required property: password"),
        ({"connection": DB, "email": "nope", "password": STRONG}, "format email"),
        ({"connection": "missing", "email": "a@acme.test", "password": STRONG},
         "The connection does not exist."),
        ({"connection": DB, "email": "a@acme.test", "password": "short"},
         "PasswordStrengthError: Password is too weak"),
        ({"connection": DB, "email": "a@acme.test", "password": "alllowercaseletters"},
         "PasswordStrengthError: Password is too weak"),
        ({"connection": DB, "email": "a@acme.test", "password": STRONG, "role": "x"},
         "Additional properties not allowed: role"),
    ],
)  # fmt: skip
def test_create_validation(raw: Raw, body: dict[str, object], message: str) -> None:
    response = raw("POST", "/users", json=body)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]


def test_password_policy_follows_the_connection(mgmt: Auth0, raw: Raw) -> None:
    mgmt.connections.create(name="lax-db", strategy="auth0", options={"passwordPolicy": "none"})
    assert mgmt.users.create(connection="lax-db", email="a@acme.test", password="x")
    mgmt.connections.create(
        name="strict-db",
        strategy="auth0",
        options={
            "passwordPolicy": "fair",
            "password_dictionary": {"enable": True, "dictionary": ["Acme-Corp-2026"]},
            "password_no_personal_info": {"enable": True},
        },
    )
    for password in ("Acme-Corp-2026", "Zorro-zorro1-x", "Abcdefg1"):
        email = "zorro1@acme.test"
        response = raw("POST", "/users", json={"connection": "strict-db", "email": email,
                                               "password": password})  # fmt: skip
        expected = 201 if password == "Abcdefg1" else 400
        assert response.status_code == expected, (password, response.text)
    enterprise = mgmt.connections.create(name="sso", strategy="oidc", options={"client_id": "x"})
    with pytest.raises(BadRequestError):
        mgmt.users.create(connection=enterprise.name or "", email="b@acme.test", password=STRONG)


def test_get_and_404(mgmt: Auth0, raw: Raw) -> None:
    uid = stable_user_id("admin@acme.test")
    fetched = mgmt.users.get(uid)
    assert fetched.email == "admin@acme.test" and fetched.email_verified is True
    slim = raw("GET", f"/users/{uid}", params={"fields": "user_id,email"}).json()
    assert slim == {"user_id": uid, "email": "admin@acme.test"}
    with pytest.raises(NotFoundError) as excinfo:
        mgmt.users.get("auth0|missing")
    assert error_of(excinfo)["errorCode"] == "inexistent_user"


def test_update_merges_metadata_at_the_top_level_only(mgmt: Auth0) -> None:
    user = mgmt.users.create(
        connection=DB,
        email="m@acme.test",
        password=STRONG,
        app_metadata={"organizations": ["org_a", "org_b"], "plan": "gold", "flags": {"x": 1}},
    )
    assert user.user_id
    updated = mgmt.users.update(
        user.user_id,
        app_metadata={"organizations": ["org_c"], "flags": {"y": 2}, "plan": None},
        user_metadata={"lang": "fr"},
    )
    # Lists and nested objects are replaced whole; null removes the key.
    assert updated.app_metadata == {"organizations": ["org_c"], "flags": {"y": 2}}
    assert updated.user_metadata == {"lang": "fr"}
    again = mgmt.users.update(user.user_id, user_metadata={"tz": "UTC"})
    assert again.user_metadata == {"lang": "fr", "tz": "UTC"}
    assert again.app_metadata == updated.app_metadata


def test_update_password_email_and_root_attributes(mgmt: Auth0, sandbox: SandboxApp) -> None:
    user = mgmt.users.create(connection=DB, email="p@acme.test", password=STRONG, name="P")
    assert user.user_id
    mgmt.users.update(user.user_id, password="Another-Str0ng-one")
    assert verify_password("Another-Str0ng-one", sandbox.state.users[user.user_id].password_hash)
    with pytest.raises(BadRequestError) as excinfo:
        mgmt.users.update(user.user_id, password="weak")
    assert error_of(excinfo)["message"] == "PasswordStrengthError: Password is too weak"
    with pytest.raises(BadRequestError) as excinfo:
        mgmt.users.update(user.user_id, email="admin@acme.test")
    assert error_of(excinfo)["message"] == "The specified new email already exists"
    changed = mgmt.users.update(user.user_id, email="New@acme.test", name=None, blocked=True)
    assert changed.email == "new@acme.test" and changed.name == "new@acme.test"
    assert changed.blocked is True and changed.email_verified is False


def test_metadata_scope_cannot_touch_other_fields(
    sdk_for: Callable[..., Auth0], sandbox: SandboxApp, token_for: Callable[..., str]
) -> None:
    limited = sdk_for(sandbox, token_for("update:users_app_metadata"))
    uid = stable_user_id("member@acme.test")
    assert limited.users.update(uid, app_metadata={"seen": True}).app_metadata == {"seen": True}
    with pytest.raises(ForbiddenError) as excinfo:
        limited.users.update(uid, email="x@acme.test")
    assert error_of(excinfo)["errorCode"] == "insufficient_scope"


def test_delete_detaches_memberships(mgmt: Auth0, sandbox: SandboxApp, raw: Raw) -> None:
    uid = stable_user_id("member@acme.test")
    mgmt.users.delete(uid)
    assert uid not in sandbox.state.users
    assert all(uid not in org.members for org in sandbox.state.organizations.values())
    with pytest.raises(NotFoundError):
        mgmt.users.get(uid)
    assert raw("DELETE", f"/users/{uid}").status_code == 204  # again: still 204


def test_search_by_email(mgmt: Auth0, raw: Raw) -> None:
    found = mgmt.users.list_users_by_email(email="admin@acme.test")
    assert [u.user_id for u in found] == [stable_user_id("admin@acme.test")]
    assert mgmt.users.list_users_by_email(email="ADMIN@acme.test") == []  # case-sensitive
    missing = raw("GET", "/users-by-email")
    assert missing.status_code == 400 and missing.json()["errorCode"] == "invalid_query_string"

    by_q = list(mgmt.users.list(q='email:"admin@acme.test"'))
    assert [u.email for u in by_q] == ["admin@acme.test"]
    unquoted = list(mgmt.users.list(q="email:admin@acme.test", search_engine="v3"))
    assert [u.email for u in unquoted] == ["admin@acme.test"]
    wildcard = list(mgmt.users.list(q="email:*@globex.test"))
    assert sorted(u.email or "" for u in wildcard) == ["admin@globex.test", "member@globex.test"]
    by_conn = list(mgmt.users.list(q=f'identities.connection:"{DB}"', per_page=2))
    assert len(by_conn) == 5  # the pager walks pages of two
    totals = raw("GET", "/users", params={"include_totals": "true", "per_page": 2}).json()
    assert totals["total"] == 5 and len(totals["users"]) == 2
    bad = raw("GET", "/users", params={"q": "email:(unclosed"})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "invalid_query_string"


def test_user_organizations(mgmt: Auth0, raw: Raw) -> None:
    orgs = list(mgmt.users.organizations.list(stable_user_id("admin@acme.test")))
    assert [o.name for o in orgs] == ["acme"]
    assert orgs[0].id == stable_id("org", "acme")
    plain = raw("GET", f"/users/{stable_user_id('admin@acme.test')}/organizations").json()
    assert isinstance(plain, list) and plain[0]["name"] == "acme"
    with pytest.raises(NotFoundError):
        list(mgmt.users.organizations.list("auth0|missing"))


def test_scopes_are_enforced(sdk_for: Callable[..., Auth0], sandbox: SandboxApp,
                             token_for: Callable[..., str]) -> None:  # fmt: skip
    reader = sdk_for(sandbox, token_for("read:users"))
    assert reader.users.get(stable_user_id("admin@acme.test"))
    for call in (
        lambda: reader.users.create(connection=DB, email="x@acme.test", password=STRONG),
        lambda: reader.users.update(stable_user_id("admin@acme.test"), name="x"),
        lambda: reader.users.delete(stable_user_id("admin@acme.test")),
        lambda: list(reader.users.organizations.list(stable_user_id("admin@acme.test"))),
    ):
        with pytest.raises(ForbiddenError) as excinfo:
            call()
        assert error_of(excinfo)["errorCode"] == "insufficient_scope"
