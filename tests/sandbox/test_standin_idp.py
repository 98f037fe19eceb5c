"""The stand-in identity provider: attributes and claims, mapping, failures, presets."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import httpx
import pytest
from auth0.management.client import Auth0

from sandbox import SandboxApp
from sandbox.mgmt.connection_options import normalize
from sandbox.seed import PORTAL_LOGIN_CLIENT_ID, stable_id
from sandbox.state import Connection, OrgConnection, new_id

from .login_support import PORTAL_CALLBACK, Browser, RelyingParty, parse, query
from .mgmt_support import certificate, idp_metadata

ACME = stable_id("org", "acme")
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
OKTA_FIELDS = {"email": "email", "given_name": "firstName", "family_name": "lastName"}


def add_connection(
    app: SandboxApp, name: str = "acme-saml", strategy: str = "samlp", **options: Any
) -> Connection:
    conn = Connection(
        id=new_id("con"),
        name=name,
        strategy=strategy,
        options=dict(options),
        enabled_clients=[PORTAL_LOGIN_CLIENT_ID],
    )
    app.state.connections[conn.id] = conn
    app.state.organizations[ACME].connections[conn.id] = OrgConnection(
        conn.id, assign_membership_on_login=True
    )
    return conn


def open_idp(
    app: SandboxApp, connection: str = "acme-saml", **params: str
) -> tuple[RelyingParty, Browser, httpx.Response]:
    rp = RelyingParty(app)
    browser = Browser(app)
    page = browser.open(rp.authorize_url(organization=ACME, connection=connection, **params))
    assert page.status_code == 200, page.text
    return rp, browser, page


def fields(page: httpx.Response) -> dict[str, str]:
    return parse(page.text).forms[0].fields


def rows(page: httpx.Response) -> list[tuple[str, str]]:
    found = fields(page)
    names = sorted(
        (int(k.rsplit("_", 1)[1]) for k in found if k.startswith("attr_name_")),
    )
    return [(found[f"attr_name_{i}"], found[f"attr_value_{i}"]) for i in names]


def row_data(attributes: list[tuple[str, str]], blank: int = 8) -> dict[str, str]:
    """Form fields for these rows, blanking the page's other rows."""
    data: dict[str, str] = {}
    for i in range(blank):
        data[f"attr_name_{i}"] = data[f"attr_value_{i}"] = ""
    for i, (name, value) in enumerate(attributes):
        data[f"attr_name_{i}"], data[f"attr_value_{i}"] = name, value
    return data


def sign_in(
    app: SandboxApp, data: dict[str, str], connection: str = "acme-saml", **params: str
) -> tuple[RelyingParty, httpx.Response]:
    rp, browser, page = open_idp(app, connection, **params)
    return rp, browser.submit(page, data)


def id_claims(rp: RelyingParty, callback: httpx.Response) -> dict[str, Any]:
    assert callback.headers["location"].startswith(PORTAL_CALLBACK), callback.text
    return rp.id_claims(rp.fetch_token(callback.headers["location"])["id_token"])


# --- the page --------------------------------------------------------------------------


def test_page_prefills_auth0_saml_defaults_from_the_login_hint(sandbox: SandboxApp) -> None:
    add_connection(sandbox)
    _, _, page = open_idp(sandbox, login_hint="jane.doe@acme.test")
    assert "Signing in to acme-saml as the identity provider would" in page.text
    assert fields(page)["subject"] == "jane.doe@acme.test"
    assert rows(page) == [
        (CLAIMS + "emailaddress", "jane.doe@acme.test"),
        (CLAIMS + "givenname", "Jane"),
        (CLAIMS + "surname", "Doe"),
        (CLAIMS + "name", "Jane Doe"),
        ("", ""),
        ("", ""),
        ("", ""),
    ]
    # Accessible: every input has its label, the groups are fieldsets with legends.
    for name in fields(page):
        if name != "state":
            assert f'<label for="{name}">' in page.text
    assert page.text.count("<fieldset") == 3 and "<legend>Simulate a failure</legend>" in page.text
    assert '<option value="none" selected>' in page.text
    for code in ("audience", "issuer", "signature", "certificate_expired", "no_email"):
        assert f'<option value="{code}">' in page.text


