"""SAML identity-provider metadata, read safely and explained in plain words.

Every document a customer gives us (an upload, a metadata URL, or the manual form) goes
through here, and so does the `idp_metadata inspect` support command, so support sees
exactly what the wizard sees. Parsing uses defusedxml with DTDs forbidden: metadata never
needs a DOCTYPE, and refusing it outright closes XXE and entity expansion in one rule.
The metadata's own XML signature is not checked: the customer hands it to us directly.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeElementTree

from idp_selfservice.certificates import (
    CertificateInfo,
    auth0_signing_cert,
    certificate_warnings,
    format_date,
    parse_certificate,
)
from idp_selfservice.errors import CertificateError, MetadataError, MultipleIdps

MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
# What Auth0 can send an AuthnRequest with, in the order we prefer (Auth0's default first).
SUPPORTED_BINDINGS = (HTTP_REDIRECT, HTTP_POST)
MAX_METADATA_BYTES = 4 * 1024 * 1024
ACCEPT = "application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"

_MD = "{" + MD_NS + "}"
_DS = "{" + DS_NS + "}"
_NOT_XML = "This file is not XML. Upload the metadata XML your identity provider gives you."
_HTML = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html)\b", re.I | re.S)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


@dataclass(frozen=True)
class Endpoint:
    binding: str
    location: str

    @property
    def binding_name(self) -> str:
        """'HTTP-Redirect', 'HTTP-POST', 'SOAP', ...: the last part of the binding URN."""
        return self.binding.rsplit(":", 1)[-1] or self.binding


@dataclass(frozen=True)
class IdpMetadata:
    """One identity provider as the portal understands it, ready to show and to send."""

    entity_id: str
    sso_endpoints: list[Endpoint]
    slo_endpoints: list[Endpoint]
    signing_certificates: list[CertificateInfo]
    name_id_formats: list[str] = field(default_factory=list)
    want_authn_requests_signed: bool = False
    warnings: list[str] = field(default_factory=list)
    source_xml: str = ""

    def preferred_sso(self) -> Endpoint:
        """The sign-in endpoint Auth0 will use: HTTP-Redirect, else HTTP-POST (https only)."""
        found = _preferred(self.sso_endpoints)
        if found is None:  # parse_metadata and manual_metadata never build such a value
            raise MetadataError("This identity provider has no usable sign-in URL.")
        return found

    def preferred_slo(self) -> Endpoint | None:
        return _preferred(self.slo_endpoints)

    def protocol_binding(self) -> str:
        """Auth0's `protocolBinding`: how it sends the sign-in request to the IdP."""
        return self.preferred_sso().binding

    def active_certificate(self, now: datetime | None = None) -> CertificateInfo:
        """The certificate Auth0 is given: the first valid now, else not yet valid, else first."""
        now = now or datetime.now(UTC)
        certs = self.signing_certificates
        return next(
            (c for c in certs if c.is_current(now)),
            next((c for c in certs if c.not_before > now), certs[0]),
        )

    def auth0_options(self, now: datetime | None = None) -> dict[str, Any]:
        """The samlp connection options this metadata determines (the rest is the wizard's)."""
        options: dict[str, Any] = {
            "signInEndpoint": self.preferred_sso().location,
            "signingCert": auth0_signing_cert(self.active_certificate(now)),
            "protocolBinding": self.protocol_binding(),
        }
        slo = self.preferred_slo()
        if slo is not None:
            options["signOutEndpoint"] = slo.location
        if self.want_authn_requests_signed:
            options["signSAMLRequest"] = True
        return options


def parse_metadata(
    data: bytes | str, *, entity_id: str | None = None, now: datetime | None = None
) -> IdpMetadata:
    """Read an IdP metadata document; `entity_id` picks one IdP from an aggregate.

    `now` (default: the current time) is what certificate validity is judged against.

    Raises MetadataError (MultipleIdps when the document lists several IdPs and none was
    picked) whose text is shown to the person as is.
    """
    if isinstance(data, bytes) and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = data.decode("utf-16", errors="replace")
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
        size = len(text.encode("utf-8", errors="replace"))
        head = text[:4096].encode("utf-8", errors="replace")
        document: str | bytes = text
    else:
        document = data.removeprefix(codecs.BOM_UTF8)
        size, head = len(data), document[:4096]
    if size > MAX_METADATA_BYTES:
        raise MetadataError(
            "This file is larger than 4 MB, far more than any identity provider's "
            "metadata; it was not read."
        )
    root = _parse_xml(document, head)
    descriptor = _entity_descriptor(root, entity_id)
    source = document if isinstance(document, str) else _text_of(document)
    return _idp_metadata(descriptor, source, now or datetime.now(UTC))


