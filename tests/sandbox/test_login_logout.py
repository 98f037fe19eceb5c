"""/v2/logout and /oidc/logout: returnTo checked against the client's logout URLs."""

from __future__ import annotations

from sandbox import SandboxApp
from sandbox.seed import DEMO_CREDENTIALS, PORTAL_LOGIN_CLIENT_ID

from .login_support import RelyingParty, log_types, login, query

STAFF = "staff@portal.test"


def test_logout_to_an_allowed_url_ends_the_session(sandbox: SandboxApp) -> None:
    _, browser, _ = login(sandbox, STAFF, DEMO_CREDENTIALS[STAFF])
    assert "auth0" in browser.client.cookies
    response = browser.client.get(
        "/v2/logout",
        params={"client_id": PORTAL_LOGIN_CLIENT_ID, "returnTo": "http://127.0.0.1:8000/"},
    )
    assert response.status_code == 302
    assert response.headers["location"] == "http://127.0.0.1:8000/"
    assert "auth0" not in browser.client.cookies
    assert log_types(sandbox)[-1] == "slo"
    page = browser.open(RelyingParty(sandbox).authorize_url())
    assert page.status_code == 200 and 'name="password"' in page.text


def test_logout_to_an_unlisted_url_is_refused(sandbox: SandboxApp) -> None:
    _, browser, _ = login(sandbox, STAFF, DEMO_CREDENTIALS[STAFF])
    response = browser.client.get(
        "/v2/logout", params={"client_id": PORTAL_LOGIN_CLIENT_ID, "returnTo": "http://evil.test/"}
    )
    assert response.status_code == 400
    assert "Allowed Logout URLs" in response.text and "location" not in response.headers


def test_return_to_needs_a_client_id(sandbox: SandboxApp) -> None:
    _, browser, _ = login(sandbox, STAFF, DEMO_CREDENTIALS[STAFF])
    response = browser.client.get("/v2/logout", params={"returnTo": "http://127.0.0.1:8000/"})
    assert response.status_code == 400


def test_logout_without_return_to(sandbox: SandboxApp) -> None:
    _, browser, _ = login(sandbox, STAFF, DEMO_CREDENTIALS[STAFF])
    default = browser.client.get("/v2/logout", params={"client_id": PORTAL_LOGIN_CLIENT_ID})
    assert default.headers["location"] == "http://127.0.0.1:8000/"
    plain = browser.client.get("/v2/logout")
    assert plain.status_code == 200 and "logged out" in plain.text


def test_oidc_logout_passes_state_back(sandbox: SandboxApp) -> None:
    _, browser, _ = login(sandbox, STAFF, DEMO_CREDENTIALS[STAFF])
    response = browser.client.get(
        "/oidc/logout",
        params={
            "client_id": PORTAL_LOGIN_CLIENT_ID,
            "post_logout_redirect_uri": "http://localhost:8000/",
            "state": "s1",
        },
    )
    assert response.status_code == 302
    assert query(response.headers["location"]) == {"state": "s1"}
    assert "auth0" not in browser.client.cookies
