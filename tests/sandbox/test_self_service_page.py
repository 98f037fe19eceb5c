"""The page behind a Self-Service SSO ticket: following the URL the API returned, picking
a strategy, submitting the IdP's details creates the connection on the organization."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from auth0.management.client import Auth0
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from sandbox import SandboxApp
from sandbox.seed import DEMO_APP_CLIENT_ID, stable_id

from .conftest import FakeClock

ACME = stable_id("org", "acme")


def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.acme.test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


PEM = _pem()
BROKEN = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----"
SAML = {"sign_in_url": "https://idp.acme.test/sso", "certificate": PEM}


def _ticket(mgmt: Auth0, strategies: list[str], **body: Any) -> str:
    profile = mgmt.self_service_profiles.create(name="Customers", allowed_strategies=strategies)
    assert profile.id
    made = mgmt.self_service_profiles.sso_ticket.create(
        profile.id,
        connection_config={"name": "acme-sso-ticket"},
        enabled_organizations=[{"organization_id": ACME, "assign_membership_on_login": True}],
        enabled_clients=[DEMO_APP_CLIENT_ID],
        **body,
    )
    assert made.ticket
    return made.ticket


def _path(url: str, **extra: str) -> str:
    parts = urlsplit(url)
    query = "&".join([parts.query, *(f"{k}={v}" for k, v in extra.items())])
    return f"{parts.path}?{query}"


def test_saml_end_to_end(mgmt: Auth0, http: httpx.Client, sandbox: SandboxApp) -> None:
    url = _ticket(mgmt, ["samlp", "oidc", "waad"])
    picker = http.get(_path(url))
    assert picker.status_code == 200
    assert "SAML" in picker.text and "OpenID Connect" in picker.text
    assert "not on this sandbox page: waad" in picker.text
    form = http.get(_path(url, strategy="samlp"))
    assert "Signing certificate" in form.text and "Email domains" not in form.text
    done = http.post(_path(url, strategy="samlp"), data=SAML)
    assert done.status_code == 200, done.text
    assert "acme-sso-ticket" in done.text
    conn = sandbox.state.connection_by_name("acme-sso-ticket")
    assert conn is not None and conn.strategy == "samlp"
    assert conn.options["signInEndpoint"] == "https://idp.acme.test/sso"
    assert conn.enabled_clients == [DEMO_APP_CLIENT_ID]
    entry = sandbox.state.organizations[ACME].enabled_connection(conn.id)
    assert entry is not None and entry.assign_membership_on_login
    again = http.get(_path(url))
    assert again.status_code == 410 and "already been used" in again.text


def test_oidc_with_required_domains(mgmt: Auth0, http: httpx.Client, sandbox: SandboxApp) -> None:
    url = _ticket(
        mgmt,
        ["oidc"],
        domain_aliases_config={
            "domain_verification": "required",
            "pending_domains": ["acme.test"],
        },
    )
    path = _path(url, strategy="oidc")
    assert "acme.test" in http.get(path).text  # pre-filled
    details = {
        "discovery_url": "https://idp.acme.test/.well-known/openid-configuration",
        "client_id": "abc",
        "client_secret": "s3cret",
    }
    refused = http.post(path, data={**details, "domains": ""})
    assert refused.status_code == 400 and "at least one of your email domains" in refused.text
    other = http.post(path, data={**details, "domains": "evil.test"})
    assert other.status_code == 400 and "evil.test cannot be verified here" in other.text
    assert http.post(path, data={**details, "domains": "acme.test"}).status_code == 200
    conn = sandbox.state.connection_by_name("acme-sso-ticket")
    assert conn is not None and conn.strategy == "oidc"
    assert conn.options["domain_aliases"] == ["acme.test"]
    assert conn.options["type"] == "back_channel"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"sign_in_url": "http://idp.acme.test/sso", "certificate": PEM}, "starting with https"),
        ({"sign_in_url": "https://idp.acme.test/sso", "certificate": "nope"}, "PEM form"),
        ({"sign_in_url": "https://idp.acme.test/sso", "certificate": BROKEN}, "could not be read"),
    ],
)
def test_bad_details_in_plain_words(
    mgmt: Auth0, http: httpx.Client, sandbox: SandboxApp, data: dict[str, str], words: str
) -> None:
    url = _ticket(mgmt, ["samlp"])
    response = http.post(_path(url, strategy="samlp"), data=data)
    assert response.status_code == 400 and words in response.text
    assert sandbox.state.connection_by_name("acme-sso-ticket") is None


def test_revoked_expired_and_unknown_tickets(
    mgmt: Auth0, http: httpx.Client, sandbox: SandboxApp, clock: FakeClock
) -> None:
    url = _ticket(mgmt, ["samlp"])
    ticket_id = parse_qs(urlsplit(url).query)["ticket"][0]
    profile_id = sandbox.state.tickets[ticket_id].data["profile_id"]
    mgmt.self_service_profiles.sso_ticket.revoke(profile_id, ticket_id)
    revoked = http.post(_path(url, strategy="samlp"), data=SAML)
    assert revoked.status_code == 410 and "was revoked" in revoked.text
    assert sandbox.state.connection_by_name("acme-sso-ticket") is None

    later = _ticket(mgmt, ["samlp"], ttl_sec=60)
    clock.advance(61)
    expired = http.get(_path(later))
    assert expired.status_code == 410 and "has expired" in expired.text
    unknown = http.get("/self-service/connections-flow?ticket=nope")
    assert unknown.status_code == 410 and "not valid" in unknown.text
