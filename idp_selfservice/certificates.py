"""X.509 signing certificates an identity provider gives us, read and judged for a person.

A customer pastes a certificate (PEM, or the bare base64 found in metadata) or it arrives
inside a metadata document. We show what it is (subject, fingerprint, validity), warn about
what will hurt later (expiry, SHA-1, short keys) and turn it into the value Auth0 expects.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from idp_selfservice.errors import CertificateError

# Names a person reads ("emailAddress=info@okta.com"), not dotted OIDs, for what RFC 4514
# has no short label for.
_READABLE_NAMES = {NameOID.EMAIL_ADDRESS: "emailAddress"}

# A certificate is a few KB; anything far bigger is not one, and we don't decode it.
MAX_CERTIFICATE_CHARS = 64 * 1024
# Warn this many days ahead of expiry (the admin emails start at 30 too).
EXPIRY_WARNING_DAYS = 30
MIN_RSA_BITS = 2048
MIN_EC_BITS = 256

_PEM_BLOCK = re.compile(
    r"-----BEGIN CERTIFICATE-----(?P<body>.*?)-----END CERTIFICATE-----", re.DOTALL
)
_WEAK_HASHES = ("sha1", "md5", "md2")


@dataclass(frozen=True)
class CertificateInfo:
    """What the portal shows and stores about one certificate."""

    subject: str
    issuer: str
    sha256_fingerprint: str
    not_before: datetime
    not_after: datetime
    signature_algorithm: str
    key_type: str
    key_size: int
    der_base64: str

    def pem(self) -> str:
        """The certificate as PEM text, 64 characters a line."""
        lines = [self.der_base64[i : i + 64] for i in range(0, len(self.der_base64), 64)]
        return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"

    def days_left(self, now: datetime) -> int:
        """Whole days until expiry; negative once expired (floored, so -1 just after)."""
        return (self.not_after - now).days

    def is_current(self, now: datetime) -> bool:
        return self.not_before <= now <= self.not_after


def parse_certificate(value: str | bytes) -> CertificateInfo:
    """Read a certificate given as PEM, base64 (with or without line breaks) or DER bytes.

    Raises CertificateError with a sentence the person can act on.
    """
    return _describe(_load(value))


def _load(value: str | bytes) -> x509.Certificate:
    if isinstance(value, bytes):
        if not value.lstrip().startswith(b"-----BEGIN"):
            try:
                return x509.load_der_x509_certificate(value)
            except ValueError:
                pass  # not DER: maybe base64 or PEM text in bytes
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            raise _refused("it is neither PEM text nor a DER file.") from None
    return _load_text(value)


def _load_text(value: str) -> x509.Certificate:
    text = value.strip()
    if not text:
        raise _refused("it is empty.")
    if len(text) > MAX_CERTIFICATE_CHARS:
        raise _refused("it is far longer than any certificate.")
    if "PRIVATE KEY-----" in text:
        raise _refused(
            "this is a private key. Never share it; paste the certificate "
            "(the block that starts with -----BEGIN CERTIFICATE-----) instead."
        )
    if text.startswith("-----BEGIN"):
        return _load_pem(text)
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _refused(
            "it is neither a PEM block (-----BEGIN CERTIFICATE-----) nor base64 text."
        ) from None
    if raw.lstrip().startswith(b"-----BEGIN"):
        # Base64 of a PEM text: what Auth0 itself stores as signingCert.
        return _load_pem(raw.decode("ascii", errors="replace"))
    return _load_der(raw)


def _load_pem(text: str) -> x509.Certificate:
    match = _PEM_BLOCK.search(text)
    if match is None:
        raise _refused("a PEM certificate starts with -----BEGIN CERTIFICATE-----.")
    try:
        raw = base64.b64decode("".join(match.group("body").split()), validate=True)
    except (binascii.Error, ValueError):
        raise _refused("the text between the BEGIN and END lines is damaged.") from None
    return _load_der(raw)


def _load_der(raw: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(raw)
    except ValueError:
        raise _refused(
            "the text decodes, but not to an X.509 certificate. Copy the whole "
            "certificate again, every line of it."
        ) from None


def _refused(reason: str) -> CertificateError:
    return CertificateError(f"This is not a valid certificate: {reason}")


def _describe(cert: x509.Certificate) -> CertificateInfo:
    der = cert.public_bytes(serialization.Encoding.DER)
    key_type, key_size = _key(cert)
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(_READABLE_NAMES),
        issuer=cert.issuer.rfc4514_string(_READABLE_NAMES),
        sha256_fingerprint=":".join(f"{b:02X}" for b in hashlib.sha256(der).digest()),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        signature_algorithm=_signature_algorithm(cert),
        key_type=key_type,
        key_size=key_size,
        der_base64=base64.b64encode(der).decode("ascii"),
    )


def _signature_algorithm(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    name = oid._name
    return oid.dotted_string if not name or name == "Unknown OID" else name


def _key(cert: x509.Certificate) -> tuple[str, int]:
    try:
        key = cert.public_key()
    except ValueError:  # an algorithm cryptography cannot load
        return "unknown", 0
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return type(key).__name__, 0


def format_date(moment: datetime) -> str:
    """'3 Mar 2024': unambiguous for readers on both sides of the Atlantic."""
    return f"{moment.day} {moment:%b %Y}"


def certificate_warnings(info: CertificateInfo, now: datetime | None = None) -> list[str]:
    """Plain sentences about what will break or is weak; empty when all is well."""
    now = now or datetime.now(UTC)
    warnings = _validity_warnings(info, now)
    algorithm = info.signature_algorithm.lower()
    weak = next((h for h in _WEAK_HASHES if h in algorithm), None)
    if weak:
        warnings.append(
            f"This certificate is signed with {weak.upper().replace('SHA', 'SHA-')}, which is "
            "no longer considered safe. Ask your identity provider for a SHA-256 certificate."
        )
    minimum = {"RSA": MIN_RSA_BITS, "EC": MIN_EC_BITS}.get(info.key_type)
    if minimum and info.key_size < minimum:
        warnings.append(
            f"This certificate's {info.key_type} key is only {info.key_size} bits; "
            f"{minimum} bits or more is expected. Ask your identity provider for a stronger key."
        )
    return warnings


def _validity_warnings(info: CertificateInfo, now: datetime) -> list[str]:
    if now > info.not_after:
        return [
            f"This certificate expired on {format_date(info.not_after)}. Sign-ins signed with "
            "it will fail: ask your identity provider for its current certificate or metadata."
        ]
    if now < info.not_before:
        return [
            f"This certificate is not valid until {format_date(info.not_before)}; sign-ins "
            "signed with it fail before then."
        ]
    left = info.not_after - now
    if left < timedelta(days=EXPIRY_WARNING_DAYS):
        days = left.days
        when = "within a day" if days < 1 else f"in {days} day{'s' if days != 1 else ''}"
        return [
            f"This certificate expires {when} (on {format_date(info.not_after)}). Plan the "
            "switch to a new certificate with your identity provider now."
        ]
    return []


def auth0_signing_cert(info: CertificateInfo) -> str:
    """The value for a samlp connection's `signingCert` option: base64 of the PEM text.

    That is the form Auth0 stores and returns; its API also accepts it on write.
    """
    return base64.b64encode(info.pem().encode("ascii")).decode("ascii")