def test_page_uses_the_fieldsmap_names(sandbox: SandboxApp) -> None:
    add_connection(sandbox, fieldsMap=OKTA_FIELDS)
    _, _, page = open_idp(sandbox, login_hint="ann@acme.test")
    assert rows(page)[:4] == [
        ("email", "ann@acme.test"),
        ("firstName", "Ann"),
        ("lastName", ""),
        (CLAIMS + "name", "Ann"),
    ]


def test_oidc_page_offers_the_standard_claims(sandbox: SandboxApp) -> None:
    add_connection(sandbox, "acme-oidc", "oidc", client_id="x")
    _, _, page = open_idp(sandbox, "acme-oidc", login_hint="kim.lee@acme.test")
    assert "Subject (sub claim)" in page.text and "Claims the identity provider sends" in page.text
    assert fields(page)["subject"] == "kim.lee@acme.test"
    assert rows(page)[:4] == [
        ("email", "kim.lee@acme.test"),
        ("given_name", "Kim"),
        ("family_name", "Lee"),
        ("name", "Kim Lee"),
    ]


def test_page_escapes_what_it_shows(sandbox: SandboxApp, http: httpx.Client) -> None:
    add_connection(sandbox)
    http.put("/__sandbox__/idp/acme-saml", json={"attributes": {'"><script>': "<b>x</b>"}})
    _, _, page = open_idp(sandbox)
    assert "<script>" not in page.text and "&lt;b&gt;x&lt;/b&gt;" in page.text


# --- mapping ---------------------------------------------------------------------------


def test_fieldsmap_mapping_and_raw_attributes_through_the_sdk(
    sandbox: SandboxApp, mgmt: Auth0
) -> None:
    add_connection(sandbox, fieldsMap=OKTA_FIELDS)
    attributes = [
        ("email", "Ann.Smith@acme.test"),
        ("firstName", "Ann"),
        ("lastName", "Smith"),
        ("groups", "admins"),
        ("groups", "staff"),
    ]
    rp, callback = sign_in(sandbox, {"subject": "00u1abc", **row_data(attributes)})
    claims = id_claims(rp, callback)
    assert claims["sub"] == "samlp|acme-saml|00u1abc"
    assert claims["email"] == "ann.smith@acme.test" and claims["email_verified"] is True
    assert claims["given_name"] == "Ann" and claims["family_name"] == "Smith"
    raw = {"email": "Ann.Smith@acme.test", "firstName": "Ann", "lastName": "Smith"}
    raw["groups"] = ["admins", "staff"]  # type: ignore[assignment]
    user = mgmt.users.get("samlp|acme-saml|00u1abc")
    assert user.model_extra is not None
    assert {k: user.model_extra[k] for k in ("firstName", "lastName", "groups")} == {
        "firstName": "Ann",
        "lastName": "Smith",
        "groups": ["admins", "staff"],
    }
    assert user.identities and user.identities[0].profile_data is not None
    assert user.identities[0].profile_data.model_dump(exclude_none=True) == raw
    assert user.identities[0].user_id == "acme-saml|00u1abc"


def test_auth0_default_saml_names_and_user_id_attribute(sandbox: SandboxApp) -> None:
    add_connection(sandbox, user_id_attribute="employeeNumber")
    attributes = [
        (CLAIMS + "emailaddress", "bo@acme.test"),
        (CLAIMS + "name", "Bo Ng"),
        ("employeeNumber", "E-42"),
    ]
    rp, callback = sign_in(sandbox, {"subject": "bo@acme.test", **row_data(attributes)})
    claims = id_claims(rp, callback)
    assert claims["sub"] == "samlp|acme-saml|E-42"
    assert claims["email"] == "bo@acme.test" and claims["name"] == "Bo Ng"
    assert "given_name" not in claims
    user = sandbox.state.users["samlp|acme-saml|E-42"]
    assert user.extra["employeeNumber"] == "E-42"


