"""Step 3's answers turned into what the connection needs: `services.IdpDetails` (Auth0's
options, and a summary of what we found to show back), per provider family.

Every input is read and checked here, on the spot, through the same code as the support
command: SAML metadata (URL, file or typed by hand), OIDC discovery, ADFS federation
metadata, PingFederate's server and certificate. A problem comes back as `DetailsProblem`
naming the form field it is about, with the plain message the parsers wrote; a document
listing several IdPs comes back as `ChooseIdp`. Nothing is saved here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from idp_selfservice.certificates import (
    CertificateInfo,
    auth0_signing_cert,
    certificate_warnings,
    parse_certificate,
)
from idp_selfservice.errors import CertificateError, IdpInputError, MultipleIdps
from idp_selfservice.models import MetadataSource
from idp_selfservice.providers import ADFS_FAMILY, OIDC_FAMILY, PING_FAMILY, Provider
from idp_selfservice.saml_metadata import (
    HTTP_REDIRECT,
    Endpoint,
    IdpMetadata,
    load_metadata_url,
    manual_metadata,
    parse_metadata,
)
from idp_selfservice.services import IdpDetails

# Auth0's adfs strategy takes the federation metadata inline up to this size (the
# sandbox enforces the same limit); a bigger document goes by its URL instead.
MAX_FED_METADATA_CHARS = 100 * 1024
# PingFederate's sign-in path under its server URL, which Auth0 uses by default.
PING_SSO_PATH = "/idp/SSO.saml2"


class DetailsProblem(Exception):
    """What the person gave cannot be used; `field` is the form field to mark."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


