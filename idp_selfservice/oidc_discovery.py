"""OpenID Connect discovery: read and check a provider's configuration before we use it.

Auth0 reads the discovery document itself when the connection is created, but a mistake
found there surfaces as an opaque failure. We check it on the spot and say what is wrong:
the issuer matches the URL it came from (OIDC Discovery 1.0 §4.3: a document claiming
another issuer is refused, as an impersonation guard), every endpoint is https, and the
signing keys (JWKS) can be fetched and hold at least one key. Both documents are fetched
through the safe fetcher.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from idp_selfservice.errors import DiscoveryError, FetchRefused
from idp_selfservice.fetching import Fetched, fetch, is_allowed_origin

WELL_KNOWN_PATH = "/.well-known/openid-configuration"
MAX_DOCUMENT_BYTES = 1024 * 1024
_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
_LABELS = {
    "issuer": "issuer",
    "authorization_endpoint": "authorization endpoint",
    "token_endpoint": "token endpoint",
    "jwks_uri": "key set (jwks_uri)",
    "userinfo_endpoint": "userinfo endpoint",
}


@dataclass(frozen=True)
class Discovery:
    discovery_url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    scopes_supported: list[str]
    claims_supported: list[str]
    signing_algorithms: list[str]  # id_token_signing_alg_values_supported
    key_count: int  # keys in the JWKS
    warnings: list[str]


def normalise_discovery_url(value: str) -> str:
    """The discovery URL for `value`, which may be the issuer URL or the discovery URL."""
    text = value.strip() if isinstance(value, str) else ""
    if text and "://" not in text:
        text = f"https://{text}"  # "accounts.google.com" is what people type
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or not parts.scheme or not parts.netloc:
        raise DiscoveryError(
            "This is not a web address we can read. Give the provider's issuer or discovery "
            "URL, starting with https://."
        )
    path = parts.path
    if not path.rstrip("/").endswith(WELL_KNOWN_PATH):
        path = path.rstrip("/") + WELL_KNOWN_PATH
    scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
    return urlunsplit((scheme, netloc, path.rstrip("/"), parts.query, ""))


def discover(value: str, *, fetcher: Callable[..., Fetched] = fetch) -> Discovery:
    """Fetch and check the discovery document at `value` and its JWKS, or DiscoveryError."""
    url = normalise_discovery_url(value)
    document = _json_object(_fetch(fetcher, url), "discovery document")
    fields = {name: _required(document, name) for name in ("issuer", *_ENDPOINTS)}
    _check_issuer(fields["issuer"], url)
    userinfo = document.get("userinfo_endpoint")
    userinfo = userinfo if isinstance(userinfo, str) and userinfo else None
    for name, endpoint in {**fields, "userinfo_endpoint": userinfo}.items():
        if endpoint is not None:
            _check_https(name, endpoint)
    key_count = _key_count(fetcher, fields["jwks_uri"])
    scopes = _strings(document, "scopes_supported")
    claims = _strings(document, "claims_supported")
    algorithms = _strings(document, "id_token_signing_alg_values_supported")
    return Discovery(
        discovery_url=url,
        issuer=fields["issuer"],
        authorization_endpoint=fields["authorization_endpoint"],
        token_endpoint=fields["token_endpoint"],
        jwks_uri=fields["jwks_uri"],
        userinfo_endpoint=userinfo,
        scopes_supported=scopes,
        claims_supported=claims,
        signing_algorithms=algorithms,
        key_count=key_count,
        warnings=_warnings(document, scopes, claims, algorithms, userinfo),
    )


def _fetch(fetcher: Callable[..., Fetched], url: str) -> bytes:
    try:
        fetched = fetcher(url, accept="application/json", max_bytes=MAX_DOCUMENT_BYTES)
    except FetchRefused as exc:
        raise DiscoveryError(str(exc)) from exc
    return fetched.body


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise DiscoveryError(f"The provider's {what} is not JSON.") from None
    if not isinstance(parsed, dict):
        raise DiscoveryError(f"The provider's {what} is not a JSON object.")
    return parsed


def _required(document: dict[str, Any], name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value.strip():
        raise DiscoveryError(f"The discovery document has no {_LABELS[name]} ({name}).")
    return value


def _check_issuer(issuer: str, discovery_url: str) -> None:
    parts = urlsplit(discovery_url)
    expected_path = parts.path.removesuffix(WELL_KNOWN_PATH)
    expected = urlunsplit((parts.scheme, parts.netloc, expected_path, "", ""))
    if issuer.rstrip("/") != expected.rstrip("/"):
        raise DiscoveryError(
            f"The discovery document says its issuer is {issuer}, but it was read from "
            f"{expected}. They must be the same: check the URL, or ask the provider for "
            "the right one."
        )


def _check_https(name: str, endpoint: str) -> None:
    try:
        scheme = urlsplit(endpoint).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme != "https" and not is_allowed_origin(endpoint):
        raise DiscoveryError(
            f"The provider's {_LABELS[name]} is not an https:// address: {endpoint}"
        )


def _key_count(fetcher: Callable[..., Fetched], jwks_uri: str) -> int:
    try:
        body = fetcher(jwks_uri, accept="application/json", max_bytes=MAX_DOCUMENT_BYTES).body
    except FetchRefused as exc:
        raise DiscoveryError(f"We could not read the provider's signing keys: {exc}") from exc
    keys = _json_object(body, "key set (jwks_uri)").get("keys")
    if not isinstance(keys, list):
        raise DiscoveryError("The provider's key set (jwks_uri) is not a JWK set: no keys list.")
    count = sum(1 for key in keys if isinstance(key, dict) and isinstance(key.get("kty"), str))
    if count == 0:
        raise DiscoveryError(
            "The provider's key set (jwks_uri) has no keys, so no sign-in could be verified."
        )
    return count


def _strings(document: dict[str, Any], name: str) -> list[str]:
    value = document.get(name)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


def _warnings(
    document: dict[str, Any],
    scopes: list[str],
    claims: list[str],
    algorithms: list[str],
    userinfo: str | None,
) -> list[str]:
    """Things that may still work but often do not: the person decides."""
    warnings: list[str] = []
    if "scopes_supported" in document:
        warnings += [
            f"The provider does not list the '{scope}' scope."
            for scope in ("openid", "email", "profile")
            if scope not in scopes
        ]
    if "claims_supported" in document and "email" not in claims:
        warnings.append("The provider does not list the 'email' claim.")
    if not algorithms:
        warnings.append("The provider does not say how it signs ID tokens.")
    elif "RS256" not in algorithms:
        warnings.append(
            "The provider does not list RS256 for signing ID tokens, which Auth0 expects."
        )
    if "none" in algorithms:
        warnings.append("The provider allows unsigned ID tokens ('none'); Auth0 refuses them.")
    response_types = _strings(document, "response_types_supported")
    if response_types and "code" not in response_types:
        warnings.append("The provider does not list the 'code' response type.")
    if userinfo is None:
        warnings.append(
            "The provider has no userinfo endpoint: attributes come only from the ID token."
        )
    return warnings
