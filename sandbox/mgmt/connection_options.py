"""Connection `options` by strategy: validation, defaults, derived values, write-only keys.

Auth0 replaces `options` whole on PATCH: whatever is left out returns to the strategy's
default (or disappears). `normalize` therefore always starts from `defaults(strategy)`
and lays the request's options over it, for create and update alike.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from sandbox.state import JSON, iso

from .schema_check import Schema, body_error, check

DATABASE_STRATEGY = "auth0"
ENTERPRISE_STRATEGIES = frozenset(
    {"samlp", "oidc", "waad", "google-apps", "okta", "adfs", "pingfederate", "ad", "office365"}
)
SAML_STRATEGIES = frozenset({"samlp", "pingfederate"})
REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

# Options Auth0 accepts but never returns (writeOnly in the OpenAPI document).
WRITE_ONLY: dict[str, frozenset[str]] = {
    "samlp": frozenset({"metadataXml"}),
    "pingfederate": frozenset({"signingCert"}),
}

_LABEL = r"(xn--)?[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?"
_DOMAIN = rf"^((?!-))({_LABEL}\.)*{_LABEL}$"


def _url(max_length: int = 2048) -> Schema:
    return {"type": "string", "format": "https-url", "minLength": 8, "maxLength": max_length}


def _text(max_length: int, min_length: int = 1) -> Schema:
    return {"type": "string", "minLength": min_length, "maxLength": max_length}


_DOMAIN_ALIASES: Schema = {
    "type": "array",
    "maxItems": 1000,
    "items": {"type": "string", "maxLength": 256, "pattern": _DOMAIN},
}
_COMMON: dict[str, Schema] = {
    "domain_aliases": _DOMAIN_ALIASES,
    "icon_url": {"type": "string", "format": "https-url", "maxLength": 255},
    "tenant_domain": _text(255),
    "non_persistent_attrs": {"type": ["array", "null"], "maxItems": 96},
    "set_user_root_attributes": {
        "type": "string",
        "enum": ["on_each_login", "on_first_login", "never_on_login"],
    },
    "upstream_params": {"type": ["object", "null"]},
}
_SAML: dict[str, Schema] = {
    "signInEndpoint": _url(),
    "signOutEndpoint": _url(),
    "signingCert": _text(10240),
    "signSAMLRequest": {"type": "boolean"},
    "signatureAlgorithm": {"type": "string", "enum": ["rsa-sha1", "rsa-sha256"]},
    "digestAlgorithm": {"type": "string", "enum": ["sha1", "sha256"]},
    "protocolBinding": {"type": "string", "enum": [POST_BINDING, REDIRECT_BINDING]},
    "metadataUrl": _url(),
    "metadataXml": _text(102400),
    "entityId": _text(128),
    "fieldsMap": {"type": "object", "maxProperties": 44},
    "user_id_attribute": _text(2396),
    "idpinitiated": {"type": "object", "maxProperties": 6},
    "debug": {"type": "boolean"},
    "deflate": {"type": "boolean"},
    "disableSignout": {"type": "boolean"},
}
_OIDC: dict[str, Schema] = {
    "client_id": _text(255, 0),
    "client_secret": _text(700, 0),
    "type": {"type": "string", "enum": ["back_channel", "front_channel"]},
    "discovery_url": _url(255),
    "issuer": _url(255),
    "authorization_endpoint": _url(255),
    "token_endpoint": _url(255),
    "userinfo_endpoint": _url(255),
    "jwks_uri": _url(255),
    "scope": _text(255, 6),
    "oidc_metadata": {"type": "object"},
    "attribute_map": {"type": "object"},
}
_PASSWORD_LEVELS = ["none", "low", "fair", "good", "excellent", None]
_AUTH0: dict[str, Schema] = {
    "passwordPolicy": {"type": ["string", "null"], "enum": _PASSWORD_LEVELS},
    "password_complexity_options": {
        "type": ["object", "null"],
        "additionalProperties": False,
        "properties": {"min_length": {"type": "integer", "minimum": 1, "maximum": 128}},
    },
    "password_history": {
        "type": ["object", "null"],
        "additionalProperties": False,
        "required": ["enable"],
        "properties": {
            "enable": {"type": "boolean"},
            "size": {"type": "integer", "minimum": 0, "maximum": 24},
        },
    },
    "password_no_personal_info": {
        "type": ["object", "null"],
        "additionalProperties": False,
        "required": ["enable"],
        "properties": {"enable": {"type": "boolean"}},
    },
    "password_dictionary": {
        "type": ["object", "null"],
        "additionalProperties": False,
        "required": ["enable"],
        "properties": {
            "enable": {"type": "boolean"},
            "dictionary": {"type": "array", "maxItems": 200, "items": _text(50, 0)},
        },
    },
    "disable_signup": {"type": "boolean"},
    "requires_username": {"type": "boolean"},
    "brute_force_protection": {"type": "boolean"},
}


def _schema(props: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    return {"type": "object", "properties": props, "required": list(required)}


SCHEMAS: dict[str, Schema] = {
    "auth0": _schema(_AUTH0),
    "samlp": _schema({**_COMMON, **_SAML}),
    "pingfederate": _schema(
        {**_COMMON, **_SAML, "pingFederateBaseUrl": _url()}, ("pingFederateBaseUrl",)
    ),
    "oidc": _schema({**_COMMON, **_OIDC}, ("client_id",)),
    "okta": _schema(
        {
            **_COMMON,
            **_OIDC,
            "domain": {"type": "string", "format": "hostname", "minLength": 4, "maxLength": 255},
            "type": {"type": "string", "enum": ["back_channel"]},
        },
        ("client_id",),
    ),
    "waad": _schema(
        {
            **_COMMON,
            "client_id": _text(255, 0),
            "client_secret": _text(10000, 0),
            "domain": _text(512, 0),
            "waad_protocol": {"type": "string", "enum": ["openid-connect", "ws-federation"]},
            "identity_api": {
                "type": "string",
                "enum": [
                    "microsoft-identity-platform-v2.0",
                    "azure-active-directory-v1.0",
                ],
            },
            "useCommonEndpoint": {"type": "boolean"},
        },
        ("client_id",),
    ),
    "google-apps": _schema(
        {**_COMMON, "client_id": _text(255, 0), "client_secret": _text(700), "domain": _text(1024)},
        ("client_id",),
    ),
    "adfs": _schema({**_COMMON, "adfs_server": _text(2048, 0), "fedMetadataXml": _text(102400)}),
}


def defaults(strategy: str) -> JSON:
    """What Auth0 puts in `options` when the request leaves a key out."""
    if strategy == DATABASE_STRATEGY:
        return {
            "mfa": {"active": True, "return_enroll_settings": True},
            "brute_force_protection": True,
            "strategy_version": 2,
        }
    if strategy in SAML_STRATEGIES:
        return {
            "signatureAlgorithm": "rsa-sha256",
            "digestAlgorithm": "sha256",
            "protocolBinding": REDIRECT_BINDING,
        }
    if strategy == "oidc":
        return {"type": "front_channel", "scope": "openid"}
    if strategy == "okta":
        return {"type": "back_channel", "scope": "openid profile email"}
    if strategy == "waad":
        return {
            "identity_api": "microsoft-identity-platform-v2.0",
            "waad_protocol": "openid-connect",
            "useCommonEndpoint": False,
        }
    return {}


def normalize(strategy: str, options: Any) -> JSON:
    """Validate the request's options and return what the connection will store."""
    given: JSON = dict(options or {})
    schema = SCHEMAS.get(strategy)
    if schema is not None:
        found = check(given, schema, "options")
        if found:
            raise body_error(*found)
    merged = {**defaults(strategy), **given}
    if strategy == "samlp":
        _samlp(merged)
    elif strategy == "pingfederate":
        base = str(merged["pingFederateBaseUrl"]).rstrip("/")
        merged.setdefault("signInEndpoint", base + "/idp/SSO.saml2")
    elif strategy == "oidc" and merged.get("type") == "back_channel":
        if not merged.get("client_secret"):
            raise body_error("Missing required property: client_secret", "options")
    elif strategy == "adfs":
        if merged.get("adfs_server") and merged.get("fedMetadataXml"):
            raise body_error("adfs_server and fedMetadataXml cannot be used together", "options")
        if not merged.get("adfs_server") and not merged.get("fedMetadataXml"):
            raise body_error("Missing required property: adfs_server", "options")
    elif strategy == "google-apps" and merged.get("domain"):
        merged.setdefault("tenant_domain", merged["domain"])
    if merged.get("signingCert"):
        merged.update(certificate_facts(str(merged["signingCert"])))
    return merged


