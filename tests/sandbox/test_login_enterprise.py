"""Enterprise connections through the simulated identity provider."""

from __future__ import annotations

import pytest

from sandbox import SandboxApp
from sandbox.seed import PORTAL_LOGIN_CLIENT_ID, stable_id
from sandbox.state import Connection, OrgConnection

from .login_support import Browser, RelyingParty, log_types, query

ACME = stable_id("org", "acme")


def add_saml(app: SandboxApp, *, assign: bool = True, **options: object) -> Connection:
    conn = Connection(
        id="con_acmesaml0000001",
        name="acme-saml",
        strategy="samlp",
        display_name="Acme SSO",
        options={"domain_aliases": ["acme-corp.example"], **options},
        enabled_clients=[PORTAL_LOGIN_CLIENT_ID],
    )
    app.state.connections[conn.id] = conn
    app.state.organizations[ACME].connections[conn.id] = OrgConnection(
        conn.id, assign_membership_on_login=assign
    )
    return conn


def test_first_login_creates_the_user_and_the_membership(sandbox: SandboxApp) -> None:
    add_saml(sandbox)
    rp = RelyingParty(sandbox)
    browser = Browser(sandbox)
    idp = browser.open(rp.authorize_url(organization=ACME, connection="acme-saml"))
    assert "Simulated identity provider" in idp.text and "@acme-corp.example" in idp.text
    outsider = browser.submit(idp, {"email": "eve@elsewhere.example"})
    assert outsider.status_code == 400 and "only signs in addresses" in outsider.text
    callback = browser.submit(outsider, {"email": "Jane@acme-corp.example", "name": "Jane Doe"})
    claims = rp.id_claims(rp.fetch_token(callback.headers["location"])["id_token"])
    assert claims["sub"] == "samlp|acme-saml|jane@acme-corp.example"
    assert claims["org_id"] == ACME and claims["name"] == "Jane Doe"
    user = sandbox.state.users[claims["sub"]]
    assert user.connection == "acme-saml" and user.provider == "samlp"
    assert user.user_id in sandbox.state.organizations[ACME].members
    assert log_types(sandbox)[-3:] == ["ss", "s", "seacft"]

    second = RelyingParty(sandbox)
    again = Browser(sandbox)
    page = again.open(second.authorize_url(organization=ACME, connection="acme-saml"))
    again.submit(page, {"email": "jane@acme-corp.example"})
    assert log_types(sandbox).count("ss") == 1


def test_without_membership_on_login_the_user_is_refused(sandbox: SandboxApp) -> None:
    add_saml(sandbox, assign=False)
    rp = RelyingParty(sandbox)
    browser = Browser(sandbox)
    idp = browser.open(rp.authorize_url(organization=ACME, connection="acme-saml"))
    callback = browser.submit(idp, {"email": "joe@acme-corp.example"})
    assert query(callback.headers["location"])["error"] == "access_denied"
    assert "samlp|acme-saml|joe@acme-corp.example" in sandbox.state.users


@pytest.mark.parametrize(
    ("strategy", "options", "email"),
    [
        ("waad", {"domain_aliases": [], "tenant_domain": "contoso.example"}, "a@contoso.example"),
        ("google-apps", {"domain": "fabrikam.example"}, "b@fabrikam.example"),
        ("oidc", {}, "anyone@anywhere.example"),
    ],
)
def test_domain_options_by_strategy(
    sandbox: SandboxApp, strategy: str, options: dict[str, object], email: str
) -> None:
    conn = add_saml(sandbox)
    conn.strategy = strategy
    conn.options = options
    rp = RelyingParty(sandbox)
    browser = Browser(sandbox)
    idp = browser.open(rp.authorize_url(organization=ACME, connection="acme-saml"))
    callback = browser.submit(idp, {"email": email})
    assert "code" in query(callback.headers["location"])
    assert f"{strategy}|acme-saml|{email}" in sandbox.state.users


def test_login_page_buttons_and_home_realm_discovery(sandbox: SandboxApp) -> None:
    add_saml(sandbox)
    rp = RelyingParty(sandbox)
    browser = Browser(sandbox)
    page = browser.open(rp.authorize_url(organization=ACME))
    assert "Continue with Acme SSO" in page.text
    idp = browser.click(page, "connection=acme-saml")
    assert "Simulated identity provider" in idp.text
    page = browser.open(RelyingParty(sandbox).authorize_url(organization=ACME, prompt="login"))
    discovered = browser.submit(page, {"username": "kim@acme-corp.example", "password": ""})
    assert "Simulated identity provider" in discovered.text
    assert 'value="kim@acme-corp.example"' in discovered.text


def test_connection_must_be_enabled_for_the_organization(sandbox: SandboxApp) -> None:
    add_saml(sandbox)
    rp = RelyingParty(sandbox)
    response = Browser(sandbox).open(
        rp.authorize_url(organization="globex", connection="acme-saml")
    )
    assert query(response.headers["location"])["error"] == "access_denied"