def load_metadata_url(url: str, *, entity_id: str | None = None) -> IdpMetadata:
    """Fetch a metadata URL with the safe fetcher and read it (FetchRefused passes through)."""
    from idp_selfservice import fetching  # lazily: fetching is optional for file uploads

    fetched = fetching.fetch(url, max_bytes=MAX_METADATA_BYTES, accept=ACCEPT)
    if fetched.status >= 400:
        raise MetadataError(
            f"The metadata URL answered with an error (HTTP {fetched.status}) instead of the "
            "metadata. Check the URL, and that it opens without signing in."
        )
    return parse_metadata(fetched.body, entity_id=entity_id)


def manual_metadata(
    *,
    entity_id: str,
    sign_in_url: str,
    certificate: str,
    sign_out_url: str = "",
    now: datetime | None = None,
) -> IdpMetadata:
    """The manual-entry path: the same checks and result as a document.

    A bad certificate raises CertificateError (so the form can mark that field); a bad URL
    or a missing entity ID raises MetadataError.
    """
    entity_id = entity_id.strip()
    if not entity_id:
        raise MetadataError(
            "Enter your identity provider's entity ID (it may be called Issuer or IdP ID)."
        )
    sso = Endpoint(HTTP_REDIRECT, sign_in_url.strip())
    if not _usable_url(sso.location):
        raise MetadataError("The sign-in URL must be a full address starting with https://.")
    slo = [Endpoint(HTTP_REDIRECT, sign_out_url.strip())] if sign_out_url.strip() else []
    if slo and not _usable_url(slo[0].location):
        raise MetadataError("The sign-out URL must be a full address starting with https://.")
    cert = parse_certificate(certificate)
    return IdpMetadata(
        entity_id=entity_id,
        sso_endpoints=[sso],
        slo_endpoints=slo,
        signing_certificates=[cert],
        warnings=_entity_id_warnings(entity_id) + certificate_warnings(cert, now),
    )


# --- reading the document ------------------------------------------------------------------


