"""Certificates as customers give them to us: read, described, judged, handed to Auth0."""

from __future__ import annotations

import base64
import functools
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from idp_selfservice.certificates import (
    auth0_signing_cert,
    certificate_warnings,
    parse_certificate,
)
from idp_selfservice.errors import CertificateError
from sandbox.mgmt.connection_options import certificate_facts, load_certificate

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@functools.cache
def _rsa_key(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def make_certificate(
    *,
    cn: str = "idp.example.com",
    not_before: datetime = NOW - timedelta(days=365),
    not_after: datetime = NOW + timedelta(days=365),
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None,
    algorithm: hashes.HashAlgorithm | None = None,
) -> x509.Certificate:
    """A self-signed certificate, as IdPs publish them."""
    key = key or _rsa_key(2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, algorithm or hashes.SHA256())
    )


_SHA256_RSA_OID = bytes.fromhex("06092a864886f70d01010b")  # 1.2.840.113549.1.1.11
_SHA1_RSA_OID = bytes.fromhex("06092a864886f70d010105")  # 1.2.840.113549.1.1.5


def sha1_signed(cert: x509.Certificate) -> x509.Certificate:
    """The same certificate labelled sha1WithRSAEncryption.

    OpenSSL here refuses to sign with SHA-1, so we relabel both AlgorithmIdentifiers (same
    length, so the DER stays well formed). The signature no longer verifies, which nothing
    checks: IdP certificates are self-signed and only their key and label matter to us.
    """
    der = der_of(cert)
    assert der.count(_SHA256_RSA_OID) == 2
    return x509.load_der_x509_certificate(der.replace(_SHA256_RSA_OID, _SHA1_RSA_OID))


def pem_of(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def der_of(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def metadata_body(cert: x509.Certificate) -> str:
    """The base64 body wrapped and indented, the way metadata documents carry it."""
    body = base64.b64encode(der_of(cert)).decode()
    return "\n" + "\n".join("          " + body[i : i + 64] for i in range(0, len(body), 64))


def colon_hex(data: bytes) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(data).digest())


# --- reading --------------------------------------------------------------------------


def test_it_reads_a_pem_certificate_and_describes_it() -> None:
    cert = make_certificate(cn="Acme IdP")
    info = parse_certificate(pem_of(cert))
    assert info.subject == "CN=Acme IdP"
    assert info.issuer == "CN=Acme IdP"
    assert info.sha256_fingerprint == colon_hex(der_of(cert))
    assert len(info.sha256_fingerprint) == 32 * 3 - 1
    assert info.not_before == NOW - timedelta(days=365)
    assert info.not_after == NOW + timedelta(days=365)
    assert info.not_after.tzinfo is not None
    assert info.signature_algorithm == "sha256WithRSAEncryption"
    assert (info.key_type, info.key_size) == ("RSA", 2048)
    assert info.der_base64 == base64.b64encode(der_of(cert)).decode()
    assert "\n" not in info.der_base64


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda c: pem_of(c), id="pem-text"),
        pytest.param(lambda c: pem_of(c).encode(), id="pem-bytes"),
        pytest.param(lambda c: der_of(c), id="der-bytes"),
        pytest.param(lambda c: base64.b64encode(der_of(c)).decode(), id="base64-one-line"),
        pytest.param(metadata_body, id="base64-wrapped-indented"),
        pytest.param(lambda c: base64.b64encode(pem_of(c).encode()).decode(), id="base64-of-pem"),
        pytest.param(lambda c: "  \r\n" + pem_of(c).replace("\n", "\r\n") + "\n", id="pem-crlf"),
        pytest.param(lambda c: base64.b64encode(der_of(c)), id="base64-bytes"),
    ],
)
def test_it_reads_every_form_customers_paste(form) -> None:
    cert = make_certificate()
    assert parse_certificate(form(cert)).sha256_fingerprint == colon_hex(der_of(cert))


def test_pem_round_trips_with_64_character_lines() -> None:
    cert = make_certificate()
    info = parse_certificate(der_of(cert))
    pem = info.pem()
    assert pem.startswith("-----BEGIN CERTIFICATE-----\n")
    assert pem.endswith("\n-----END CERTIFICATE-----\n")
    assert all(len(line) <= 64 for line in pem.splitlines())
    assert x509.load_pem_x509_certificate(pem.encode()) == cert
    assert parse_certificate(pem) == info


def test_it_describes_an_ec_key() -> None:
    info = parse_certificate(pem_of(make_certificate(key=ec.generate_private_key(ec.SECP256R1()))))
    assert (info.key_type, info.key_size) == ("EC", 256)
    assert info.signature_algorithm == "ecdsa-with-SHA256"


