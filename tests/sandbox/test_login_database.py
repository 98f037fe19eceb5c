"""Database-connection logins with authlib as the relying party."""

from __future__ import annotations

import httpx
import pytest

from sandbox import SandboxApp
from sandbox.seed import DEMO_CREDENTIALS, PORTAL_LOGIN_CLIENT_ID, PORTAL_LOGIN_CLIENT_SECRET

from .login_support import PORTAL_CALLBACK, Browser, RelyingParty, log_types, login, query
from .openapi import AUTHN_DOC, OpenAPIValidator, load_document, require_openapi

STAFF = "staff@portal.test"


@pytest.fixture
def authn_openapi() -> OpenAPIValidator:
    require_openapi(AUTHN_DOC)
    return OpenAPIValidator(load_document(AUTHN_DOC))


def test_discovery_and_jwks(http: httpx.Client) -> None:
    config = http.get("/.well-known/openid-configuration").json()
    assert config["issuer"] == "http://sandbox.test/"
    assert config["authorization_endpoint"] == "http://sandbox.test/authorize"
    assert config["jwks_uri"] == "http://sandbox.test/.well-known/jwks.json"
    assert "S256" in config["code_challenge_methods_supported"]
    keys = http.get(config["jwks_uri"]).json()["keys"]
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and "d" not in keys[0]


def test_database_login_issues_verified_tokens(
    sandbox: SandboxApp, authn_openapi: OpenAPIValidator
) -> None:
    rp, _, callback = login(sandbox, STAFF, DEMO_CREDENTIALS[STAFF])
    assert callback.status_code == 302
    location = callback.headers["location"]
    assert location.startswith(PORTAL_CALLBACK)
    assert query(location)["state"] == rp.state
    token = rp.fetch_token(location)
    authn_openapi.validate(
        "POST", "/oauth/token", 200, {k: v for k, v in token.items() if k != "expires_at"}
    )
    assert token["token_type"] == "Bearer"
    claims = rp.id_claims(token["id_token"])
    user = sandbox.state.user_by_email(STAFF)
    assert user is not None
    assert claims["sub"] == user.user_id
    assert claims["email"] == STAFF and claims["email_verified"] is True
    assert claims["name"] == STAFF
    assert "org_id" not in claims and "org_name" not in claims
    assert claims["exp"] > claims["iat"]
    assert user.logins_count == 1
    assert log_types(sandbox)[-2:] == ["s", "seacft"]


def test_userinfo_with_the_access_token(sandbox: SandboxApp) -> None:
    rp, _, callback = login(sandbox, STAFF, DEMO_CREDENTIALS[STAFF])
    rp.fetch_token(callback.headers["location"])
    info = rp.oauth.get(f"{rp.base}/userinfo").json()
    assert info["email"] == STAFF and info["sub"].startswith("auth0|")
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox)) as http:
        bad = http.get(f"{rp.base}/userinfo", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_token"


def test_login_access_token_cannot_call_the_management_api(sandbox: SandboxApp) -> None:
    rp, _, callback = login(sandbox, STAFF, DEMO_CREDENTIALS[STAFF])
    token = rp.fetch_token(callback.headers["location"])
    response = rp.oauth.get(
        f"{rp.base}/api/v2/organizations",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert response.status_code == 401


def test_wrong_password_stays_on_the_form_and_logs_fp(sandbox: SandboxApp) -> None:
    _, _, page = login(sandbox, STAFF, "not-the-password")
    assert page.status_code == 400
    assert "Wrong email or password." in page.text
    entry = sandbox.state.logs[-1]
    assert entry.type == "fp" and entry.user_name == STAFF
    assert entry.client_id == PORTAL_LOGIN_CLIENT_ID


def test_unknown_user_logs_fu(sandbox: SandboxApp) -> None:
    _, _, page = login(sandbox, "nobody@portal.test", "whatever")
    assert page.status_code == 400
    assert sandbox.state.logs[-1].type == "fu"


def test_sso_session_skips_the_form_unless_prompt_login(sandbox: SandboxApp) -> None:
    _, browser, first = login(sandbox, STAFF, DEMO_CREDENTIALS[STAFF])
    assert "code" in query(first.headers["location"])
    again = browser.open(RelyingParty(sandbox).authorize_url())
    assert again.status_code == 302 and "code" in query(again.headers["location"])
    forced = browser.open(RelyingParty(sandbox).authorize_url(prompt="login"))
    assert forced.status_code == 200 and 'name="password"' in forced.text


def test_prompt_none_without_session_is_login_required(sandbox: SandboxApp) -> None:
    rp = RelyingParty(sandbox)
    response = Browser(sandbox).open(rp.authorize_url(prompt="none"))
    assert query(response.headers["location"])["error"] == "login_required"


def test_code_is_single_use(sandbox: SandboxApp) -> None:
    rp, _, callback = login(sandbox, STAFF, DEMO_CREDENTIALS[STAFF])
    location = callback.headers["location"]
    rp.fetch_token(location)
    replay = rp.oauth.post(
        f"{rp.base}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": query(location)["code"],
            "redirect_uri": PORTAL_CALLBACK,
            "code_verifier": rp.verifier,
            "client_id": PORTAL_LOGIN_CLIENT_ID,
            "client_secret": PORTAL_LOGIN_CLIENT_SECRET,
        },
    )
    assert replay.status_code == 400
    assert replay.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid authorization code",
    }
    assert sandbox.state.logs[-1].type == "feacft"


