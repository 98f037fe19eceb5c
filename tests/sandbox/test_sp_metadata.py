"""The SP metadata Auth0 serves for a SAML connection: /samlp/metadata?connection=NAME."""

from __future__ import annotations

import base64

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from defusedxml import ElementTree

from sandbox import SandboxApp
from sandbox.authn.sp_metadata import sp_metadata
from sandbox.state import Connection, new_id

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def add_connection(app: SandboxApp, name: str, strategy: str) -> None:
    conn = Connection(id=new_id("con"), name=name, strategy=strategy)
    app.state.connections[conn.id] = conn


@pytest.mark.parametrize("strategy", ["samlp", "pingfederate", "adfs"])
def test_metadata_of_a_saml_connection(
    sandbox: SandboxApp, http: httpx.Client, strategy: str
) -> None:
    add_connection(sandbox, "acme-saml", strategy)
    response = http.get("/samlp/metadata", params={"connection": "acme-saml"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == MD + "EntityDescriptor"
    assert root.get("entityID") == "urn:auth0:sandbox:acme-saml"
    sp = root.find(MD + "SPSSODescriptor")
    assert sp is not None
    assert [e.text for e in sp.findall(MD + "NameIDFormat")] == [
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    ]
    (acs,) = sp.findall(MD + "AssertionConsumerService")
    assert acs.get("Binding") == POST
    assert acs.get("Location") == "http://sandbox.test/login/callback?connection=acme-saml"
    assert {s.get("Location") for s in sp.findall(MD + "SingleLogoutService")} == {
        "http://sandbox.test/logout"
    }
    key = sp.find(MD + "KeyDescriptor")
    assert key is not None and key.get("use") == "signing"
    text = key.findtext(f".//{DS}X509Certificate") or ""
    cert = x509.load_der_x509_certificate(base64.b64decode(text))
    # The tenant's certificate carries the tenant's signing key (the JWKS key).
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    jwk = http.get("/.well-known/jwks.json").json()["keys"][0]
    modulus = int.from_bytes(base64.urlsafe_b64decode(jwk["n"] + "=="), "big")
    assert public.public_numbers().n == modulus
    # The same document every time (a tenant's certificate does not change per request).
    assert http.get("/samlp/metadata", params={"connection": "acme-saml"}).text == response.text


@pytest.mark.parametrize("query", [{"connection": "nope"}, {"connection": "acme-oidc"}, {}])
def test_unknown_or_non_saml_connection_is_404(
    sandbox: SandboxApp, http: httpx.Client, query: dict[str, str]
) -> None:
    add_connection(sandbox, "acme-oidc", "oidc")
    response = http.get("/samlp/metadata", params=query)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")
    assert "No SAML connection" in response.text


def test_values_are_xml_escaped() -> None:
    body = sp_metadata(base_url="https://t.test/a?b=1&c=<2>", connection="x", certificate_der=b"c")
    assert "&amp;c=&lt;2&gt;" in body
    root = ElementTree.fromstring(body)
    acs = root.find(f"{MD}SPSSODescriptor/{MD}AssertionConsumerService")
    assert acs is not None
    assert acs.get("Location") == "https://t.test/a?b=1&c=<2>/login/callback?connection=x"