def test_days_left_counts_whole_days_and_goes_negative_after_expiry() -> None:
    info = parse_certificate(pem_of(make_certificate(not_after=NOW + timedelta(days=10, hours=3))))
    assert info.days_left(NOW) == 10
    assert info.days_left(NOW + timedelta(days=10, hours=4)) == -1


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "it is empty."),
        ("   \n ", "it is empty."),
        ("hello, this is my certificate", "neither a PEM block"),
        (base64.b64encode(b"not a certificate at all").decode(), "not to an X.509 certificate"),
        (
            "-----BEGIN CERTIFICATE-----\nMIIB!!!broken\n-----END CERTIFICATE-----",
            "is damaged",
        ),
        ("-----BEGIN CERTIFICATE-----\nMIIBAAAA\n", "starts with -----BEGIN CERTIFICATE-----"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "neither PEM text nor a DER file"),
        ("A" * 70_000, "far longer than any certificate"),
    ],
)
def test_it_refuses_what_is_not_a_certificate_in_plain_words(value, reason) -> None:
    with pytest.raises(CertificateError) as caught:
        parse_certificate(value)
    message = str(caught.value)
    assert message.startswith("This is not a valid certificate: ")
    assert reason in message
    assert "asn1" not in message.lower() and "ParseError" not in message


def test_it_refuses_a_truncated_certificate() -> None:
    body = base64.b64encode(der_of(make_certificate())).decode()
    with pytest.raises(CertificateError, match="Copy the whole certificate again"):
        parse_certificate(body[: len(body) // 2 // 4 * 4])


def test_it_refuses_a_private_key_and_says_not_to_share_it() -> None:
    pem = (
        _rsa_key(2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with pytest.raises(CertificateError, match=r"private key\. Never share it"):
        parse_certificate(pem)


# --- warnings -------------------------------------------------------------------------


def test_a_healthy_certificate_has_no_warnings() -> None:
    assert certificate_warnings(parse_certificate(pem_of(make_certificate())), NOW) == []


def test_it_warns_about_an_expired_certificate_with_its_date() -> None:
    cert = make_certificate(
        not_before=datetime(2023, 3, 3, tzinfo=UTC), not_after=datetime(2024, 3, 3, tzinfo=UTC)
    )
    [warning] = certificate_warnings(parse_certificate(pem_of(cert)), NOW)
    assert warning.startswith("This certificate expired on 3 Mar 2024.")


def test_it_warns_about_a_certificate_not_yet_valid() -> None:
    cert = make_certificate(not_before=datetime(2025, 7, 14, tzinfo=UTC))
    [warning] = certificate_warnings(parse_certificate(pem_of(cert)), NOW)
    assert warning.startswith("This certificate is not valid until 14 Jul 2025")


@pytest.mark.parametrize(
    ("left", "phrase"),
    [
        (timedelta(days=29, hours=23), "expires in 29 days (on 1 Jul 2025)"),
        (timedelta(days=1, hours=2), "expires in 1 day "),
        (timedelta(hours=5), "expires within a day"),
    ],
)
def test_it_warns_about_a_certificate_expiring_within_30_days(left, phrase) -> None:
    [warning] = certificate_warnings(
        parse_certificate(pem_of(make_certificate(not_after=NOW + left))), NOW
    )
    assert phrase in warning


def test_thirty_one_days_left_is_not_a_warning_yet() -> None:
    info = parse_certificate(pem_of(make_certificate(not_after=NOW + timedelta(days=31))))
    assert certificate_warnings(info, NOW) == []


def test_it_warns_about_a_sha1_signed_certificate() -> None:
    info = parse_certificate(pem_of(sha1_signed(make_certificate())))
    assert info.signature_algorithm == "sha1WithRSAEncryption"
    [warning] = certificate_warnings(info, NOW)
    assert warning.startswith("This certificate is signed with SHA-1, which is no longer")


def test_it_warns_about_a_short_rsa_key() -> None:
    info = parse_certificate(pem_of(make_certificate(key=_rsa_key(1024))))
    [warning] = certificate_warnings(info, NOW)
    assert warning.startswith("This certificate's RSA key is only 1024 bits; 2048 bits")


def test_it_warns_about_a_short_ec_key() -> None:
    cert = make_certificate(key=ec.generate_private_key(ec.SECP192R1()))
    [warning] = certificate_warnings(parse_certificate(pem_of(cert)), NOW)
    assert warning.startswith("This certificate's EC key is only 192 bits; 256 bits")


def test_warnings_add_up() -> None:
    cert = sha1_signed(make_certificate(key=_rsa_key(1024), not_after=NOW - timedelta(days=1)))
    warnings = certificate_warnings(parse_certificate(pem_of(cert)), NOW)
    assert [w.split()[:4] for w in warnings] == [
        ["This", "certificate", "expired", "on"],
        ["This", "certificate", "is", "signed"],
        ["This", "certificate's", "RSA", "key"],
    ]


# --- Auth0's signingCert --------------------------------------------------------------


def test_auth0_signing_cert_is_base64_of_the_pem_text() -> None:
    info = parse_certificate(metadata_body(make_certificate()))
    value = auth0_signing_cert(info)
    assert base64.b64decode(value).decode() == info.pem()
    assert parse_certificate(value) == info


def test_the_sandbox_reads_our_signing_cert_as_auth0_would() -> None:
    cert = make_certificate(cn="Acme IdP")
    value = auth0_signing_cert(parse_certificate(pem_of(cert)))
    assert load_certificate(value) == cert
    facts = certificate_facts(value)
    assert facts["cert"] == base64.b64encode(der_of(cert)).decode()
    assert facts["subject"] == "CN=Acme IdP"
