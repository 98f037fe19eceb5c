"""Legacy password hashes for every algorithm Auth0 lists for `custom_password_hash`, as a
legacy store would have kept them, all of one password: shared by the sandbox's import
tests and the portal's migration sign-in tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import argon2
import bcrypt
from Crypto.Hash import MD4

PASSWORD = "correct horse battery staple"
SALT = b"pepper-and-salt"


def b64(data: bytes, pad: bool = True) -> str:
    text = base64.b64encode(data).decode()
    return text if pad else text.rstrip("=")


def digest(name: str, data: bytes) -> bytes:
    return MD4.new(data).digest() if name == "md4" else hashlib.new(name, data).digest()


def phc_pbkdf2() -> str:
    key = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), SALT, 1000, 32)
    return f"$pbkdf2-sha256$i=1000,l=32${b64(SALT, False)}${b64(key, False)}"


def phc_scrypt() -> str:
    key = hashlib.scrypt(PASSWORD.encode(), salt=SALT, n=2**10, r=8, p=1, dklen=32)
    return f"$scrypt$ln=10,r=8,p=1${b64(SALT, False)}${b64(key, False)}"


def ldap_ssha() -> str:
    return "{SSHA}" + b64(hashlib.sha1(PASSWORD.encode() + SALT).digest() + SALT)


def salted(name: str, position: str, encoding: str) -> dict[str, Any]:
    data = SALT + PASSWORD.encode() if position == "prefix" else PASSWORD.encode() + SALT
    raw = digest(name, data)
    value = raw.hex() if encoding == "hex" else b64(raw)
    salt = {"value": SALT.decode(), "encoding": "utf8", "position": position}
    return {"algorithm": name, "hash": {"value": value, "encoding": encoding, "salt": salt}}


def hmac_hash() -> dict[str, Any]:
    key = b"legacy-app-key"
    mac = hmac.new(key, PASSWORD.encode() + SALT, "sha256").digest()
    return {
        "algorithm": "hmac",
        "hash": {
            "value": b64(mac),
            "encoding": "base64",
            "digest": "sha256",
            "key": {"value": key.hex(), "encoding": "hex"},
            "salt": {"value": b64(SALT), "encoding": "base64", "position": "suffix"},
        },
    }


def utf8(algorithm: str, value: str) -> dict[str, Any]:
    return {"algorithm": algorithm, "hash": {"value": value, "encoding": "utf8"}}


CASES: dict[str, dict[str, Any]] = {
    "argon2": utf8("argon2", argon2.PasswordHasher(time_cost=1, memory_cost=1024).hash(PASSWORD)),
    "bcrypt": utf8("bcrypt", bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()),
    "hmac": hmac_hash(),
    "ldap": utf8("ldap", ldap_ssha()),
    "ldap-md5": utf8("ldap", "{MD5}" + b64(hashlib.md5(PASSWORD.encode()).digest())),
    "md4": salted("md4", "prefix", "hex"),
    "md5": salted("md5", "suffix", "base64"),
    "sha1": {"algorithm": "sha1", "hash": {"value": hashlib.sha1(PASSWORD.encode()).hexdigest()}},
    "sha256": salted("sha256", "prefix", "base64"),
    "sha512": salted("sha512", "suffix", "hex"),
    "pbkdf2": utf8("pbkdf2", phc_pbkdf2()),
    "scrypt": utf8("scrypt", phc_scrypt()),
}