def _samlp(options: JSON) -> None:
    """A SAML connection needs an endpoint and a certificate, given or from metadata.

    Auth0 reads `metadataUrl` once at save time; the sandbox cannot fetch arbitrary URLs
    (it runs offline), so it keeps the URL and takes endpoints from the request only.
    """
    if options.get("metadataXml"):
        parsed = parse_idp_metadata(str(options["metadataXml"]))
        for key, value in parsed.items():
            options.setdefault(key, value)
    if options.get("metadataUrl"):
        return
    for key in ("signInEndpoint", "signingCert"):
        if not options.get(key):
            raise body_error(f"Missing required property: {key}", "options")


_MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
_DS = "{http://www.w3.org/2000/09/xmldsig#}"


def parse_idp_metadata(xml: str) -> JSON:
    """signInEndpoint, signOutEndpoint and signingCert from SAML IdP metadata."""
    try:
        root = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        raise body_error("Invalid metadata XML", "options.metadataXml") from None
    idp = root if root.tag == _MD + "IDPSSODescriptor" else root.find(f".//{_MD}IDPSSODescriptor")
    if idp is None:
        raise body_error("Metadata has no IDPSSODescriptor", "options.metadataXml")
    out: JSON = {}
    for tag, key in (
        ("SingleSignOnService", "signInEndpoint"),
        ("SingleLogoutService", "signOutEndpoint"),
    ):
        services = idp.findall(_MD + tag)
        preferred = [s for s in services if s.get("Binding") == REDIRECT_BINDING] + services
        if preferred and preferred[0].get("Location"):
            out[key] = preferred[0].get("Location")
    for descriptor in idp.findall(_MD + "KeyDescriptor"):
        if descriptor.get("use", "signing") != "signing":
            continue
        cert = descriptor.find(f".//{_DS}X509Certificate")
        if cert is not None and cert.text:
            out["signingCert"] = "".join(cert.text.split())
            break
    return out


def load_certificate(value: str) -> x509.Certificate:
    """A PEM text, the base64 of a PEM text, or the base64 of DER (all seen in the wild)."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return x509.load_pem_x509_certificate(text.encode())
    raw = base64.b64decode("".join(text.split()), validate=True)
    if raw.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(raw)
    return x509.load_der_x509_certificate(raw)


def certificate_facts(value: str) -> JSON:
    """`cert`, `thumbprints`, `expires` and `subject`, which Auth0 derives from signingCert."""
    try:
        cert = load_certificate(value)
    except (ValueError, binascii.Error, TypeError):
        raise body_error(
            "The signing certificate is not a valid X.509 certificate", "options.signingCert"
        ) from None
    der = cert.public_bytes(serialization.Encoding.DER)
    return {
        "cert": base64.b64encode(der).decode(),
        "thumbprints": [hashlib.sha1(der, usedforsecurity=False).hexdigest()],
        "expires": iso(cert.not_valid_after_utc.timestamp()),
        "subject": cert.subject.rfc4514_string(),
    }


def render(strategy: str, options: JSON) -> JSON:
    hidden = WRITE_ONLY.get(strategy, frozenset())
    return {k: v for k, v in options.items() if k not in hidden}
