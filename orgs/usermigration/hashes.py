"""Whether Auth0's bulk import would take a password hash, read from Auth0's own
description of `custom_password_hash` (and of `password_hash`, bcrypt only).

Only the shape is checked, never a password: the algorithm is one Auth0 imports, the
encodings are its own, the self-describing formats (argon2, bcrypt, pbkdf2, scrypt, LDAP)
parse, and a plain digest decodes to exactly its digest's length. A hash refused here
would fail in the import job, where the person could no longer fix it.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from orgs.usermigration.quoting import quoted

ALGORITHMS: tuple[str, ...] = (
    "argon2",
    "bcrypt",
    "hmac",
    "ldap",
    "md4",
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "pbkdf2",
    "scrypt",
)
# Their value carries its own parameters and salt: encoding utf8, no separate salt.
SELF_DESCRIBING = ("argon2", "bcrypt", "ldap", "pbkdf2", "scrypt")
DIGEST_BYTES: dict[str, int] = {"md4": 16, "md5": 16, "sha1": 20, "sha256": 32, "sha512": 64}
# What hash.digest (HMAC) and a pbkdf2-<digest> may name, and their output sizes.
HMAC_DIGEST_BYTES: dict[str, int] = {
    "md4": 16,
    "md5": 16,
    "ripemd160": 20,
    "sha1": 20,
    "sha224": 28,
    "sha256": 32,
    "sha384": 48,
    "sha512": 64,
    "whirlpool": 64,
}
ENCODINGS = ("hex", "base64", "utf8")
SALT_POSITIONS = ("prefix", "suffix")
PASSWORD_ENCODINGS = ("ascii", "utf8", "utf16le", "ucs2", "latin1", "binary")
# RFC 2307 schemes: {digest} or {salted digest}, then base64 of digest (+ salt).
LDAP_SCHEMES: dict[str, int] = {
    "MD5": 16,
    "SMD5": 16,
    "SHA": 20,
    "SSHA": 20,
    "SHA256": 32,
    "SSHA256": 32,
    "SHA384": 48,
    "SSHA384": 48,
    "SHA512": 64,
    "SSHA512": 64,
}

BCRYPT_EXPECTED = "expected $2a$, $2b$ or $2y$, a two-digit cost and 53 characters"
_BCRYPT = re.compile(r"^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$")
_B64 = r"[A-Za-z0-9+/]+={0,2}"  # PHC's base64 (no padding), padding tolerated
_ARGON2 = re.compile(
    rf"^\$argon2(id|i|d)(\$v=\d+)?\$m=\d+,t=\d+,p=\d+(,(keyid|data)=[^$]*)*\$({_B64})\$({_B64})$"
)
_PBKDF2 = re.compile(rf"^\$pbkdf2-([a-z0-9]+)\$i=(\d+)(?:,l=(\d+))?\$({_B64})\$({_B64})$")
_SCRYPT = re.compile(rf"^\$scrypt(\$v=\d+)?\$ln=\d+,r=\d+,p=\d+(,k=\d+)?\$({_B64})\$({_B64})$")
_LDAP = re.compile(r"^\{([A-Za-z0-9]+)\}(.+)$", re.DOTALL)
_HEX = re.compile(r"^[0-9A-Fa-f]*$")

_EXPECTED: dict[str, str] = {
    "argon2": "expected a PHC string such as $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>",
    "bcrypt": BCRYPT_EXPECTED,
    "pbkdf2": (
        "expected a PHC string such as $pbkdf2-sha256$i=10000,l=32$<salt>$<hash>, "
        "salt and hash in base64 without padding"
    ),
    "scrypt": "expected a PHC string such as $scrypt$ln=15,r=8,p=1$<salt>$<hash>",
    "ldap": (
        "expected an RFC 2307 value such as {SSHA}<base64>: "
        + ", ".join("{" + scheme + "}" for scheme in LDAP_SCHEMES)
    ),
}

_A_HASH = {
    "argon2": "an argon2 hash",
    "bcrypt": "a bcrypt hash",
    "ldap": "an LDAP hash",
    "pbkdf2": "a PBKDF2 hash",
    "scrypt": "an scrypt hash",
}

Problem = tuple[str, str]
_ROOT = "custom_password_hash"


def hash_problem(custom: Any) -> Problem | None:
    """(path, message) when Auth0 would refuse this custom_password_hash; None when usable."""
    if not isinstance(custom, dict):
        return _ROOT, "custom_password_hash must be an object {algorithm, hash: {value, ...}}."
    algorithm = custom.get("algorithm")
    if algorithm in (None, ""):
        return f"{_ROOT}.algorithm", "The hash has no algorithm: say which one made it."
    if algorithm not in ALGORITHMS:
        return f"{_ROOT}.algorithm", (
            f"The algorithm {quoted(str(algorithm))} is not one Auth0 can import: use "
            f"{', '.join(ALGORITHMS)}."
        )
    unknown = sorted(set(custom) - {"algorithm", "hash", "password"})
    if unknown:
        return f"{_ROOT}.{unknown[0]}", (
            f"custom_password_hash has '{unknown[0]}', which Auth0 does not take: "
            "only algorithm, hash and password."
        )
    return _password_problem(custom.get("password")) or _hash_object_problem(
        algorithm, custom.get("hash")
    )


def bcrypt_problem(value: Any) -> Problem | None:
    """(path, message) when Auth0 would refuse this `password_hash`; None when usable."""
    if not isinstance(value, str) or not _BCRYPT.match(value):
        return "password_hash", f"The hash is not a bcrypt hash: {BCRYPT_EXPECTED}."
    return None


# -- the parts --------------------------------------------------------------------------


def _password_problem(password: Any) -> Problem | None:
    if password is None:
        return None
    path = f"{_ROOT}.password.encoding"
    if not isinstance(password, dict) or set(password) - {"encoding"}:
        return f"{_ROOT}.password", "password must be an object with only an encoding."
    encoding = password.get("encoding", "utf8")
    if encoding not in PASSWORD_ENCODINGS:
        return path, (
            f"The password encoding {quoted(str(encoding))} is not one Auth0 knows: use "
            f"{', '.join(PASSWORD_ENCODINGS)}."
        )
    return None


def _hash_object_problem(algorithm: str, hash_: Any) -> Problem | None:
    if not isinstance(hash_, dict):
        return f"{_ROOT}.hash", "The hash must be an object {value, encoding}."
    value = hash_.get("value")
    if not isinstance(value, str) or not value:
        return f"{_ROOT}.hash.value", "The hash has no value."
    # Left out, the encoding is the algorithm's usual one: its own format for the
    # self-describing ones, hex for a digest (as the sandbox, standing in for Auth0, reads it).
    encoding = hash_.get("encoding", "utf8" if algorithm in SELF_DESCRIBING else "hex")
    if encoding not in ENCODINGS:
        return f"{_ROOT}.hash.encoding", (
            f"The hash encoding {quoted(str(encoding))} is not one Auth0 knows: "
            "use hex, base64 or utf8."
        )
    if algorithm in SELF_DESCRIBING:
        return _self_describing_problem(algorithm, hash_, value, encoding)
    return _salt_problem(hash_.get("salt")) or _digest_problem(algorithm, hash_, value, encoding)


def _self_describing_problem(
    algorithm: str, hash_: dict[str, Any], value: str, encoding: str
) -> Problem | None:
    if encoding != "utf8":
        return f"{_ROOT}.hash.encoding", (
            f"A {algorithm} hash carries its own format: its encoding must be utf8, not {encoding}."
        )
    if "salt" in hash_:
        return f"{_ROOT}.hash.salt", (
            f"A {algorithm} hash holds its salt inside its value: leave the separate salt out."
        )
    if "digest" in hash_ or "key" in hash_:
        return f"{_ROOT}.hash", f"A {algorithm} hash takes no digest or key: only its value."
    if not _self_describing_ok(algorithm, value):
        return f"{_ROOT}.hash.value", (
            f"The hash is not {_A_HASH[algorithm]}: {_EXPECTED[algorithm]}."
        )
    return None


def _self_describing_ok(algorithm: str, value: str) -> bool:
    if algorithm == "bcrypt":
        return bool(_BCRYPT.match(value))
    if algorithm == "argon2":
        return bool(_ARGON2.match(value))
    if algorithm == "scrypt":
        return bool(_SCRYPT.match(value))
    if algorithm == "pbkdf2":
        return _pbkdf2_ok(value)
    return _ldap_ok(value)


def _pbkdf2_ok(value: str) -> bool:
    match = _PBKDF2.match(value)
    if not match or match.group(1) not in HMAC_DIGEST_BYTES or int(match.group(2)) < 1:
        return False
    key_length = match.group(3)
    derived = _b64_bytes(match.group(5))
    return derived is not None and (key_length is None or len(derived) == int(key_length))


def _ldap_ok(value: str) -> bool:
    match = _LDAP.match(value)
    if not match:
        return False
    scheme = match.group(1).upper()
    size = LDAP_SCHEMES.get(scheme)
    decoded = _b64_bytes(match.group(2))
    if size is None or decoded is None:
        return False
    salted = scheme.startswith("S") and not scheme.startswith("SHA")  # SSHA, SMD5, ...
    return len(decoded) > size if salted else len(decoded) == size


def _salt_problem(salt: Any) -> Problem | None:
    if salt is None:
        return None
    path = f"{_ROOT}.hash.salt"
    if not isinstance(salt, dict):
        return path, "The salt must be an object {value, encoding, position}."
    if not isinstance(salt.get("value"), str) or not salt["value"]:
        return f"{path}.value", "The salt has no value."
    encoding = salt.get("encoding", "utf8")
    if encoding not in ENCODINGS:
        return f"{path}.encoding", (
            f"The salt encoding {quoted(str(encoding))} is not one Auth0 knows: "
            "use hex, base64 or utf8."
        )
    if _decoded(salt["value"], encoding) is None:
        return f"{path}.value", f"The salt is not valid {encoding}."
    if salt.get("position") not in SALT_POSITIONS:
        return f"{path}.position", "Say where the salt goes: position prefix or suffix."
    return None


def _digest_problem(
    algorithm: str, hash_: dict[str, Any], value: str, encoding: str
) -> Problem | None:
    if encoding == "utf8":
        return f"{_ROOT}.hash.encoding", (
            f"A {algorithm} hash must be given as hex or base64, not utf8."
        )
    if algorithm == "hmac":
        problem = _hmac_problem(hash_)
        if problem:
            return problem
        size = HMAC_DIGEST_BYTES[hash_["digest"]]
        name = f"HMAC-{hash_['digest']}"
    else:
        if "digest" in hash_ or "key" in hash_:
            return f"{_ROOT}.hash", f"A {algorithm} hash takes no digest or key."
        size = DIGEST_BYTES[algorithm]
        name = algorithm
    decoded = _decoded(value, encoding)
    if decoded is None:
        return f"{_ROOT}.hash.value", f"The hash is not valid {encoding}."
    if len(decoded) != size:
        hint = f" ({size * 2} hex characters)" if encoding == "hex" else ""
        return f"{_ROOT}.hash.value", (
            f"The hash is not a valid {name} hash: expected {size} bytes{hint}, "
            f"found {len(decoded)}."
        )
    return None


def _hmac_problem(hash_: dict[str, Any]) -> Problem | None:
    digest = hash_.get("digest")
    if not isinstance(digest, str) or digest not in HMAC_DIGEST_BYTES:
        return f"{_ROOT}.hash.digest", (
            "An HMAC hash needs its digest: one of " + ", ".join(HMAC_DIGEST_BYTES) + "."
        )
    key = hash_.get("key")
    if not isinstance(key, dict) or not isinstance(key.get("value"), str) or not key["value"]:
        return f"{_ROOT}.hash.key", "An HMAC hash needs its key: {value, encoding}."
    key_encoding = key.get("encoding", "utf8")
    if key_encoding not in ENCODINGS:
        return f"{_ROOT}.hash.key.encoding", (
            f"The key encoding {quoted(str(key_encoding))} is not one Auth0 knows: "
            "use hex, base64 or utf8."
        )
    if _decoded(key["value"], key_encoding) is None:
        return f"{_ROOT}.hash.key.value", f"The HMAC key is not valid {key_encoding}."
    return None


def _decoded(value: str, encoding: str) -> bytes | None:
    if encoding == "utf8":
        return value.encode()
    if encoding == "hex":
        if len(value) % 2 or not _HEX.match(value):
            return None
        return bytes.fromhex(value)
    return _b64_bytes(value)


def _b64_bytes(value: str) -> bytes | None:
    """Standard or URL-safe base64, padded or not (Auth0 takes both)."""
    core = value.replace("-", "+").replace("_", "/").rstrip("=")
    if len(value) - len(value.rstrip("=")) > 2:
        return None
    try:
        return base64.b64decode(core + "=" * (-len(core) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
