"""What the stand-in identity provider sends, and what Auth0 makes of it.

SAML-family connections (``samlp``, ``adfs``, ``pingfederate``) receive *attributes*,
mapped onto the profile through ``options.fieldsMap`` laid over Auth0's defaults;
OIDC-family connections (``oidc``, ``okta``, ``waad``, ``google-apps``) receive the
standard *claims*. The user id is ``{strategy}|{connection}|{id}``, where ``id`` is the
``user_id_attribute`` value (SAML, when set and sent) or else the NameID / ``sub``.

The simulated failures end the login with Auth0's own ``error_description`` texts, so
the portal's plain-words mapping is exercised against what a real tenant says.
Pure functions over ``Connection`` options; no HTTP and no state changes here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from ..mgmt.connection_options import load_certificate
from ..state import JSON, Connection
from .sp_metadata import SAML_FAMILY, sp_entity_id

PROFILE_FIELDS = ("email", "given_name", "family_name", "name")
_CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
# Auth0's SAML mapping when a connection's fieldsMap leaves a field out.
SAML_DEFAULT_FIELDS: dict[str, str] = {
    "email": _CLAIMS + "emailaddress",
    "given_name": _CLAIMS + "givenname",
    "family_name": _CLAIMS + "surname",
    "name": _CLAIMS + "name",
}

# Failure codes (the control route and the page's select use them) and their labels.
FAILURES: dict[str, str] = {
    "none": "None: sign in normally",
    "audience": "Wrong audience",
    "issuer": "Wrong issuer",
    "signature": "Invalid signature",
    "certificate_expired": "Expired certificate",
    "no_email": "No email",
}
EXPIRED_CERTIFICATE = "The signing certificate of the SAML response has expired"

# SAML attributes can carry several values; a row of the page carries one.
Attributes = dict[str, list[str]]
Rows = list[tuple[str, str]]


def is_saml(conn: Connection) -> bool:
    return conn.strategy in SAML_FAMILY


def field_map(conn: Connection) -> dict[str, list[str]]:
    """Profile field -> the IdP attribute names that feed it (the first one sent wins)."""
    if not is_saml(conn):
        return {name: [name] for name in PROFILE_FIELDS}
    merged = {key: [value] for key, value in SAML_DEFAULT_FIELDS.items()}
    given = (conn.options or {}).get("fieldsMap")
    if isinstance(given, Mapping):
        for key, value in given.items():
            names = [value] if isinstance(value, str) else value
            if isinstance(names, list) and names and all(isinstance(n, str) for n in names):
                merged[str(key)] = list(names)
    return {key: merged[key] for key in PROFILE_FIELDS}


def guess_names(email: str | None, display_name: str | None = None) -> dict[str, str]:
    """Happy-path values for the profile fields, from an address (``jane.doe@x`` ->
    Jane / Doe) or from a typed display name."""
    if not email and not display_name:
        return {}
    words = (display_name or "").split()
    if not words and email:
        local = email.split("@", 1)[0]
        words = [w.capitalize() for w in re.split(r"[._+\-]+", local) if w]
    given = words[0] if words else ""
    family = " ".join(words[1:])
    return {
        "email": email or "",
        "given_name": given,
        "family_name": family,
        "name": display_name or " ".join(words),
    }


def default_rows(conn: Connection, email: str | None) -> Rows:
    """The page's attribute rows for the happy path: the names the connection expects,
    with values derived from ``email`` (empty values when there is none yet)."""
    values = guess_names(email)
    return [(names[0], values.get(key, "")) for key, names in field_map(conn).items()]


def rows_from_attributes(attributes: Mapping[str, Any]) -> Rows:
    rows: Rows = []
    for name, value in attributes.items():
        for item in value if isinstance(value, list) else [value]:
            rows.append((str(name), "" if item is None else str(item)))
    return rows


def fill_rows(conn: Connection, rows: Rows, email: str, display_name: str = "") -> Rows:
    """Rows left empty whose attribute feeds a profile field get the value derived from
    the typed address (the quick way to sign in: type an email, press the button)."""
    values = guess_names(email or None, display_name or None)
    feeds = {name: key for key, names in field_map(conn).items() for name in names}
    out: Rows = []
    for name, value in rows:
        if not value.strip() and name in feeds:
            value = values.get(feeds[name], "")
        out.append((name, value))
    return out


def collect(rows: Iterable[tuple[str, str]]) -> Attributes:
    """Rows to attributes: named rows with a value, several values under one name kept."""
    attributes: Attributes = {}
    for name, value in rows:
        name, value = name.strip(), value.strip()
        if name and value:
            attributes.setdefault(name, []).append(value)
    return attributes


def without_email(conn: Connection, attributes: Attributes) -> Attributes:
    """The ``no_email`` failure: the IdP sends nothing Auth0 would map to the email."""
    dropped = set(field_map(conn)["email"])
    return {name: values for name, values in attributes.items() if name not in dropped}


@dataclass(frozen=True)
class Profile:
    """What Auth0 makes of an assertion: the user id and the mapped root fields."""

    user_id: str
    email: str
    given_name: str | None
    family_name: str | None
    name: str
    raw: JSON = field(default_factory=dict)


def _first(attributes: Attributes, names: Iterable[str]) -> str | None:
    for name in names:
        values = attributes.get(name)
        if values:
            return values[0]
    return None


def map_profile(conn: Connection, subject: str, attributes: Attributes) -> Profile:
    mapping = field_map(conn)
    mapped = {key: _first(attributes, names) for key, names in mapping.items()}
    identifier = subject
    id_attribute = (conn.options or {}).get("user_id_attribute")
    if is_saml(conn) and isinstance(id_attribute, str) and id_attribute:
        identifier = _first(attributes, [id_attribute]) or subject
    # Single values as strings and several as arrays, as Auth0 shows SAML attributes.
    raw: JSON = {name: vals[0] if len(vals) == 1 else vals for name, vals in attributes.items()}
    if not is_saml(conn):
        raw["sub"] = subject
    return Profile(
        user_id=f"{conn.strategy}|{conn.name}|{identifier}",
        email=(mapped["email"] or "").lower(),
        given_name=mapped["given_name"],
        family_name=mapped["family_name"],
        name=mapped["name"] or "",
        raw=raw,
    )


# --- simulated failures ----------------------------------------------------------------


def failure_description(conn: Connection, failure: str) -> str | None:
    """Auth0's ``error_description`` for a simulated failure (None: not an error)."""
    if failure == "audience":
        return f"Audience is invalid. Configured: {sp_entity_id(conn.name)}"
    if failure == "issuer":
        return f"Issuer is invalid. Configured: {expected_issuer(conn)}"
    if failure == "signature":
        configured = configured_thumbprint(conn)
        calculated = hashlib.sha1(
            f"stand-in:{conn.name}:{configured}".encode(), usedforsecurity=False
        ).hexdigest()
        return f"Invalid thumbprint (configured: {configured}, calculated: {calculated})"
    if failure == "certificate_expired":
        return EXPIRED_CERTIFICATE
    return None


