"""The service-provider side of a SAML connection, as Auth0 publishes it.

Auth0 serves ``https://{domain}/samlp/metadata?connection={name}``: the document a
customer's IT admin imports into their IdP (entity ID, Assertion Consumer Service URL,
logout URL, the tenant's signing certificate). The sandbox serves the same document
so the portal's "create the app in your IdP" step can offer a real download.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape, quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from werkzeug.wrappers import Response

from ..mgmt.clients import TENANT
from ..routing import Call, route
from ..state import Connection, State

# The strategies that speak SAML (or WS-Federation, which uses the same SP values).
SAML_FAMILY = frozenset({"samlp", "adfs", "pingfederate"})

_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
_DS = "http://www.w3.org/2000/09/xmldsig#"
_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
# A fixed validity keeps the certificate byte-identical across requests and restarts
# (RSA PKCS#1 v1.5 signatures are deterministic), as a tenant's certificate is.
_NOT_BEFORE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
_NOT_AFTER = dt.datetime(2044, 1, 1, tzinfo=dt.UTC)


def sp_entity_id(connection: str) -> str:
    """``urn:auth0:{tenant}:{connection}``: the audience Auth0 expects in assertions."""
    return f"urn:auth0:{TENANT}:{connection}"


def acs_url(base_url: str, connection: str) -> str:
    return f"{base_url.rstrip('/')}/login/callback?connection={quote(connection)}"


def metadata_url(base_url: str, connection: str) -> str:
    return f"{base_url.rstrip('/')}/samlp/metadata?connection={quote(connection)}"


def tenant_certificate_der(state: State, base_url: str) -> bytes:
    """The tenant's signing certificate: self-signed over the tenant's RS256 key."""
    if state.signing_key is None:
        raise LookupError("the tenant has no signing key yet")
    host = urlsplit(base_url).hostname or TENANT
    return _certificate(state.signing_key.private_pem, host)


@functools.lru_cache(maxsize=16)
def _certificate(private_pem: str, common_name: str) -> bytes:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("the tenant signing key is not an RSA key")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    serial = int.from_bytes(hashlib.sha256(private_pem.encode()).digest()[:16], "big") >> 1
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial or 1)
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def sp_metadata(*, base_url: str, connection: str, certificate_der: bytes) -> str:
    """The EntityDescriptor Auth0 publishes for one SAML connection."""
    base = base_url.rstrip("/")
    cert = base64.b64encode(certificate_der).decode()
    logout = quoteattr(f"{base}/logout")
    key_info = (
        f'<KeyInfo xmlns="{_DS}"><X509Data><X509Certificate>{cert}</X509Certificate>'
        "</X509Data></KeyInfo>"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<EntityDescriptor entityID={quoteattr(sp_entity_id(connection))} xmlns="{_MD}">\n'
        f'  <SPSSODescriptor protocolSupportEnumeration="{_PROTOCOL}"'
        ' AuthnRequestsSigned="false" WantAssertionsSigned="true">\n'
        f'    <KeyDescriptor use="signing">{key_info}</KeyDescriptor>\n'
        f"    <SingleLogoutService Binding={quoteattr(REDIRECT_BINDING)} Location={logout}/>\n"
        f"    <SingleLogoutService Binding={quoteattr(POST_BINDING)} Location={logout}/>\n"
        f"    <NameIDFormat>{escape(NAMEID_EMAIL)}</NameIDFormat>\n"
        f"    <NameIDFormat>{escape(NAMEID_UNSPECIFIED)}</NameIDFormat>\n"
        f"    <AssertionConsumerService Binding={quoteattr(POST_BINDING)}"
        f' Location={quoteattr(acs_url(base, connection))} index="0" isDefault="true"/>\n'
        "  </SPSSODescriptor>\n"
        "</EntityDescriptor>\n"
    )


def _saml_connection(state: State, name: str | None) -> Connection | None:
    conn = state.connection_by_name(name) if name else None
    return conn if conn is not None and conn.strategy in SAML_FAMILY else None


@route("GET", "/samlp/metadata")
def samlp_metadata(call: Call) -> Response:
    conn = _saml_connection(call.state, call.args.get("connection"))
    if conn is None:
        return Response("No SAML connection by that name.\n", status=404, content_type="text/plain")
    call.app.keys.kid  # noqa: B018  (puts a key in the state if a reset dropped it)
    body = sp_metadata(
        base_url=call.config.base_url,
        connection=conn.name,
        certificate_der=tenant_certificate_der(call.state, call.config.base_url),
    )
    return Response(body, content_type="application/xml; charset=utf-8")
