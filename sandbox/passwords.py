"""Password hashes (scrypt) for database-connection users, and imported legacy hashes."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

from . import legacy_hashes

# Deliberately light scrypt cost: the sandbox holds demo credentials only, and tests seed
# users many times per run. Still a real KDF, so snapshots never hold plain passwords.
_N, _R, _P = 2**11, 8, 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


@functools.lru_cache(maxsize=64)
def seed_hash(password: str) -> str:
    """A cached hash for seed users, so reseeding in every test costs nothing."""
    return hash_password(password)


def verify_password(password: str, encoded: str | None) -> bool:
    if not encoded:
        return False
    if not encoded.startswith("scrypt$"):
        # A bulk-imported user keeps the legacy store's hash until they change password.
        return legacy_hashes.verify(password, encoded)
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    actual = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(actual, base64.b64decode(digest))
