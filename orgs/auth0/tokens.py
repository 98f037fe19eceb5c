"""The Management API access token, fetched once and shared by every worker.

`/oauth/token` is metered separately from the Management API and tokens last a day, so
the client-credentials token is cached in the coordination store (`auth0:mgmt_token`) and
fetched single-flight: on a miss, one worker takes `resource_lock("token", "mgmt")` and
fetches; the others wait on the lock and then read what it stored.

The store is trusted infrastructure, but a Management API token is a tenant-wide
credential, so it is stored encrypted (Fernet, key derived from SECRET_KEY): a Redis dump,
`MONITOR` or a slow log does not hand it out. Neither the token nor the client secret is
ever logged or put in an error message.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import ssl
from functools import lru_cache
from typing import Any

import certifi
import httpx
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from orgs.auth0.errors import Auth0Error, error_from_response, error_from_transport
from orgs.auth0.locks import resource_lock
from portal.coordination import coordination_store

log = logging.getLogger(__name__)

TOKEN_KEY = "auth0:mgmt_token"
# Refresh before expiry so a token is not handed out seconds before it dies mid-call.
MAX_EXPIRY_MARGIN = 300.0
EXPIRY_MARGIN_SHARE = 0.1
# One fetch takes at most AUTH0_TIMEOUT; waiters give the fetching worker that plus this.
LOCK_WAIT_SLACK = 5.0

_DELETE_IF_SAME = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def auth0_base_url() -> str:
    """`AUTH0_DOMAIN` as a URL: a bare domain means https."""
    domain = settings.AUTH0_DOMAIN.rstrip("/")
    return domain if "://" in domain else f"https://{domain}"


def auth0_tls_verify() -> ssl.SSLContext:
    """What every call to the tenant checks its certificate against: the CAs httpx trusts
    (certifi's), plus `AUTH0_CA_BUNDLE`'s when set (a private CA in front of the tenant,
    or the sandbox served over TLS)."""
    return _tls_context(settings.AUTH0_CA_BUNDLE)


@lru_cache(maxsize=4)
def _tls_context(ca_bundle: str) -> ssl.SSLContext:
    # Cached per bundle: building a context reads every CA in the file.
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


def management_audience() -> str:
    """`AUTH0_MGMT_AUDIENCE`, else the tenant's Management API identifier."""
    return settings.AUTH0_MGMT_AUDIENCE or f"{auth0_base_url()}/api/v2/"


def _fernet() -> Fernet:
    # A key of its own, derived from SECRET_KEY, so this ciphertext is useless elsewhere.
    digest = hashlib.sha256(b"orgs.auth0.tokens:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _cached() -> tuple[str, bytes] | None:
    """(token, ciphertext) from the store, or None on a miss or an undecryptable entry."""
    raw = coordination_store().get(TOKEN_KEY)
    if raw is None:
        return None
    ciphertext = raw if isinstance(raw, bytes) else str(raw).encode()
    try:
        return _fernet().decrypt(ciphertext).decode(), ciphertext
    except InvalidToken:
        # Written under another SECRET_KEY: a miss; the next fetch overwrites it.
        return None


def cache_ttl(expires_in: float) -> float:
    """How long a token that lives `expires_in` seconds stays in the cache."""
    return expires_in - min(MAX_EXPIRY_MARGIN, expires_in * EXPIRY_MARGIN_SHARE)


def management_token(*, http: httpx.Client | None = None) -> str:
    """A valid Management API access token: from the shared cache, else fetched once.

    Raises `Auth0Error` when Auth0 refuses or cannot be reached (retryable or not as the
    failure says) and `LockBusy` when another worker's fetch takes too long.
    """
    hit = _cached()
    if hit is not None:
        return hit[0]
    wait = float(settings.AUTH0_TIMEOUT) + LOCK_WAIT_SLACK
    with resource_lock("token", "mgmt", wait=wait):
        # Whoever held the lock before us has probably just fetched it.
        hit = _cached()
        if hit is not None:
            return hit[0]
        token, expires_in = _fetch(http)
        ttl = cache_ttl(expires_in)
        if ttl > 0:
            ciphertext = _fernet().encrypt(token.encode())
            coordination_store().set(TOKEN_KEY, ciphertext, px=int(ttl * 1000))
        return token


def invalidate(token: str | None = None) -> None:
    """Drop the cached token after Auth0 rejected it (401).

    Pass the rejected `token`: the cache is only cleared if it still holds that one, so a
    late 401 for an old token does not throw away the one another worker just fetched.
    """
    store = coordination_store()
    if token is None:
        store.delete(TOKEN_KEY)
        return
    hit = _cached()
    if hit is not None and hit[0] == token:
        store.register_script(_DELETE_IF_SAME)(keys=[TOKEN_KEY], args=[hit[1]])


def _fetch(http: httpx.Client | None) -> tuple[str, float]:
    """(access_token, expires_in) with AUTH0_MGMT_CLIENT_SECRET; when Auth0 refuses that
    secret and AUTH0_MGMT_CLIENT_SECRET_PREVIOUS is set, with the previous one, once.

    During a rotation (docs/operations.md) the deployed secret and the one Auth0 accepts
    differ for a while (Auth0 says a rotated secret may take up to 30 s to apply); the
    fallback bridges that window.
    """
    current = settings.AUTH0_MGMT_CLIENT_SECRET
    previous = getattr(settings, "AUTH0_MGMT_CLIENT_SECRET_PREVIOUS", "")
    try:
        return _fetch_with(current, http)
    except Auth0Error as exc:
        if not _secret_refused(exc) or not previous or previous == current:
            raise
        refused = exc
    try:
        fetched = _fetch_with(previous, http)
    except Auth0Error:
        # Neither works: what was wrong with the current secret is the useful answer.
        raise refused from None
    # Names the settings, never their values.
    log.warning(
        "Auth0 refused AUTH0_MGMT_CLIENT_SECRET; the token was fetched with "
        "AUTH0_MGMT_CLIENT_SECRET_PREVIOUS. Finish the secret rotation (docs/operations.md)."
    )
    return fetched


def _secret_refused(exc: Auth0Error) -> bool:
    """Auth0's answer to a wrong client secret (401 or 403 access_denied/invalid_client)."""
    return exc.status in (401, 403) and exc.code in ("access_denied", "invalid_client")


def _fetch_with(client_secret: str, http: httpx.Client | None) -> tuple[str, float]:
    """POST /oauth/token (client credentials); (access_token, expires_in)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": settings.AUTH0_MGMT_CLIENT_ID,
        "client_secret": client_secret,
        "audience": management_audience(),
    }
    url = f"{auth0_base_url()}/oauth/token"
    try:
        if http is not None:
            response = http.post(url, data=form, timeout=settings.AUTH0_TIMEOUT)
        else:
            with httpx.Client(timeout=settings.AUTH0_TIMEOUT, verify=auth0_tls_verify()) as client:
                response = client.post(url, data=form)
    except httpx.TransportError as exc:
        raise error_from_transport(exc) from exc
    body = _json(response)
    if response.status_code != 200:
        raise error_from_response(response.status_code, body, response.headers)
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise Auth0Error("/oauth/token returned no access_token", status=200, code="bad_token")
    expires_in = float(body.get("expires_in") or 86400)
    log.info("fetched a Management API token for %s (expires in %ds)", url, expires_in)
    return body["access_token"], expires_in


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
