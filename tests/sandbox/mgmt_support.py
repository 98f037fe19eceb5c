"""Helpers for the Management API resource tests (connections, clients, users, ...)."""

from __future__ import annotations

import base64
import datetime as dt
from functools import cache
from typing import Any

import httpx
import pytest
from auth0.management.core.api_error import ApiError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .openapi import OpenAPIValidator

DB = "Username-Password-Authentication"


@cache
def certificate() -> tuple[str, str]:
    """A self-signed IdP signing certificate: (base64 DER, PEM text)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.acme.test")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return base64.b64encode(der).decode(), pem


def idp_metadata(sso_url: str = "https://idp.acme.test/sso") -> str:
    der, _ = certificate()
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.acme.test">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>{der}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://idp.acme.test/slo"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="{sso_url}-post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{sso_url}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


def error_of(excinfo: pytest.ExceptionInfo[ApiError]) -> dict[str, Any]:
    """The Auth0 error body of an SDK exception, checked for Auth0's four keys."""
    body = excinfo.value.body
    assert isinstance(body, dict), body
    assert body["statusCode"] == excinfo.value.status_code
    assert {"statusCode", "error", "message"} <= set(body)
    return body


class Raw:
    """Plain HTTP against /api/v2 for what the SDK cannot send (offset paging, odd
    bodies), still validating every JSON answer against Auth0's OpenAPI document."""

    def __init__(self, http: httpx.Client, openapi: OpenAPIValidator, token: str) -> None:
        self.http = http
        self.openapi = openapi
        self.token = token

    def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        response = self.http.request(method, "/api/v2" + path, headers=headers, **kwargs)
        if response.content and "json" in response.headers.get("content-type", ""):
            self.openapi.validate(method, "/api/v2" + path.split("?")[0], response.status_code,
                                  response.json())  # fmt: skip
        elif 200 <= response.status_code < 300:
            template = self.openapi.template_for("/api/v2" + path.split("?")[0])
            assert template is not None
            self.openapi.schema_pointer(method, template, response.status_code)
        return response


def logs_of(raw: Raw, query: str) -> list[dict[str, Any]]:
    response = raw("GET", "/logs", params={"q": query, "per_page": 100})
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, list)
    return body
