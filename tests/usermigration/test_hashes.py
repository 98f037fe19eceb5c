"""Password hash format checks: one usable and one refused hash per Auth0 algorithm."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import argon2
import bcrypt
import pytest
from Crypto.Hash import MD4

from orgs.usermigration.hashes import ALGORITHMS, bcrypt_problem, hash_problem

PASSWORD = b"correct horse battery staple"
SALT = b"NaCl-salt"


def b64(data: bytes) -> str:
    """PHC's base64: standard alphabet, no padding."""
    return base64.b64encode(data).decode().rstrip("=")


def custom(algorithm: str, value: str, encoding: str = "utf8", **extra: Any) -> dict[str, Any]:
    return {"algorithm": algorithm, "hash": {"value": value, "encoding": encoding, **extra}}


def bcrypt_hash() -> str:
    return bcrypt.hashpw(PASSWORD, bcrypt.gensalt(rounds=4)).decode()


def pbkdf2_hash(digest: str = "sha256", length: int = 32) -> str:
    derived = hashlib.pbkdf2_hmac(digest, PASSWORD, SALT, 1000, dklen=length)
    return f"$pbkdf2-{digest}$i=1000,l={length}${b64(SALT)}${b64(derived)}"


def scrypt_hash() -> str:
    derived = hashlib.scrypt(PASSWORD, salt=SALT, n=2**10, r=8, p=1, dklen=32)
    return f"$scrypt$ln=10,r=8,p=1${b64(SALT)}${b64(derived)}"


def ssha_hash() -> str:
    digest = hashlib.sha1(PASSWORD + SALT).digest()
    return "{SSHA}" + base64.b64encode(digest + SALT).decode()


def md4_hex() -> str:
    return MD4.new(PASSWORD).hexdigest()


VALID: list[tuple[str, dict[str, Any]]] = [
    ("argon2", custom("argon2", argon2.PasswordHasher(time_cost=1, memory_cost=64).hash("pw"))),
    ("bcrypt", custom("bcrypt", bcrypt_hash())),
    ("pbkdf2", custom("pbkdf2", pbkdf2_hash())),
    ("pbkdf2 sha512", custom("pbkdf2", pbkdf2_hash("sha512", 64))),
    ("scrypt", custom("scrypt", scrypt_hash())),
    ("ldap ssha", custom("ldap", ssha_hash())),
    (
        "ldap sha",
        custom("ldap", "{SHA}" + base64.b64encode(hashlib.sha1(PASSWORD).digest()).decode()),
    ),
    ("md4", custom("md4", md4_hex(), "hex")),
    ("md5", custom("md5", hashlib.md5(PASSWORD).hexdigest(), "hex")),
    ("md5 upper hex", custom("md5", hashlib.md5(PASSWORD).hexdigest().upper(), "hex")),
    (
        "sha1 base64",
        custom("sha1", base64.b64encode(hashlib.sha1(PASSWORD).digest()).decode(), "base64"),
    ),
    (
        "sha256 salted",
        custom(
            "sha256",
            hashlib.sha256(PASSWORD + SALT).hexdigest(),
            "hex",
            salt={"value": SALT.decode(), "encoding": "utf8", "position": "suffix"},
        ),
    ),
    (
        "sha512 url-safe base64",
        custom(
            "sha512", base64.urlsafe_b64encode(hashlib.sha512(PASSWORD).digest()).decode(), "base64"
        ),
    ),
    (
        "hmac",
        custom(
            "hmac",
            hmac.new(b"k3y", PASSWORD, "sha256").hexdigest(),
            "hex",
            digest="sha256",
            key={"value": "k3y", "encoding": "utf8"},
        ),
    ),
    (
        "password encoding",
        {
            **custom("md5", hashlib.md5(PASSWORD).hexdigest(), "hex"),
            "password": {"encoding": "latin1"},
        },
    ),
]


@pytest.mark.parametrize(("case", "value"), VALID, ids=[case for case, _ in VALID])
def test_it_accepts_a_well_formed_hash(case: str, value: dict[str, Any]) -> None:
    assert hash_problem(value) is None


def test_every_auth0_algorithm_has_a_valid_case() -> None:
    assert {value["algorithm"] for _, value in VALID} == set(ALGORITHMS)


