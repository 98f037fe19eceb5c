"""A certificate authority and a server certificate for `python -m sandbox serve --tls`.

Tools such as auth0-deploy-cli insist on https. The sandbox makes a small CA of its own
and a leaf certificate signed by it for `localhost`, `127.0.0.1`, `::1` and the host it
serves on; a client trusts the CA (`NODE_EXTRA_CA_CERTS=<dir>/ca.pem` for Node,
`SSL_CERT_FILE` or `verify=` for Python). A CA plus leaf, rather than one self-signed
leaf, because OpenSSL (Node's) refuses a self-signed end-entity certificate used as its
own anchor in some versions, and a CA keeps working when the leaf is remade.

Files are reused while they are valid for at least a day and cover the host, so a
developer's `NODE_EXTRA_CA_CERTS` keeps pointing at the same CA between runs.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
CA_DAYS = 3650
LEAF_DAYS = 365
_MIN_REMAINING = datetime.timedelta(days=1)


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        # The chain (leaf then CA) so clients that only trust the CA can build the path.
        context.load_cert_chain(self.cert, self.key)
        return context


def ensure_certificates(directory: str | Path, host: str = "localhost") -> TlsFiles:
    """The CA and server certificate in `directory`, made or remade when needed."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    names = _names(host)
    ca_key_path = folder / "ca-key.pem"
    if not (_still_valid(files.ca_cert, set()) and ca_key_path.exists()):
        _write_ca(files.ca_cert, ca_key_path)
        files.cert.unlink(missing_ok=True)
    if not _still_valid(files.cert, set(names)):
        _write_leaf(files, ca_key_path, names)
    return files


def _names(host: str) -> list[str]:
    names = list(LOOPBACK_NAMES)
    if host and host not in names and host not in ("0.0.0.0", "::"):  # noqa: S104
        names.append(host)
    return names


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _still_valid(path: Path, names: set[str]) -> bool:
    if not path.exists():
        return False
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError:
        return False
    now = datetime.datetime.now(datetime.UTC)
    if cert.not_valid_after_utc - now < _MIN_REMAINING:
        return False
    if not names:
        return True
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    present = {str(v) for v in san.get_values_for_type(x509.DNSName)}
    present |= {str(v) for v in san.get_values_for_type(x509.IPAddress)}
    return names <= present


def _write_private(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    path.chmod(0o600)


def _write_ca(cert_path: Path, key_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Auth0 sandbox local CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    _write_private(key_path, key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _write_leaf(files: TlsFiles, ca_key_path: Path, names: list[str]) -> None:
    ca_cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=LEAF_DAYS))
        .add_extension(x509.SubjectAlternativeName([_san(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(files.key, key)
    chain = cert.public_bytes(serialization.Encoding.PEM) + files.ca_cert.read_bytes()
    files.cert.write_bytes(chain)


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