def test_later_logins_refresh_the_profile_and_attributes(sandbox: SandboxApp) -> None:
    add_connection(sandbox, fieldsMap=OKTA_FIELDS)
    sign_in(sandbox, {"subject": "u1", **row_data([("email", "a@acme.test"), ("dept", "x")])})
    sign_in(sandbox, {"subject": "u1", **row_data([("email", "b@acme.test"), ("team", "y")])})
    user = sandbox.state.users["samlp|acme-saml|u1"]
    assert user.email == "b@acme.test"
    assert user.profile_data == {"email": "b@acme.test", "team": "y"}
    assert "dept" not in user.extra and user.extra["team"] == "y"
    assert [e.type for e in sandbox.state.logs].count("ss") == 1


@pytest.mark.parametrize("strategy", ["oidc", "okta", "waad", "google-apps"])
def test_oidc_family_claims(sandbox: SandboxApp, strategy: str) -> None:
    add_connection(sandbox, "acme-idp", strategy, client_id="x")
    claims_sent = [("email", "Kim@acme.test"), ("given_name", "Kim"), ("name", "Kim K")]
    rp, callback = sign_in(sandbox, {"subject": "abc-123", **row_data(claims_sent)}, "acme-idp")
    claims = id_claims(rp, callback)
    assert claims["sub"] == f"{strategy}|acme-idp|abc-123"
    assert claims["email"] == "kim@acme.test" and claims["name"] == "Kim K"
    user = sandbox.state.users[claims["sub"]]
    assert user.profile_data == {
        "email": "Kim@acme.test",
        "given_name": "Kim",
        "name": "Kim K",
        "sub": "abc-123",
    }


def test_typing_only_an_email_fills_the_rest(sandbox: SandboxApp) -> None:
    add_connection(sandbox)
    rp, callback = sign_in(sandbox, {"email": "Lee.Park@acme.test"})
    claims = id_claims(rp, callback)
    assert claims["sub"] == "samlp|acme-saml|lee.park@acme.test"
    assert claims["given_name"] == "Lee" and claims["family_name"] == "Park"
    assert sandbox.state.users[claims["sub"]].profile_data[CLAIMS + "surname"] == "Park"


def test_nothing_typed_asks_for_someone(sandbox: SandboxApp) -> None:
    add_connection(sandbox)
    _, browser, page = open_idp(sandbox)
    again = browser.submit(page, {})
    assert again.status_code == 400 and "Enter an email address or the NameID" in again.text
    bad = browser.submit(page, {"email": "not-an-address"})
    assert bad.status_code == 400 and "valid email address" in bad.text


# --- missing email ---------------------------------------------------------------------


def test_no_email_attribute_still_signs_in(sandbox: SandboxApp, mgmt: Auth0) -> None:
    add_connection(sandbox, domain_aliases=["acme.test"])
    rp, callback = sign_in(sandbox, {"subject": "u-77", **row_data([(CLAIMS + "name", "Ann")])})
    claims = id_claims(rp, callback)
    assert claims["sub"] == "samlp|acme-saml|u-77" and "email" not in claims
    assert claims["name"] == "Ann"
    user = mgmt.users.get("samlp|acme-saml|u-77")
    assert not user.email and user.email_verified is False


@pytest.mark.parametrize(("strategy", "options"), [("samlp", {}), ("oidc", {"client_id": "x"})])
def test_no_email_failure_drops_the_email(
    sandbox: SandboxApp, strategy: str, options: dict[str, str]
) -> None:
    add_connection(sandbox, "acme-idp", strategy, **options)
    rp, callback = sign_in(
        sandbox, {"failure": "no_email"}, "acme-idp", login_hint="max.mo@acme.test"
    )
    claims = id_claims(rp, callback)
    assert "email" not in claims and claims["given_name"] == "Max"
    user = sandbox.state.users[claims["sub"]]
    assert user.email == "" and "email" not in user.profile_data
    assert CLAIMS + "emailaddress" not in user.profile_data


