"""PKCE (RFC 7636) checks for the authorization-code grant.

Auth0 accepts only ``S256`` at ``/authorize``; ``plain`` is refused there, so the
token endpoint only ever has to verify S256 challenges.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

# RFC 7636 section 4.1: 43-128 characters from the unreserved set.
_VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
# A S256 challenge is the unpadded base64url form of a SHA-256 digest: 43 characters.
_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9\-_]{43}$")

SUPPORTED_METHODS = ("S256",)


def s256_challenge(verifier: str) -> str:
    """Return BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def challenge_is_well_formed(challenge: str) -> bool:
    return bool(_CHALLENGE_RE.match(challenge))


def verifier_is_well_formed(verifier: str) -> bool:
    return bool(_VERIFIER_RE.match(verifier))


def verify(challenge: str, method: str, verifier: str) -> bool:
    """True when ``verifier`` answers ``challenge`` (constant-time comparison)."""
    if method != "S256" or not verifier_is_well_formed(verifier):
        return False
    return hmac.compare_digest(s256_challenge(verifier), challenge)