def _parse_xml(document: str | bytes, head: bytes) -> Element:
    """`head` is the document's start as bytes, to recognise what it is before parsing."""
    if not head.strip():
        raise MetadataError(_NOT_XML)
    if _HTML.match(head):
        raise MetadataError(
            "This is a web page (HTML), not metadata XML. If you copied a link, use the "
            "metadata URL itself rather than the page that shows it."
        )
    if not head.lstrip().startswith(b"<"):
        raise MetadataError(_NOT_XML)
    try:
        root: Element = SafeElementTree.fromstring(document, forbid_dtd=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise MetadataError(
            "This document contains a DOCTYPE/entity declarations, which metadata never "
            "needs; it was not read."
        ) from None
    except (ParseError, ValueError, LookupError):  # LookupError: an unknown encoding
        raise MetadataError(_NOT_XML) from None
    return root


def _text_of(body: bytes) -> str:
    """The document as text (kept for Auth0's metadataXml and for the rollover check)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        declared = _ENCODING.match(body)
        encoding = declared.group(1).decode("ascii") if declared else "latin-1"
        try:
            return body.decode(encoding, errors="replace")
        except LookupError:
            return body.decode("latin-1")


def _entity_descriptor(root: Element, entity_id: str | None) -> Element:
    if root.tag == _MD + "EntitiesDescriptor":
        return _pick_idp(root, entity_id)
    if root.tag != _MD + "EntityDescriptor":
        raise MetadataError(_root_problem(root.tag))
    if entity_id is not None and root.get("entityID", "").strip() != entity_id:
        raise MetadataError(
            f"This metadata is for “{root.get('entityID', '')}”, not “{entity_id}”."
        )
    return root


def _root_problem(tag: str) -> str:
    local = tag.rsplit("}", 1)[-1]
    if local in ("EntityDescriptor", "EntitiesDescriptor"):
        return (
            f"This looks like SAML metadata, but its {local} is not in the SAML 2.0 metadata "
            f"namespace ({MD_NS}). Download the metadata from your identity provider again."
        )
    return (
        f"This XML is not SAML metadata: it starts with <{local}>, not <EntityDescriptor>. "
        "Upload the metadata XML your identity provider gives you."
    )


def _pick_idp(root: Element, entity_id: str | None) -> Element:
    entities = list(root.iter(_MD + "EntityDescriptor"))
    idps = [e for e in entities if e.find(_MD + "IDPSSODescriptor") is not None]
    if not idps:
        if entities:
            return entities[0]  # its own checks explain what is missing (SP, no IdP, ...)
        raise MetadataError("This metadata lists no entities at all.")
    ids = [e.get("entityID", "").strip() for e in idps]
    if entity_id is not None:
        if entity_id not in ids:
            raise MetadataError(
                f"This metadata has no identity provider with entity ID “{entity_id}”. "
                f"It lists: {', '.join(ids)}."
            )
        return idps[ids.index(entity_id)]
    if len(idps) == 1:
        return idps[0]
    raise MultipleIdps(
        f"This metadata describes {len(idps)} identity providers. Choose the one your "
        "organization signs in with.",
        ids,
    )


def _idp_metadata(entity: Element, source_xml: str, now: datetime) -> IdpMetadata:
    entity_id = (entity.get("entityID") or "").strip()
    if not entity_id:
        raise MetadataError(
            "This metadata has no entity ID (the entityID attribute of EntityDescriptor). "
            "Download the metadata from your identity provider again."
        )
    idp = _idp_descriptor(entity)
    sso = _endpoints(idp, "SingleSignOnService")
    slo = _endpoints(idp, "SingleLogoutService")
    certs = _signing_certificates(idp)
    warnings = _entity_id_warnings(entity_id) + _valid_until_warnings(entity, now)
    warnings += _sso_checks(sso) + _slo_warnings(slo) + _certificate_notes(certs, now)
    wants_signed = idp.get("WantAuthnRequestsSigned", "").strip().lower() in ("true", "1")
    if wants_signed:
        warnings.append(
            "Your identity provider wants sign-in requests signed; the portal turns on "
            "request signing. Give your identity provider the signing certificate from our "
            "service provider metadata."
        )
    return IdpMetadata(
        entity_id=entity_id,
        sso_endpoints=sso,
        slo_endpoints=slo,
        signing_certificates=certs,
        name_id_formats=[
            (e.text or "").strip() for e in idp.findall(_MD + "NameIDFormat") if e.text
        ],
        want_authn_requests_signed=wants_signed,
        warnings=warnings,
        source_xml=source_xml,
    )


def _idp_descriptor(entity: Element) -> Element:
    found = entity.findall(_MD + "IDPSSODescriptor")
    if not found:
        if entity.find(_MD + "SPSSODescriptor") is not None:
            raise MetadataError(
                "This is a service provider's metadata (it has SPSSODescriptor); we need "
                "your identity provider's. Download the metadata of the app you created in "
                "your identity provider."
            )
        raise MetadataError(
            "This metadata has no IDPSSODescriptor, so it does not describe a SAML "
            "identity provider. Download the SAML 2.0 metadata from your identity provider."
        )
    saml2 = [d for d in found if SAML2_PROTOCOL in d.get("protocolSupportEnumeration", "")]
    if saml2:
        return saml2[0]
    if all(d.get("protocolSupportEnumeration") for d in found):
        raise MetadataError(
            "This identity provider does not offer SAML 2.0 (only older protocols). "
            "Turn on SAML 2.0 in your identity provider and download its metadata again."
        )
    return found[0]


def _endpoints(idp: Element, tag: str) -> list[Endpoint]:
    return [
        Endpoint(e.get("Binding", "").strip(), e.get("Location", "").strip())
        for e in idp.findall(_MD + tag)
        if e.get("Location", "").strip()
    ]


def _usable_url(url: str) -> bool:
    """https with a host, or an origin the settings exempt (the sandbox in development)."""
    from idp_selfservice.fetching import is_allowed_origin  # the fetcher's own origin rule

    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed [IPv6 bracket
        return False
    return (parts.scheme == "https" and bool(parts.hostname)) or is_allowed_origin(url)


def _preferred(endpoints: list[Endpoint]) -> Endpoint | None:
    for binding in SUPPORTED_BINDINGS:
        for endpoint in endpoints:
            if endpoint.binding == binding and _usable_url(endpoint.location):
                return endpoint
    return None


def _sso_checks(sso: list[Endpoint]) -> list[str]:
    """Refuse metadata without a usable sign-in URL; warn about the endpoints we skip."""
    supported = [e for e in sso if e.binding in SUPPORTED_BINDINGS]
    if not supported:
        found = ", ".join(sorted({e.binding_name for e in sso})) or "none"
        raise MetadataError(
            "This identity provider has no sign-in URL (SingleSignOnService) that Auth0 can "
            f"use: it needs the HTTP-Redirect or HTTP-POST binding, and this metadata has: "
            f"{found}."
        )
    chosen = _preferred(supported)
    if chosen is None:
        raise MetadataError(
            f"The sign-in URL {supported[0].location} does not use https. Sign-ins must be "
            "encrypted: set up your identity provider with an https address."
        )
    skipped = sorted({e.binding_name for e in sso if e.binding not in SUPPORTED_BINDINGS})
    warnings = []
    if skipped:
        warnings.append(
            f"Sign-in endpoints with the {' and '.join(skipped)} "
            f"binding{'s' if len(skipped) > 1 else ''} are not used; "
            f"Auth0 signs in with {chosen.binding_name} at {chosen.location}."
        )
    insecure = [e.location for e in supported if not _usable_url(e.location)]
    if insecure:
        warnings.append(f"Sign-in URLs without https are not used: {', '.join(insecure)}.")
    return warnings


def _slo_warnings(slo: list[Endpoint]) -> list[str]:
    if slo and _preferred(slo) is None:
        return [
            "No sign-out URL is used: Auth0 needs an https one with the HTTP-Redirect or "
            "HTTP-POST binding. Sign-in works without it."
        ]
    return []


def _signing_certificates(idp: Element) -> list[CertificateInfo]:
    values = [
        cert.text or ""
        for key in idp.findall(_MD + "KeyDescriptor")
        if key.get("use", "signing").strip() == "signing"
        for cert in key.iter(_DS + "X509Certificate")
    ]
    if not values:
        raise MetadataError(
            "This metadata has no signing certificate (a KeyDescriptor with an "
            "X509Certificate), so sign-ins could not be verified. Download the metadata "
            "again, or enter the sign-in URL and certificate by hand."
        )
    certs: list[CertificateInfo] = []
    for number, value in enumerate(values, start=1):
        try:
            info = parse_certificate(value)
        except CertificateError as exc:
            which = "signing certificate" if len(values) == 1 else f"signing certificate {number}"
            raise MetadataError(f"The {which} in this metadata cannot be used. {exc}") from None
        if info.sha256_fingerprint not in {c.sha256_fingerprint for c in certs}:
            certs.append(info)
    return certs


def _certificate_notes(certs: list[CertificateInfo], now: datetime) -> list[str]:
    notes = []
    for number, info in enumerate(certs, start=1):
        label = "Signing certificate" if len(certs) == 1 else f"Signing certificate {number}"
        notes += [f"{label} ({info.subject}): {w}" for w in certificate_warnings(info, now)]
    if len(certs) > 1:
        notes.append(
            f"This metadata lists {len(certs)} signing certificates. Auth0 uses the first "
            "valid one; the portal shows "
            ""
            f"{'both' if len(certs) == 2 else 'all of them'} and tracks the rollover."
        )
    return notes


def _entity_id_warnings(entity_id: str) -> list[str]:
    if ":" in entity_id and not any(c.isspace() for c in entity_id):
        return []
    return [
        f"The entity ID “{entity_id}” is not a URI and may be a placeholder. Check that your "
        "identity provider sends exactly this value as its Issuer."
    ]


def _valid_until_warnings(entity: Element, now: datetime) -> list[str]:
    value = (entity.get("validUntil") or "").strip()
    try:
        until = datetime.fromisoformat(value)
    except ValueError:
        return []
    until = until if until.tzinfo else until.replace(tzinfo=UTC)
    if until < now:
        return [
            f"This metadata says it was valid only until {format_date(until)}. Download a "
            "current copy from your identity provider."
        ]
    return []
