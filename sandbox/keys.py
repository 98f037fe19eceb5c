"""The tenant's RS256 signing key: access tokens, ID tokens, JWKS.

The key lives in the state (so a snapshot keeps tokens valid across restarts). Fresh
apps without a snapshot share one process-wide key, because generating RSA keys for
each of hundreds of in-process test apps would dominate test time.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from .state import SigningKey, State, iso


@functools.lru_cache(maxsize=1)
def _process_key() -> SigningKey:
    key = RSAKey.generate_key(2048, private=True)
    pem = key.as_pem(private=True).decode()
    return SigningKey(kid=_kid_for(pem), private_pem=pem)


def _kid_for(pem: str) -> str:
    return hashlib.sha256(pem.encode()).hexdigest()[:32]


class KeyRing:
    def __init__(self, state: State, clock_now: float) -> None:
        self.state = state
        with state.lock:
            if state.signing_key is None:
                base = _process_key()
                state.signing_key = SigningKey(base.kid, base.private_pem, iso(clock_now))
        self._cache: tuple[str, RSAKey] | None = None

    def _key(self) -> RSAKey:
        stored = self.state.signing_key
        if stored is None:  # reset without keeping the key: fall back to the process key
            stored = _process_key()
            self.state.signing_key = stored
        if self._cache is None or self._cache[0] != stored.kid:
            key = RSAKey.import_key(stored.private_pem, parameters={"kid": stored.kid})
            self._cache = (stored.kid, key)
        return self._cache[1]

    @property
    def kid(self) -> str:
        return self._key().kid or ""

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "typ": "JWT", "kid": self.kid}, claims, self._key())

    def decode(self, token: str) -> dict[str, Any]:
        """Verify the signature and return the claims; ValueError when it does not verify.

        Expiry, issuer and audience are the caller's to check (they differ per use).
        """
        try:
            result = jwt.decode(token, self._key(), algorithms=["RS256"])
        except (JoseError, ValueError, TypeError) as exc:
            raise ValueError(str(exc)) from exc
        return dict(result.claims)

    def jwks(self) -> dict[str, Any]:
        public = self._key().as_dict(private=False)
        public.update({"use": "sig", "alg": "RS256"})
        return {"keys": [public]}
