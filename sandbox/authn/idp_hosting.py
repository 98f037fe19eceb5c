"""Stand-in SAML IdPs whose metadata the sandbox hosts, with rotatable certificates.

Auth0 reads a connection's ``metadataUrl`` once; the portal re-reads it daily and
stages a rollover when the IdP publishes a new signing certificate. These routes give
that path something real to read: an IdP at ``/__sandbox__/idp-metadata/<key>.xml``
whose certificates can be added (``rotate``: the new one is published second, beside
the current one, as IdPs do during a rollover) and dropped (``retire``: the oldest).
Keys and certificates live in ``state.hosted_idps``, saved to the snapshot at once
(control routes are otherwise saved only with the next change), so the portal's daily
re-read sees the same certificates after a sandbox restart.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from xml.sax.saxutils import quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from werkzeug.wrappers import Response

from ..errors import bad_request, conflict, not_found
from ..routing import Call, control_route, html_response, json_response
from ..state import JSON, HostedCertificate, HostedIdp, State, iso
from .sp_metadata import POST_BINDING, REDIRECT_BINDING

PATH = "/__sandbox__/idp-metadata"
_KEY_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
_DS = "http://www.w3.org/2000/09/xmldsig#"
_MAX_DAYS = 36_500


def entity_id(base_url: str, key: str) -> str:
    return f"{base_url.rstrip('/')}{PATH}/{key}"


def new_certificate(key: str, now: float, days: int) -> HostedCertificate:
    """A fresh RSA-2048 key and self-signed SHA-256 certificate valid ``days`` from now.

    Negative ``days`` make a certificate that expired that many days ago (valid for a
    year before that), for the portal's expiry warnings.
    """
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    moment = dt.datetime.fromtimestamp(now, tz=dt.UTC).replace(microsecond=0)
    not_after = moment + dt.timedelta(days=days)
    not_before = moment if days > 0 else not_after - dt.timedelta(days=365)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sandbox stand-in IdP"),
            x509.NameAttribute(NameOID.COMMON_NAME, key),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(private, hashes.SHA256())
    )
    return HostedCertificate(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        private_pem=private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        created_at=iso(now),
    )


def _der(item: HostedCertificate) -> bytes:
    cert = x509.load_pem_x509_certificate(item.cert_pem.encode())
    return cert.public_bytes(serialization.Encoding.DER)


def describe_certificate(item: HostedCertificate) -> JSON:
    cert = x509.load_pem_x509_certificate(item.cert_pem.encode())
    der = cert.public_bytes(serialization.Encoding.DER)
    return {
        "fingerprint_sha256": hashlib.sha256(der).hexdigest(),
        "thumbprint_sha1": hashlib.sha1(der, usedforsecurity=False).hexdigest(),
        "subject": cert.subject.rfc4514_string(),
        "serial_number": format(cert.serial_number, "x"),
        "not_before": iso(cert.not_valid_before_utc.timestamp()),
        "not_after": iso(cert.not_valid_after_utc.timestamp()),
        "created_at": item.created_at,
        "cert": base64.b64encode(der).decode(),
        "pem": item.cert_pem,
    }


def describe(idp: HostedIdp, base_url: str) -> JSON:
    entity = entity_id(base_url, idp.key)
    return {
        "key": idp.key,
        "entity_id": entity,
        "metadata_url": f"{entity}.xml",
        "sso_url": f"{entity}/sso",
        "slo_url": f"{entity}/slo",
        "created_at": idp.created_at,
        "certificates": [describe_certificate(c) for c in idp.certificates],
    }


def metadata_xml(idp: HostedIdp, base_url: str) -> str:
    entity = entity_id(base_url, idp.key)
    keys = "".join(
        f'    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{base64.b64encode(_der(c)).decode()}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</md:KeyDescriptor>\n"
        for c in idp.certificates
    )
    sso, slo = quoteattr(f"{entity}/sso"), quoteattr(f"{entity}/slo")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<md:EntityDescriptor xmlns:md="{_MD}" xmlns:ds="{_DS}" entityID={quoteattr(entity)}>\n'
        '  <md:IDPSSODescriptor WantAuthnRequestsSigned="false"'
        ' protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
        f"{keys}"
        f"    <md:SingleLogoutService Binding={quoteattr(REDIRECT_BINDING)} Location={slo}/>\n"
        "    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
        "</md:NameIDFormat>\n"
        f"    <md:SingleSignOnService Binding={quoteattr(REDIRECT_BINDING)} Location={sso}/>\n"
        f"    <md:SingleSignOnService Binding={quoteattr(POST_BINDING)} Location={sso}/>\n"
        "  </md:IDPSSODescriptor>\n"
        "</md:EntityDescriptor>\n"
    )


# --- control routes --------------------------------------------------------------------


def _days(body: JSON) -> int:
    days = body.get("days", 365)
    if isinstance(days, bool) or not isinstance(days, int) or days == 0 or abs(days) > _MAX_DAYS:
        raise bad_request(f"days must be a whole number from -{_MAX_DAYS} to {_MAX_DAYS}, not 0")
    return days


def _hosted(state: State, key: str) -> HostedIdp:
    idp = state.hosted_idps.get(key)
    if idp is None:
        raise not_found(f"No stand-in IdP {key!r}")
    return idp


@control_route("POST", "/idp-metadata")
def create_hosted_idp(call: Call) -> Response:
    """``{"key": "acme-okta", "days": 365}``: a stand-in IdP with one fresh certificate."""
    body = call.body()
    key = body.get("key")
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise bad_request("key must be 1-64 lower-case letters, digits or inner hyphens")
    if key in call.state.hosted_idps:
        raise conflict(f"A stand-in IdP {key!r} already exists")
    days = _days(body)
    idp = HostedIdp(key=key, created_at=iso(call.now()))
    idp.certificates.append(new_certificate(key, call.now(), days))
    call.state.hosted_idps[key] = idp
    call.app.save()
    return json_response(describe(idp, call.config.base_url), 201)


@control_route("GET", "/idp-metadata")
def list_hosted_idps(call: Call) -> Response:
    base = call.config.base_url
    return json_response({"idps": [describe(i, base) for i in call.state.hosted_idps.values()]})


@control_route("GET", "/idp-metadata/<key>.xml")
def hosted_metadata(call: Call) -> Response:
    idp = _hosted(call.state, call.params["key"])
    body = metadata_xml(idp, call.config.base_url)
    return Response(body, content_type="application/xml; charset=utf-8")


@control_route("GET", "/idp-metadata/<key>")
def get_hosted_idp(call: Call) -> Response:
    return json_response(describe(_hosted(call.state, call.params["key"]), call.config.base_url))


@control_route("DELETE", "/idp-metadata/<key>")
def delete_hosted_idp(call: Call) -> Response:
    call.state.hosted_idps.pop(call.params["key"], None)
    call.app.save()
    return Response(b"", status=204)


@control_route("POST", "/idp-metadata/<key>/rotate")
def rotate(call: Call) -> Response:
    """``{"days": N}``: publish a new signing certificate after the current ones."""
    idp = _hosted(call.state, call.params["key"])
    idp.certificates.append(new_certificate(idp.key, call.now(), _days(call.body())))
    call.app.save()
    return json_response(describe(idp, call.config.base_url))


@control_route("POST", "/idp-metadata/<key>/retire")
def retire(call: Call) -> Response:
    """Stop publishing the oldest certificate (the last one cannot go)."""
    idp = _hosted(call.state, call.params["key"])
    if len(idp.certificates) < 2:
        raise conflict("The stand-in IdP must keep one signing certificate")
    idp.certificates.pop(0)
    call.app.save()
    return json_response(describe(idp, call.config.base_url))


@control_route(["GET", "POST"], "/idp-metadata/<key>/<any(sso, slo):endpoint>")
def hosted_endpoint(call: Call) -> Response:
    """The SSO/SLO URLs the metadata names. Sign-ins through a connection go to the
    stand-in page (``/__sandbox__/idp/<connection>``), never here."""
    idp = _hosted(call.state, call.params["key"])
    what = "sign-in" if call.params["endpoint"] == "sso" else "sign-out"
    return html_response(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Stand-in IdP {idp.key}</title></head><body><main>"
        f"<h1>Stand-in IdP {idp.key}: {what} endpoint</h1>"
        "<p>The sandbox does not run SAML exchanges here: a login through a connection "
        "goes to the stand-in identity provider page instead.</p></main></body></html>"
    )