def test_domain_aliases_still_refuse_other_addresses(sandbox: SandboxApp) -> None:
    add_connection(sandbox, domain_aliases=["acme.test"])
    _, browser, page = open_idp(sandbox, login_hint="eve@evil.test")
    refused = browser.submit(page)
    assert refused.status_code == 400 and "only signs in addresses at @acme.test" in refused.text


# --- failures --------------------------------------------------------------------------


def _failed(sandbox: SandboxApp, failure: str, connection: str = "acme-saml") -> str:
    _, callback = sign_in(sandbox, {"failure": failure}, connection, login_hint="a@acme.test")
    params = query(callback.headers["location"])
    assert callback.headers["location"].startswith(PORTAL_CALLBACK)
    assert params["error"] == "access_denied" and params["state"]
    log = sandbox.state.logs[-1]
    assert log.type == "f" and log.description == params["error_description"]
    assert log.connection == connection and log.organization_id == ACME
    assert not [u for u in sandbox.state.users.values() if u.connection == connection]
    return params["error_description"]


def test_wrong_audience(sandbox: SandboxApp) -> None:
    add_connection(sandbox)
    assert (
        _failed(sandbox, "audience")
        == "Audience is invalid. Configured: urn:auth0:sandbox:acme-saml"
    )


def test_wrong_issuer_names_the_idp_entity_id(sandbox: SandboxApp) -> None:
    add_connection(sandbox, metadataXml=idp_metadata())
    assert _failed(sandbox, "issuer") == "Issuer is invalid. Configured: https://idp.acme.test"


@pytest.mark.parametrize(
    ("strategy", "options", "expected"),
    [
        ("samlp", {}, "unknown"),
        ("samlp", {"entityId": "urn:idp:acme"}, "urn:idp:acme"),
        ("oidc", {"issuer": "https://login.acme.test"}, "https://login.acme.test"),
        (
            "oidc",
            {"discovery_url": "https://o.test/.well-known/openid-configuration"},
            "https://o.test",
        ),
        ("okta", {"domain": "acme.okta.com"}, "https://acme.okta.com"),
        ("google-apps", {"domain": "acme.test"}, "https://accounts.google.com"),
    ],
)
def test_wrong_issuer_by_strategy(
    sandbox: SandboxApp, strategy: str, options: dict[str, str], expected: str
) -> None:
    add_connection(sandbox, "acme-idp", strategy, **options)
    assert _failed(sandbox, "issuer", "acme-idp") == f"Issuer is invalid. Configured: {expected}"


def test_invalid_signature_names_the_configured_thumbprint(sandbox: SandboxApp) -> None:
    der, _ = certificate()
    options = normalize(
        "samlp", {"signInEndpoint": "https://idp.acme.test/sso", "signingCert": der}
    )
    add_connection(sandbox, **options)
    described = _failed(sandbox, "signature")
    thumbprint = hashlib.sha1(base64.b64decode(der), usedforsecurity=False).hexdigest()
    match = re.fullmatch(
        r"Invalid thumbprint \(configured: (\w+), calculated: ([0-9a-f]{40})\)", described
    )
    assert match is not None, described
    assert match.group(1) == thumbprint and match.group(2) != thumbprint


def test_invalid_signature_without_a_certificate(sandbox: SandboxApp) -> None:
    add_connection(sandbox, metadataUrl="https://idp.acme.test/md")
    assert _failed(sandbox, "signature").startswith(
        "Invalid thumbprint (configured: none, calculated: "
    )


def test_invalid_signature_reads_the_certificate_of_metadata(sandbox: SandboxApp) -> None:
    add_connection(sandbox, "acme-adfs", "adfs", fedMetadataXml=idp_metadata())
    der, _ = certificate()
    thumbprint = hashlib.sha1(base64.b64decode(der), usedforsecurity=False).hexdigest()
    assert f"(configured: {thumbprint}," in _failed(sandbox, "signature", "acme-adfs")