def _metadata_root(conn: Connection) -> Any:
    opts = conn.options or {}
    xml = opts.get("metadataXml") or opts.get("fedMetadataXml")
    if not isinstance(xml, str) or not xml.strip():
        return None
    try:
        return ElementTree.fromstring(xml)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return None


def _oidc_issuer(conn: Connection) -> str | None:
    opts = conn.options or {}
    metadata = opts.get("oidc_metadata")
    if isinstance(metadata, Mapping) and isinstance(metadata.get("issuer"), str):
        return str(metadata["issuer"])
    discovery = opts.get("discovery_url")
    if isinstance(discovery, str) and discovery:
        return discovery.split("/.well-known/", 1)[0]
    if conn.strategy == "okta" and opts.get("domain"):
        return f"https://{opts['domain']}"
    if conn.strategy == "google-apps":
        return "https://accounts.google.com"
    tenant = opts.get("tenant_domain") or opts.get("domain")
    if conn.strategy == "waad" and isinstance(tenant, str) and tenant:
        return f"https://login.microsoftonline.com/{tenant}/v2.0"
    return None


def expected_issuer(conn: Connection) -> str:
    """The issuer the connection trusts: the IdP entity ID (SAML) or OIDC issuer."""
    opts = conn.options or {}
    for key in ("issuer", "entityId"):
        value = opts.get(key)
        if isinstance(value, str) and value:
            return value
    if is_saml(conn):
        root = _metadata_root(conn)
        entity = root.get("entityID") if root is not None else None
        return str(entity) if entity else "unknown"
    return _oidc_issuer(conn) or "unknown"


def configured_thumbprint(conn: Connection) -> str:
    """SHA-1 thumbprint of the connection's signing certificate, or ``none``."""
    opts = conn.options or {}
    thumbprints = opts.get("thumbprints")
    if isinstance(thumbprints, list) and thumbprints and isinstance(thumbprints[0], str):
        return thumbprints[0]
    cert = opts.get("signingCert") or _metadata_certificate(conn)
    if not isinstance(cert, str) or not cert:
        return "none"
    try:
        der = load_certificate(cert).public_bytes(serialization.Encoding.DER)
    except (ValueError, binascii.Error, TypeError):
        return "none"
    return hashlib.sha1(der, usedforsecurity=False).hexdigest()


def _metadata_certificate(conn: Connection) -> str | None:
    root = _metadata_root(conn)
    if root is None:
        return None
    for element in root.iter("{http://www.w3.org/2000/09/xmldsig#}X509Certificate"):
        if element.text and element.text.strip():
            text = "".join(element.text.split())
            try:
                x509.load_der_x509_certificate(base64.b64decode(text))
            except (ValueError, binascii.Error):
                continue
            return text
    return None
