"""Organization logins: members get org_id/org_name, everyone else Auth0's errors."""

from __future__ import annotations

from sandbox import SandboxApp
from sandbox.seed import DEMO_APP_CLIENT_ID, DEMO_APP_CLIENT_SECRET, DEMO_CREDENTIALS, stable_id

from .login_support import Browser, RelyingParty, log_types, login, query

ACME_ADMIN = "admin@acme.test"
GLOBEX_ADMIN = "admin@globex.test"
DEMO_CALLBACK = "http://sandbox.test/__sandbox__/demo-app/callback"


def test_member_logs_in_by_org_id_and_gets_org_claims(sandbox: SandboxApp) -> None:
    acme = stable_id("org", "acme")
    rp, _, callback = login(sandbox, ACME_ADMIN, DEMO_CREDENTIALS[ACME_ADMIN], organization=acme)
    claims = rp.id_claims(rp.fetch_token(callback.headers["location"])["id_token"])
    assert claims["org_id"] == acme
    assert claims["org_name"] == "acme"
    entry = next(e for e in reversed(sandbox.state.logs) if e.type == "s")
    assert entry.organization_id == acme and entry.organization_name == "acme"


def test_member_logs_in_by_org_name(sandbox: SandboxApp) -> None:
    rp, _, callback = login(sandbox, ACME_ADMIN, DEMO_CREDENTIALS[ACME_ADMIN], organization="acme")
    claims = rp.id_claims(rp.fetch_token(callback.headers["location"])["id_token"])
    assert claims["org_id"] == stable_id("org", "acme")


def test_non_member_is_refused_with_access_denied(sandbox: SandboxApp) -> None:
    rp, _, callback = login(
        sandbox, GLOBEX_ADMIN, DEMO_CREDENTIALS[GLOBEX_ADMIN], organization="acme"
    )
    params = query(callback.headers["location"])
    user = sandbox.state.user_by_email(GLOBEX_ADMIN)
    assert user is not None
    assert params["error"] == "access_denied"
    assert params["error_description"] == (
        f"user {user.user_id} is not part of the {stable_id('org', 'acme')} organization"
    )
    assert params["state"] == rp.state
    assert "code" not in params
    assert log_types(sandbox)[-1] == "f"


def test_sso_session_of_a_non_member_is_refused_too(sandbox: SandboxApp) -> None:
    _, browser, _ = login(sandbox, GLOBEX_ADMIN, DEMO_CREDENTIALS[GLOBEX_ADMIN])
    response = browser.open(RelyingParty(sandbox).authorize_url(organization="acme"))
    assert query(response.headers["location"])["error"] == "access_denied"


def test_unknown_organization_is_invalid_request(sandbox: SandboxApp) -> None:
    rp = RelyingParty(sandbox)
    response = Browser(sandbox).open(rp.authorize_url(organization="org_doesnotexist"))
    params = query(response.headers["location"])
    assert params["error"] == "invalid_request"
    assert "org_doesnotexist" in params["error_description"]


def test_client_that_requires_an_org_without_prompt(sandbox: SandboxApp) -> None:
    sandbox.state.clients[DEMO_APP_CLIENT_ID].organization_require_behavior = "no_prompt"
    rp = RelyingParty(sandbox, DEMO_APP_CLIENT_ID, DEMO_APP_CLIENT_SECRET, DEMO_CALLBACK)
    params = query(Browser(sandbox).open(rp.authorize_url()).headers["location"])
    assert params == {
        "error": "invalid_request",
        "error_description": "parameter organization is required for this client",
        "state": rp.state,
    }


def test_organization_prompt_before_login(sandbox: SandboxApp) -> None:
    rp = RelyingParty(sandbox, DEMO_APP_CLIENT_ID, DEMO_APP_CLIENT_SECRET, DEMO_CALLBACK)
    browser = Browser(sandbox)
    prompt = browser.open(rp.authorize_url())
    assert 'name="organizationName"' in prompt.text
    wrong = browser.submit(prompt, {"organizationName": "nope"})
    assert wrong.status_code == 400 and "invalid" in wrong.text
    form = browser.submit(wrong, {"organizationName": "globex"})
    assert "Globex Inc" in form.text
    callback = browser.submit(
        form, {"username": GLOBEX_ADMIN, "password": DEMO_CREDENTIALS[GLOBEX_ADMIN]}
    )
    claims = rp.id_claims(rp.fetch_token(callback.headers["location"])["id_token"])
    assert claims["org_name"] == "globex"


def test_organization_on_a_client_without_organizations(sandbox: SandboxApp) -> None:
    from sandbox.seed import PORTAL_LOGIN_CLIENT_ID

    sandbox.state.clients[PORTAL_LOGIN_CLIENT_ID].organization_usage = "deny"
    response = Browser(sandbox).open(RelyingParty(sandbox).authorize_url(organization="acme"))
    assert query(response.headers["location"])["error"] == "invalid_request"
