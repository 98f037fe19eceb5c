"""Imported users' password hashes: Auth0's `custom_password_hash` and bcrypt `password_hash`.

A bulk import may carry the hash a legacy store kept, so users sign in with their old
password. Auth0 documents `custom_password_hash` as `{algorithm, hash: {value, encoding,
digest, key: {value, encoding}, salt: {value, encoding, position}}, password: {encoding}}`
for argon2, bcrypt, hmac, ldap, md4, md5, sha1, sha256, sha512, pbkdf2 and scrypt.
`format_problem` is the import-time check (the expected format, as Auth0 words it);
`verify` is what the login page calls. Well-kept libraries do the hard parts: bcrypt,
argon2-cffi, hashlib (pbkdf2_hmac, scrypt) and pycryptodome for MD4, which OpenSSL 3
no longer offers to hashlib.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from typing import Any

import argon2
import bcrypt
from Crypto.Hash import MD4

# How an imported hash travels in `User.password_hash`, so snapshots stay plain strings.
CUSTOM_PREFIX = "custom$"
ALGORITHMS = (
    "argon2", "bcrypt", "hmac", "ldap", "md4", "md5", "sha1", "sha256", "sha512", "pbkdf2",
    "scrypt",
)  # fmt: skip
PLAIN_DIGESTS = ("md4", "md5", "sha1", "sha256", "sha512")
HMAC_DIGESTS = ("md4", "md5", "ripemd160", "sha1", "sha224", "sha256", "sha384", "sha512")
ENCODINGS = ("hex", "base64", "utf8")
PASSWORD_ENCODINGS = {
    "ascii": "ascii",
    "utf8": "utf-8",
    "utf16le": "utf-16-le",
    "ucs2": "utf-16-le",
    "latin1": "latin-1",
    "binary": "latin-1",
}
BCRYPT_RE = re.compile(r"^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$")
ARGON2_RE = re.compile(
    r"^\$argon2(id|i|d)\$(v=\d+\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$"
)
PBKDF2_RE = re.compile(
    r"^\$pbkdf2-(\w+)\$i=(\d+),l=(\d+)\$([A-Za-z0-9+/.=-]+)\$([A-Za-z0-9+/.=-]+)$"
)
SCRYPT_RE = re.compile(
    r"^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/.=-]+)\$([A-Za-z0-9+/.=-]+)$"
)
LDAP_RE = re.compile(
    r"^\{(SSHA|SHA|SMD5|MD5|SSHA256|SHA256|SSHA512|SHA512)\}([A-Za-z0-9+/=]+)$", re.I
)
EXPECTED = {
    "bcrypt": "a bcrypt hash ($2a$, $2b$ or $2y$, cost and 53 characters)",
    "argon2": "a PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash)",
    "pbkdf2": "a PHC string ($pbkdf2-<digest>$i=<iterations>,l=<key length>$salt$hash)",
    "scrypt": "a PHC string ($scrypt$ln=<log2 cost>,r=<block size>,p=<parallelism>$salt$hash)",
    "ldap": "an RFC 2307 value ({SSHA}, {SHA}, {SMD5} or {MD5} then base64)",
}
_LDAP_DIGESTS = {"SHA": "sha1", "MD5": "md5", "SHA256": "sha256", "SHA512": "sha512"}


def _digest(name: str, data: bytes) -> bytes:
    if name == "md4":
        return MD4.new(data).digest()  # noqa: S303 (verifying a legacy store's hash is the point)
    return hashlib.new(name, data).digest()


def _hmac_digest(name: str) -> Callable[[], Any] | str:
    if name == "md4":
        return MD4.new  # hmac takes a constructor where hashlib has no such name
    return name


def _decode(value: str, encoding: str) -> bytes:
    """Bytes of `value` in Auth0's hex/base64/utf8 (hex in either case, base64 url-safe too)."""
    if encoding == "hex":
        return bytes.fromhex(value)
    if encoding == "base64":
        padded = value.replace("-", "+").replace("_", "/")
        return base64.b64decode(padded + "=" * (-len(padded) % 4), validate=True)
    return value.encode()


def _phc_b64(value: str) -> bytes:
    """PHC strings use base64 without padding (some writers use `.` for `+`)."""
    return _decode(value.replace(".", "+"), "base64")


def encode_custom(custom: dict[str, Any]) -> str:
    return CUSTOM_PREFIX + json.dumps(custom, sort_keys=True)


def is_bcrypt(encoded: str) -> bool:
    return bool(BCRYPT_RE.match(encoded))


# --- import-time checks -----------------------------------------------------------------


def format_problem(custom: dict[str, Any]) -> tuple[str, str] | None:
    """(message, path) for a hash Auth0 would refuse, or None when it is usable."""
    algorithm = custom.get("algorithm")
    if algorithm not in ALGORITHMS:
        return f'No enum match for: "{algorithm}"', "custom_password_hash.algorithm"
    spec = custom.get("hash")
    if not isinstance(spec, dict) or not isinstance(spec.get("value"), str):
        return "Missing required property: value", "custom_password_hash.hash"
    value = spec["value"]
    pattern = {"bcrypt": BCRYPT_RE, "argon2": ARGON2_RE, "pbkdf2": PBKDF2_RE}
    pattern |= {"scrypt": SCRYPT_RE, "ldap": LDAP_RE}
    if algorithm in pattern:
        if not pattern[algorithm].match(value):
            expected = EXPECTED[algorithm]
            return (
                f"Invalid hash for {algorithm}: expected {expected}",
                "custom_password_hash.hash.value",
            )
        return None
    return _digest_problem(algorithm, spec)