def test_expired_certificate(sandbox: SandboxApp) -> None:
    add_connection(sandbox, "acme-ping", "pingfederate")
    described = _failed(sandbox, "certificate_expired", "acme-ping")
    assert described == "The signing certificate of the SAML response has expired"


def test_oidc_failures_use_the_same_words(sandbox: SandboxApp) -> None:
    add_connection(sandbox, "acme-oidc", "oidc", client_id="x")
    assert _failed(sandbox, "audience", "acme-oidc").startswith("Audience is invalid. Configured: ")


# --- presets (control routes) ----------------------------------------------------------


def test_presets_set_read_and_clear(sandbox: SandboxApp, http: httpx.Client) -> None:
    empty = {"connection": "acme-saml", "subject": None, "attributes": None, "failure": None}
    assert http.get("/__sandbox__/idp/acme-saml").json() == empty
    preset = {"subject": "00u9", "attributes": {"email": "p@acme.test", "groups": ["a", "b"]}}
    put = http.put("/__sandbox__/idp/acme-saml", json={**preset, "failure": "issuer"})
    assert put.status_code == 200
    assert put.json() == {"connection": "acme-saml", **preset, "failure": "issuer"}
    assert http.get("/__sandbox__/idp/acme-saml").json() == put.json()
    assert http.delete("/__sandbox__/idp/acme-saml").status_code == 204
    assert http.get("/__sandbox__/idp/acme-saml").json() == empty


@pytest.mark.parametrize(
    "body",
    [
        {"failure": "meteor"},
        {"subject": 3},
        {"attributes": ["email"]},
        {"attributes": {"email": 5}},
        {"attributes": {"email": ["a", 1]}},
        {"colour": "red"},
        [],
    ],
)
def test_presets_are_checked(http: httpx.Client, body: Any) -> None:
    response = http.put("/__sandbox__/idp/acme-saml", json=body)
    assert response.status_code == 400, response.text


def test_preset_fills_the_page_and_signs_in_without_typing(
    sandbox: SandboxApp, http: httpx.Client
) -> None:
    add_connection(sandbox, fieldsMap=OKTA_FIELDS)
    preset = {"subject": "00u9", "attributes": {"email": "p@acme.test", "groups": ["a", "b"]}}
    http.put("/__sandbox__/idp/acme-saml", json=preset)
    rp, browser, page = open_idp(sandbox, login_hint="ignored@acme.test")
    assert fields(page)["subject"] == "00u9"
    assert rows(page)[:3] == [("email", "p@acme.test"), ("groups", "a"), ("groups", "b")]
    claims = id_claims(rp, browser.submit(page))
    assert claims["sub"] == "samlp|acme-saml|00u9" and claims["email"] == "p@acme.test"
    assert sandbox.state.users[claims["sub"]].profile_data["groups"] == ["a", "b"]


def test_preset_failure_is_the_default_choice(sandbox: SandboxApp, http: httpx.Client) -> None:
    add_connection(sandbox)
    http.put("/__sandbox__/idp/acme-saml", json={"failure": "certificate_expired"})
    _, browser, page = open_idp(sandbox, login_hint="a@acme.test")
    assert '<option value="certificate_expired" selected>' in page.text
    # A browser posts the selected option; this test client leaves selects out, and the
    # preset stands in for it. Choosing "none" on the page overrides the preset.
    failed = browser.submit(page)
    assert query(failed.headers["location"])["error"] == "access_denied"
    _, browser, page = open_idp(sandbox, login_hint="a@acme.test")
    assert "code" in query(browser.submit(page, {"failure": "none"}).headers["location"])


def test_presets_are_cleared_by_reset(sandbox: SandboxApp, http: httpx.Client) -> None:
    http.put("/__sandbox__/idp/acme-saml", json={"subject": "x"})
    http.post("/__sandbox__/reset", json={"seed": "demo"})
    assert http.get("/__sandbox__/idp/acme-saml").json()["subject"] is None
