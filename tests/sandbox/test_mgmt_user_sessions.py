"""A user's sessions and refresh tokens through the real SDK (list, delete: "sign out
everywhere"), and the Authentication API's password reset email, each answer checked
against Auth0's OpenAPI documents."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.errors import ForbiddenError, NotFoundError

from sandbox import SandboxApp
from sandbox.authn.cookies import DEFAULT_MAX_AGE
from sandbox.seed import DEMO_CREDENTIALS, PORTAL_LOGIN_CLIENT_ID, stable_user_id

from .conftest import FakeClock
from .login_support import login, parse
from .mgmt_support import DB
from .openapi import AUTHN_DOC, OpenAPIValidator, load_document, require_openapi

MEMBER = "member@acme.test"
MEMBER_ID = stable_user_id(MEMBER)
RESET = "/dbconnections/change_password"


@pytest.fixture
def authn_openapi() -> OpenAPIValidator:
    require_openapi(AUTHN_DOC)
    return OpenAPIValidator(load_document(AUTHN_DOC))


def _log_in(sandbox: SandboxApp) -> None:
    _, _, callback = login(sandbox, MEMBER, DEMO_CREDENTIALS[MEMBER])
    assert callback.status_code == 302, callback.text[:300]


def _session_ids(mgmt: Auth0, user_id: str = MEMBER_ID) -> list[str]:
    pager = mgmt.users.sessions.list(user_id)
    return [session.id or "" for session in pager.items or []]


# --- sessions ------------------------------------------------------------------------------


def test_each_login_is_a_session_with_its_client_and_method(
    mgmt: Auth0, sandbox: SandboxApp
) -> None:
    assert _session_ids(mgmt) == []
    _log_in(sandbox)
    _log_in(sandbox)
    pager = mgmt.users.sessions.list(MEMBER_ID)
    sessions = pager.items or []
    assert len(sessions) == 2
    first = sessions[0]
    assert first.user_id == MEMBER_ID
    assert first.clients and first.clients[0].client_id == PORTAL_LOGIN_CLIENT_ID
    assert first.authentication and first.authentication.methods
    assert first.authentication.methods[0].name == "pwd"


def test_deleting_the_sessions_answers_202_and_empties_the_list(
    mgmt: Auth0, sandbox: SandboxApp, api: httpx.Client
) -> None:
    _log_in(sandbox)
    assert len(_session_ids(mgmt)) == 1
    response = api.delete(f"/api/v2/users/{MEMBER_ID}/sessions")
    assert response.status_code == 202 and response.content == b""
    assert _session_ids(mgmt) == []
    mgmt.users.sessions.delete(MEMBER_ID)  # again: still accepted
    _log_in(sandbox)  # a login after the deletion is a new session
    assert len(_session_ids(mgmt)) == 1


def test_sessions_end_with_the_cookie_lifetime(
    mgmt: Auth0, sandbox: SandboxApp, clock: FakeClock
) -> None:
    _log_in(sandbox)
    clock.advance(DEFAULT_MAX_AGE + 1)
    assert _session_ids(mgmt) == []


def test_sessions_page_by_checkpoint(mgmt: Auth0, sandbox: SandboxApp, api: httpx.Client) -> None:
    for _ in range(3):
        _log_in(sandbox)
    first = api.get(f"/api/v2/users/{MEMBER_ID}/sessions", params={"take": 2}).json()
    assert len(first["sessions"]) == 2 and first["next"]
    rest = api.get(
        f"/api/v2/users/{MEMBER_ID}/sessions", params={"take": 2, "from": first["next"]}
    ).json()
    assert len(rest["sessions"]) == 1 and "next" not in rest
    ids = {s["id"] for s in first["sessions"]} | {s["id"] for s in rest["sessions"]}
    assert len(ids) == 3


# --- refresh tokens ------------------------------------------------------------------------


def test_refresh_tokens_list_empty_and_delete_answers_202(mgmt: Auth0, api: httpx.Client) -> None:
    listed = api.get(f"/api/v2/users/{MEMBER_ID}/refresh-tokens")
    assert listed.status_code == 200 and listed.json() == {"tokens": []}
    assert (mgmt.users.refresh_token.list(MEMBER_ID).items or []) == []
    response = api.delete(f"/api/v2/users/{MEMBER_ID}/refresh-tokens")
    assert response.status_code == 202
    mgmt.users.refresh_token.delete(MEMBER_ID)


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["sessions", "refresh-tokens"])
def test_an_unknown_user_is_404(api: httpx.Client, path: str) -> None:
    for method in ("GET", "DELETE"):
        response = api.request(method, f"/api/v2/users/auth0|nobody/{path}")
        assert response.status_code == 404
        assert response.json()["errorCode"] == "inexistent_user"


def test_each_call_needs_its_scope(
    sandbox: SandboxApp, sdk_for: Callable[..., Auth0], token_for: Callable[..., str]
) -> None:
    reader = sdk_for(sandbox, token=token_for("read:users"))
    calls = [
        lambda: reader.users.sessions.list(MEMBER_ID),
        lambda: reader.users.sessions.delete(MEMBER_ID),
        lambda: reader.users.refresh_token.list(MEMBER_ID),
        lambda: reader.users.refresh_token.delete(MEMBER_ID),
    ]
    for call in calls:
        with pytest.raises(ForbiddenError):
            call()
    allowed = sdk_for(sandbox, token=token_for("read:sessions", "delete:sessions"))
    allowed.users.sessions.delete(MEMBER_ID)
    with pytest.raises(NotFoundError):
        allowed.users.sessions.list("auth0|nobody")


# --- the password reset email (Authentication API) ------------------------------------------


def _reset(http: httpx.Client, **body: str) -> httpx.Response:
    fields = {"client_id": PORTAL_LOGIN_CLIENT_ID, "email": MEMBER, "connection": DB, **body}
    return http.post(RESET, json=fields)


def test_a_reset_request_emails_a_link_that_sets_a_new_password(
    http: httpx.Client, sandbox: SandboxApp, authn_openapi: OpenAPIValidator
) -> None:
    org_id = next(o.id for o in sandbox.state.organizations.values() if o.name == "acme")
    response = _reset(http, organization=org_id)
    assert response.status_code == 200
    assert response.text == "We've just sent you an email to reset your password."
    assert response.headers["content-type"].startswith("text/plain")
    authn_openapi.validate("POST", RESET, 200, response.text)
    mail = sandbox.state.emails[-1]
    assert mail.to == MEMBER and mail.kind == "reset_password"
    assert "/lo/reset?ticket=" in mail.text and "password" not in mail.meta
    assert sandbox.state.logs[-1].type == "scpr"
    page = http.get(mail.meta["link"])
    assert page.status_code == 200 and parse(page.text).forms


def test_an_unknown_email_gets_the_same_answer_and_no_mail(
    http: httpx.Client, sandbox: SandboxApp
) -> None:
    before = len(sandbox.state.emails)
    response = _reset(http, email="nobody@acme.test")
    assert response.status_code == 200
    assert response.text == "We've just sent you an email to reset your password."
    assert len(sandbox.state.emails) == before


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({"connection": "no-such-db"}, "connection not found"),
        ({"client_id": "nope"}, "Unknown client: nope"),
        ({"email": ""}, "Missing required parameter: email"),
        ({"organization": "org_unknown"}, "Invalid organization: org_unknown"),
    ],
)
def test_bad_requests_are_refused_in_auth0s_error_shape(
    http: httpx.Client,
    sandbox: SandboxApp,
    authn_openapi: OpenAPIValidator,
    body: dict[str, str],
    description: str,
) -> None:
    before = len(sandbox.state.emails)
    response = _reset(http, **body)
    assert response.status_code == 400
    error = response.json()
    authn_openapi.validate("POST", RESET, 400, error)
    assert error == {"error": "invalid_request", "error_description": description}
    assert len(sandbox.state.emails) == before