class ChooseIdp(Exception):
    """The metadata describes several identity providers: the person picks one."""

    def __init__(self, message: str, entity_ids: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.entity_ids = entity_ids


@dataclass(frozen=True)
class DetailsInput:
    """A valid details form, whatever the family (forms.DetailsForm.details_input)."""

    method: str = ""  # url | file | manual | fields (SAML, ADFS, Ping); "" for OIDC
    metadata_url: str = ""
    document: bytes | None = None  # an uploaded (or kept) metadata file
    entity_id: str = ""  # manual entry
    sign_in_url: str = ""
    sign_out_url: str = ""
    certificate: str | bytes = ""  # pasted PEM, or an uploaded .pem/.cer/.crt
    certificate_field: str = "certificate"
    server_url: str = ""  # PingFederate
    discovery_url: str = ""  # OIDC
    client_id: str = ""
    client_secret: str = ""
    scopes: str = ""
    chosen_entity_id: str | None = None  # picked from a document with several IdPs
    secret_stored: bool = False


def build_details(provider: Provider, given: DetailsInput) -> IdpDetails:
    """Read and check `given` for `provider`; DetailsProblem or ChooseIdp when it fails."""
    if provider.family == OIDC_FAMILY:
        return _oidc(given)
    if provider.family == ADFS_FAMILY:
        return _adfs(given)
    if provider.family == PING_FAMILY:
        return _ping(given)
    return _saml(given)


# --- SAML -----------------------------------------------------------------------------------


def _saml(given: DetailsInput) -> IdpDetails:
    if given.method == "manual":
        metadata = _manual(given)
        source, url = MetadataSource.MANUAL, ""
    else:
        metadata = _metadata(given)
        source = MetadataSource.URL if given.method == "url" else MetadataSource.FILE
        url = given.metadata_url if given.method == "url" else ""
    return IdpDetails(
        options=metadata.auth0_options(),
        summary=saml_summary(metadata),
        source=source,
        metadata_url=url,
    )


def _metadata(given: DetailsInput) -> IdpMetadata:
    """The document from the URL or the upload; errors go on the field it came from."""
    where = "metadata_url" if given.method == "url" else "metadata_file"
    try:
        if given.method == "url":
            return load_metadata_url(given.metadata_url, entity_id=given.chosen_entity_id)
        return parse_metadata(given.document or b"", entity_id=given.chosen_entity_id)
    except MultipleIdps as exc:
        raise ChooseIdp(str(exc), exc.entity_ids) from None
    except IdpInputError as exc:
        raise DetailsProblem(where, str(exc)) from None


def _manual(given: DetailsInput) -> IdpMetadata:
    try:
        return manual_metadata(
            entity_id=given.entity_id,
            sign_in_url=given.sign_in_url,
            certificate=_certificate_text(given.certificate),
            sign_out_url=given.sign_out_url,
        )
    except CertificateError as exc:
        raise DetailsProblem(given.certificate_field, str(exc)) from None
    except IdpInputError as exc:
        raise DetailsProblem(_manual_field(str(exc)), str(exc)) from None


def _manual_field(message: str) -> str:
    """manual_metadata says which value it refused in its message; mark that field."""
    if "sign-out URL" in message:
        return "sign_out_url"
    if "sign-in URL" in message:
        return "sign_in_url"
    return "entity_id"


def _certificate_text(value: str | bytes) -> str:
    """manual_metadata takes text; an uploaded DER file is read here first."""
    if isinstance(value, str):
        return value
    return parse_certificate(value).pem()


# --- ADFS -----------------------------------------------------------------------------------


def _adfs(given: DetailsInput) -> IdpDetails:
    """Auth0 reads ADFS's federation metadata itself (`adfs_server` = its URL, or
    `fedMetadataXml` = the document); we read it too, to check it and show what it says."""
    metadata = _metadata(given)
    summary = saml_summary(metadata)
    if given.method == "url":
        return IdpDetails(
            options={"adfs_server": given.metadata_url},
            summary=summary,
            source=MetadataSource.URL,
            metadata_url=given.metadata_url,
        )
    if len(metadata.source_xml) > MAX_FED_METADATA_CHARS:
        raise DetailsProblem(
            "metadata_file",
            "This federation metadata is larger than the 100 KB Auth0 takes as a file. "
            "Give its URL instead.",
        )
    return IdpDetails(
        options={"fedMetadataXml": metadata.source_xml},
        summary=summary,
        source=MetadataSource.FILE,
    )


# --- PingFederate ---------------------------------------------------------------------------


def _ping(given: DetailsInput) -> IdpDetails:
    if given.method == "file":
        metadata = _metadata(given)
        sso = metadata.preferred_sso()
        options = {
            "pingFederateBaseUrl": _origin(sso.location),
            "signInEndpoint": sso.location,
            "signingCert": auth0_signing_cert(metadata.active_certificate()),
        }
        return IdpDetails(
            options=options, summary=saml_summary(metadata), source=MetadataSource.FILE
        )
    base = _ping_server(given.server_url)
    try:
        cert = parse_certificate(given.certificate)
    except CertificateError as exc:
        raise DetailsProblem(given.certificate_field, str(exc)) from None
    now = datetime.now(UTC)
    sso = Endpoint(HTTP_REDIRECT, base + PING_SSO_PATH)
    summary = {
        "kind": PING_FAMILY,
        "entity_id": "",
        "server_url": base,
        "sso_endpoints": [endpoint_summary(sso)],
        "preferred_sso": endpoint_summary(sso),
        "slo_endpoints": [],
        "certificates": [certificate_summary(cert, in_use=True)],
        "name_id_formats": [],
        "warnings": certificate_warnings(cert, now),
    }
    options = {"pingFederateBaseUrl": base, "signingCert": auth0_signing_cert(cert)}
    return IdpDetails(options=options, summary=summary, source=MetadataSource.FIELDS)


def _ping_server(value: str) -> str:
    from idp_selfservice.fetching import is_allowed_origin

    url = value.strip().rstrip("/")
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    usable = parts is not None and bool(parts.hostname) and not parts.query
    if not usable or (parts is not None and parts.scheme != "https" and not is_allowed_origin(url)):
        raise DetailsProblem(
            "server_url",
            "Enter your PingFederate server's address, starting with https:// (for example "
            "https://sso.example.com:9031).",
        )
    return url


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


# --- OIDC -----------------------------------------------------------------------------------


def _oidc(given: DetailsInput) -> IdpDetails:
    from idp_selfservice.oidc_discovery import discover

    scopes = " ".join(given.scopes.split())
    if "openid" not in scopes.split():
        raise DetailsProblem("scopes", "The scopes must include openid.")
    if not given.client_secret and not given.secret_stored:
        raise DetailsProblem("client_secret", "Enter the client secret.")
    try:
        found = discover(given.discovery_url)
    except IdpInputError as exc:
        raise DetailsProblem("discovery_url", str(exc)) from None
    options: dict[str, Any] = {
        "type": "back_channel",
        "discovery_url": found.discovery_url,
        "issuer": found.issuer,
        "authorization_endpoint": found.authorization_endpoint,
        "token_endpoint": found.token_endpoint,
        "jwks_uri": found.jwks_uri,
        "client_id": given.client_id.strip(),
        "scope": scopes,
    }
    if found.userinfo_endpoint:
        options["userinfo_endpoint"] = found.userinfo_endpoint
    kept: tuple[str, ...] = ()
    if given.client_secret:
        options["client_secret"] = given.client_secret
    else:
        kept = ("client_secret",)
    summary = {
        "kind": OIDC_FAMILY,
        "issuer": found.issuer,
        "discovery_url": found.discovery_url,
        "authorization_endpoint": found.authorization_endpoint,
        "token_endpoint": found.token_endpoint,
        "userinfo_endpoint": found.userinfo_endpoint or "",
        "jwks_uri": found.jwks_uri,
        "key_count": found.key_count,
        "scopes_supported": found.scopes_supported,
        "claims_supported": found.claims_supported,
        "signing_algorithms": found.signing_algorithms,
        "client_id": options["client_id"],
        "scope": scopes,
        "warnings": found.warnings,
    }
    return IdpDetails(
        options=options,
        summary=summary,
        source=MetadataSource.DISCOVERY,
        metadata_url=found.discovery_url,
        kept_secret_keys=kept,
    )


# --- what we found, for display (SsoSetup.idp_summary) ------------------------------------


def saml_summary(metadata: IdpMetadata) -> dict[str, Any]:
    """The summary of a SAML-like IdP: JSON-ready, no secrets; `certificates[].in_use` marks
    the one Auth0 was given (dates as ISO 8601, days left worked out when shown)."""
    in_use = metadata.active_certificate().sha256_fingerprint
    slo = metadata.preferred_slo()
    return {
        "kind": "saml",
        "entity_id": metadata.entity_id,
        "sso_endpoints": [endpoint_summary(e) for e in metadata.sso_endpoints],
        "preferred_sso": endpoint_summary(metadata.preferred_sso()),
        "slo_endpoints": [endpoint_summary(e) for e in metadata.slo_endpoints],
        "preferred_slo": endpoint_summary(slo) if slo else None,
        "certificates": [
            certificate_summary(c, in_use=c.sha256_fingerprint == in_use)
            for c in metadata.signing_certificates
        ],
        "name_id_formats": metadata.name_id_formats,
        "want_authn_requests_signed": metadata.want_authn_requests_signed,
        "warnings": metadata.warnings,
    }


def endpoint_summary(endpoint: Endpoint) -> dict[str, str]:
    return {
        "binding": endpoint.binding,
        "binding_name": endpoint.binding_name,
        "location": endpoint.location,
    }


def certificate_summary(info: CertificateInfo, *, in_use: bool) -> dict[str, Any]:
    return {
        "subject": info.subject,
        "issuer": info.issuer,
        "sha256_fingerprint": info.sha256_fingerprint,
        "not_before": info.not_before.isoformat(),
        "not_after": info.not_after.isoformat(),
        "signature_algorithm": info.signature_algorithm,
        "key_type": info.key_type,
        "key_size": info.key_size,
        "in_use": in_use,
    }


def certificate_days_left(summary: Mapping[str, Any], now: datetime | None = None) -> int | None:
    """Whole days until a summarised certificate expires (negative once expired)."""
    try:
        not_after = datetime.fromisoformat(str(summary["not_after"]))
    except (KeyError, ValueError):
        return None
    return (not_after - (now or datetime.now(UTC))).days