def _digest_problem(algorithm: str, spec: dict[str, Any]) -> tuple[str, str] | None:
    encoding = spec.get("encoding", "hex")
    if encoding not in ("hex", "base64"):
        return f'No enum match for: "{encoding}"', "custom_password_hash.hash.encoding"
    try:
        _decode(spec["value"], encoding)
        for part in ("salt", "key"):
            if part in spec:
                _decode(spec[part]["value"], spec[part].get("encoding", "utf8"))
    except (ValueError, KeyError, TypeError, binascii.Error):
        return (
            f"Invalid hash for {algorithm}: expected {encoding}",
            "custom_password_hash.hash.value",
        )
    salt = spec.get("salt")
    if salt is not None and salt.get("position") not in ("prefix", "suffix"):
        return "Missing required property: position", "custom_password_hash.hash.salt"
    if algorithm == "hmac":
        if spec.get("digest") not in HMAC_DIGESTS:
            return f'No enum match for: "{spec.get("digest")}"', "custom_password_hash.hash.digest"
        if not isinstance(spec.get("key"), dict):
            return "Missing required property: key", "custom_password_hash.hash"
    return None


# --- verification -------------------------------------------------------------------------


def verify(password: str, encoded: str) -> bool:
    """Whether `password` matches an imported hash (`custom$...` or a bcrypt string)."""
    if is_bcrypt(encoded):
        return _bcrypt(password.encode(), encoded)
    if not encoded.startswith(CUSTOM_PREFIX):
        return False
    try:
        custom = json.loads(encoded[len(CUSTOM_PREFIX) :])
        if format_problem(custom):
            return False
        codec = PASSWORD_ENCODINGS.get(custom.get("password", {}).get("encoding", "utf8"))
        secret = password.encode(codec or "utf-8")
        return _VERIFIERS[custom["algorithm"]](secret, custom["hash"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError):
        return False


def _bcrypt(secret: bytes, value: str) -> bool:
    # bcrypt 4+ reads only $2a$/$2b$; $2y$ (PHP) is the same algorithm under another name.
    normalised = "$2b$" + value[4:] if value.startswith("$2y$") else value
    return bcrypt.checkpw(secret, normalised.encode())


def _argon2(secret: bytes, spec: dict[str, Any]) -> bool:
    try:
        return argon2.PasswordHasher().verify(spec["value"], secret)
    except argon2.exceptions.VerificationError:
        return False


def _salted(secret: bytes, spec: dict[str, Any]) -> bytes:
    salt = spec.get("salt")
    if salt is None:
        return secret
    salt_bytes = _decode(salt["value"], salt.get("encoding", "utf8"))
    return salt_bytes + secret if salt["position"] == "prefix" else secret + salt_bytes


def _plain(algorithm: str) -> Callable[[bytes, dict[str, Any]], bool]:
    def check(secret: bytes, spec: dict[str, Any]) -> bool:
        expected = _decode(spec["value"], spec.get("encoding", "hex"))
        return hmac.compare_digest(_digest(algorithm, _salted(secret, spec)), expected)

    return check


def _hmac(secret: bytes, spec: dict[str, Any]) -> bool:
    key = _decode(spec["key"]["value"], spec["key"].get("encoding", "utf8"))
    actual = hmac.new(key, _salted(secret, spec), _hmac_digest(spec["digest"])).digest()
    return hmac.compare_digest(actual, _decode(spec["value"], spec.get("encoding", "hex")))


def _ldap(secret: bytes, spec: dict[str, Any]) -> bool:
    found = LDAP_RE.match(spec["value"])
    if found is None:
        return False
    scheme, payload = found.group(1).upper(), base64.b64decode(found.group(2))
    salted = scheme not in _LDAP_DIGESTS  # {SSHA}, {SMD5}, ...: the digest, then the salt
    algorithm = _LDAP_DIGESTS[scheme[1:] if salted else scheme]
    size = hashlib.new(algorithm).digest_size
    digest, salt = (payload[:size], payload[size:]) if salted else (payload, b"")
    return hmac.compare_digest(_digest(algorithm, secret + salt), digest)


def _pbkdf2(secret: bytes, spec: dict[str, Any]) -> bool:
    found = PBKDF2_RE.match(spec["value"])
    if found is None:
        return False
    digest, iterations, length, salt, expected = found.groups()
    actual = hashlib.pbkdf2_hmac(digest, secret, _phc_b64(salt), int(iterations), int(length))
    return hmac.compare_digest(actual, _phc_b64(expected))


def _scrypt(secret: bytes, spec: dict[str, Any]) -> bool:
    found = SCRYPT_RE.match(spec["value"])
    if found is None:
        return False
    log_n, r, p, salt, expected = found.groups()
    target = _phc_b64(expected)
    n, r_int, p_int = 2 ** int(log_n), int(r), int(p)
    maxmem = 128 * r_int * (n + p_int + 2) + 1024 * 1024  # room for the cost the hash names
    actual = hashlib.scrypt(
        secret, salt=_phc_b64(salt), n=n, r=r_int, p=p_int, dklen=len(target), maxmem=maxmem
    )
    return hmac.compare_digest(actual, target)


_VERIFIERS: dict[str, Callable[[bytes, dict[str, Any]], bool]] = {
    "argon2": _argon2,
    "bcrypt": lambda secret, spec: _bcrypt(secret, spec["value"]),
    "hmac": _hmac,
    "ldap": _ldap,
    "pbkdf2": _pbkdf2,
    "scrypt": _scrypt,
    **{name: _plain(name) for name in PLAIN_DIGESTS},
}