INVALID: list[tuple[str, Any, str, str]] = [
    ("not an object", "md5:abc", "custom_password_hash", "must be an object"),
    ("no algorithm", {"hash": {"value": "x"}}, "custom_password_hash.algorithm", "no algorithm"),
    (
        "unknown algorithm",
        custom("whirlpool", "abc"),
        "custom_password_hash.algorithm",
        "The algorithm 'whirlpool' is not one Auth0 can import: use argon2, bcrypt,",
    ),
    ("no hash object", {"algorithm": "md5"}, "custom_password_hash.hash", "must be an object"),
    ("empty value", custom("md5", "", "hex"), "custom_password_hash.hash.value", "no value"),
    (
        "unknown encoding",
        custom("md5", "abc", "base32"),
        "custom_password_hash.hash.encoding",
        "'base32' is not one Auth0 knows",
    ),
    (
        "argon2 not PHC",
        custom("argon2", "argon2:abc"),
        "custom_password_hash.hash.value",
        "The hash is not an argon2 hash: expected a PHC string",
    ),
    (
        "bcrypt truncated",
        custom("bcrypt", bcrypt_hash()[:-1]),
        "custom_password_hash.hash.value",
        "The hash is not a bcrypt hash: expected $2a$, $2b$ or $2y$, a two-digit cost and 53 "
        "characters.",
    ),
    (
        "bcrypt as hex",
        custom("bcrypt", bcrypt_hash(), "hex"),
        "custom_password_hash.hash.encoding",
        "its encoding must be utf8",
    ),
    (
        "bcrypt with a salt",
        custom("bcrypt", bcrypt_hash(), salt={"value": "x", "position": "prefix"}),
        "custom_password_hash.hash.salt",
        "holds its salt inside its value",
    ),
    (
        "pbkdf2 unknown digest",
        custom("pbkdf2", pbkdf2_hash().replace("pbkdf2-sha256", "pbkdf2-foo")),
        "custom_password_hash.hash.value",
        "The hash is not a PBKDF2 hash",
    ),
    (
        "pbkdf2 wrong key length",
        custom("pbkdf2", pbkdf2_hash().replace("l=32", "l=64")),
        "custom_password_hash.hash.value",
        "The hash is not a PBKDF2 hash",
    ),
    (
        "scrypt without parameters",
        custom("scrypt", f"$scrypt${b64(SALT)}${b64(b'x' * 32)}"),
        "custom_password_hash.hash.value",
        "The hash is not an scrypt hash",
    ),
    (
        "ldap unknown scheme",
        custom("ldap", "{CRYPT}abcdefgh"),
        "custom_password_hash.hash.value",
        "The hash is not an LDAP hash: expected an RFC 2307 value",
    ),
    (
        "ldap sha of the wrong length",
        custom("ldap", "{SHA}" + base64.b64encode(b"short").decode()),
        "custom_password_hash.hash.value",
        "The hash is not an LDAP hash",
    ),
    (
        "md4 too short",
        custom("md4", md4_hex()[:-2], "hex"),
        "custom_password_hash.hash.value",
        "The hash is not a valid md4 hash: expected 16 bytes (32 hex characters), found 15.",
    ),
    (
        "md5 not hex",
        custom("md5", "z" * 32, "hex"),
        "custom_password_hash.hash.value",
        "The hash is not valid hex.",
    ),
    (
        "sha1 as utf8",
        custom("sha1", hashlib.sha1(PASSWORD).hexdigest(), "utf8"),
        "custom_password_hash.hash.encoding",
        "A sha1 hash must be given as hex or base64, not utf8.",
    ),
    (
        "sha256 given a sha1",
        custom("sha256", hashlib.sha1(PASSWORD).hexdigest(), "hex"),
        "custom_password_hash.hash.value",
        "expected 32 bytes",
    ),
    (
        "sha512 bad base64",
        custom("sha512", "not base64!", "base64"),
        "custom_password_hash.hash.value",
        "The hash is not valid base64.",
    ),
    (
        "salt without position",
        custom("md5", hashlib.md5(PASSWORD).hexdigest(), "hex", salt={"value": "x"}),
        "custom_password_hash.hash.salt.position",
        "position prefix or suffix",
    ),
    (
        "salt of an unknown encoding",
        custom(
            "md5",
            hashlib.md5(PASSWORD).hexdigest(),
            "hex",
            salt={"value": "x", "encoding": "rot13", "position": "prefix"},
        ),
        "custom_password_hash.hash.salt.encoding",
        "'rot13' is not one Auth0 knows",
    ),
    (
        "hmac without digest",
        custom("hmac", "00" * 32, "hex", key={"value": "k", "encoding": "utf8"}),
        "custom_password_hash.hash.digest",
        "An HMAC hash needs its digest",
    ),
    (
        "hmac without key",
        custom("hmac", "00" * 32, "hex", digest="sha256"),
        "custom_password_hash.hash.key",
        "An HMAC hash needs its key",
    ),
    (
        "hmac of the wrong length",
        custom("hmac", "00" * 20, "hex", digest="sha256", key={"value": "k", "encoding": "utf8"}),
        "custom_password_hash.hash.value",
        "The hash is not a valid HMAC-sha256 hash: expected 32 bytes",
    ),
    (
        "password encoding unknown",
        {
            **custom("md5", hashlib.md5(PASSWORD).hexdigest(), "hex"),
            "password": {"encoding": "ebcdic"},
        },
        "custom_password_hash.password.encoding",
        "'ebcdic' is not one Auth0 knows",
    ),
    (
        "unknown property",
        {**custom("md5", hashlib.md5(PASSWORD).hexdigest(), "hex"), "rounds": 3},
        "custom_password_hash.rounds",
        "which Auth0 does not take",
    ),
]


@pytest.mark.parametrize(
    ("case", "value", "path", "message"), INVALID, ids=[case[0] for case in INVALID]
)
def test_it_refuses_a_hash_auth0_would_refuse(
    case: str, value: Any, path: str, message: str
) -> None:
    problem = hash_problem(value)

    assert problem is not None
    assert problem[0] == path
    assert message in problem[1]


def test_plain_password_hash_takes_a_bcrypt_hash() -> None:
    assert bcrypt_problem(bcrypt_hash()) is None
    assert bcrypt_problem(bcrypt_hash().replace("$2b$", "$2y$")) is None


@pytest.mark.parametrize("value", ["", "$1$abc$def", hashlib.md5(PASSWORD).hexdigest(), 42, None])
def test_plain_password_hash_refuses_anything_else(value: Any) -> None:
    assert bcrypt_problem(value) == (
        "password_hash",
        "The hash is not a bcrypt hash: expected $2a$, $2b$ or $2y$, a two-digit cost and 53 "
        "characters.",
    )