def test_code_expires(sandbox: SandboxApp, clock) -> None:  # type: ignore[no-untyped-def]
    rp, _, callback = login(sandbox, STAFF, DEMO_CREDENTIALS[STAFF])
    clock.advance(601)
    with pytest.raises(Exception, match="invalid_grant"):
        rp.fetch_token(callback.headers["location"])


def test_pkce_failure(sandbox: SandboxApp) -> None:
    rp, _, callback = login(sandbox, STAFF, DEMO_CREDENTIALS[STAFF])
    code = query(callback.headers["location"])["code"]
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox)) as http:
        response = http.post(
            f"{rp.base}/oauth/token",
            json={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": PORTAL_CALLBACK,
                "client_id": PORTAL_LOGIN_CLIENT_ID,
                "client_secret": PORTAL_LOGIN_CLIENT_SECRET,
                "code_verifier": "x" * 43,
            },
        )
    assert response.status_code == 400
    assert response.json()["error_description"] == "Failed to verify code verifier"


def test_client_secret_post_and_wrong_secret(sandbox: SandboxApp) -> None:
    rp = RelyingParty(sandbox, auth_method="client_secret_post")
    rp, _, callback = login(sandbox, STAFF, DEMO_CREDENTIALS[STAFF], rp=rp)
    assert "id_token" in rp.fetch_token(callback.headers["location"])
    wrong = RelyingParty(sandbox, client_secret="wrong")
    wrong, _, callback = login(sandbox, STAFF, DEMO_CREDENTIALS[STAFF], rp=wrong)
    with pytest.raises(Exception, match="access_denied"):
        wrong.fetch_token(callback.headers["location"])


def test_redirect_uri_must_be_a_callback(sandbox: SandboxApp) -> None:
    rp = RelyingParty(sandbox, redirect_uri="http://evil.test/cb")
    page = Browser(sandbox).open(rp.authorize_url())
    assert page.status_code == 400 and "Callback URL mismatch" in page.text


def test_unknown_client_gets_an_error_page(sandbox: SandboxApp) -> None:
    page = Browser(sandbox).open("/authorize?response_type=code&client_id=nope")
    assert page.status_code == 400 and "Unknown client: nope" in page.text


def test_unsupported_response_type_goes_back_to_the_app(sandbox: SandboxApp) -> None:
    rp = RelyingParty(sandbox)
    url = rp.authorize_url().replace("response_type=code", "response_type=token")
    response = Browser(sandbox).open(url)
    assert query(response.headers["location"])["error"] == "unsupported_response_type"


def test_html_in_parameters_is_escaped(sandbox: SandboxApp) -> None:
    rp = RelyingParty(sandbox)
    page = Browser(sandbox).open(rp.authorize_url(login_hint='"><script>x</script>'))
    assert "<script>x" not in page.text and "&lt;script&gt;" in page.text
