"""Loopback servers, TLS material and fake DNS for the safe-fetcher tests.

Every server records each TCP connection and each request, so a test can prove that a
refused URL never reached it. Nothing here listens beyond 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import gzip
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True)
class Hit:
    path: str
    host: str | None


class RecordingServer:
    """An HTTP(S) server on 127.0.0.1 answering from `routes` (path -> writer); 404 otherwise."""

    def __init__(self, routes: dict[str, Route] | None = None, tls: ssl.SSLContext | None = None):
        self.routes: dict[str, Route] = dict(routes or {})
        self.connections = 0
        self.hits: list[Hit] = []
        self.server_names: list[str | None] = []
        self.stopping = threading.Event()
        self._tls = tls
        if tls is not None:
            tls.sni_callback = self._record_sni
        self._httpd = _Httpd(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def origin(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def wrap(self, sock: socket.socket) -> socket.socket:
        self.connections += 1
        if self._tls is None:
            return sock
        return self._tls.wrap_socket(sock, server_side=True)

    def _record_sni(self, _sock: Any, name: str | None, _ctx: Any) -> None:
        self.server_names.append(name)


class _Httpd(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: RecordingServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            wrapped = self.owner.wrap(request)
        except (ssl.SSLError, OSError):
            return  # the client refused our certificate: no request arrives
        super().finish_request(wrapped, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that give up early (timeouts, size caps) are the point of the tests


class _Handler(BaseHTTPRequestHandler):
    server: _Httpd
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        owner = self.server.owner
        owner.hits.append(Hit(path=self.path, host=self.headers.get("Host")))
        route = owner.routes.get(self.path.split("?", 1)[0])
        (route or respond(b"not here", status=404))(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


# --- Routes --------------------------------------------------------------------------


def respond(
    body: bytes,
    *,
    status: int = 200,
    content_type: str = "text/plain",
    headers: dict[str, str] | None = None,
) -> Route:
    def write(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        for name, value in (headers or {"Content-Length": str(len(body))}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    return write


def redirect(location: str, status: int = 302) -> Route:
    return respond(b"", status=status, headers={"Location": location, "Content-Length": "0"})


def gzipped(body: bytes) -> Route:
    data = gzip.compress(body)
    return respond(data, headers={"Content-Encoding": "gzip", "Content-Length": str(len(data))})


def chunked(total: int, *, chunk: int = 8192, pause: float = 0.0) -> Route:
    """`total` bytes in chunks, without a Content-Length: only counting can stop it."""

    def write(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        stopping = handler.server.owner.stopping  # type: ignore[attr-defined]
        sent = 0
        while sent < total and not stopping.is_set():
            piece = b"x" * min(chunk, total - sent)
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            handler.wfile.flush()
            sent += len(piece)
            if pause:
                stopping.wait(pause)
        handler.wfile.write(b"0\r\n\r\n")

    return write


def stall(seconds: float) -> Route:
    """Say nothing for `seconds` (or until the server stops), then answer."""

    def write(handler: BaseHTTPRequestHandler) -> None:
        handler.server.owner.stopping.wait(seconds)  # type: ignore[attr-defined]
        respond(b"late")(handler)

    return write


# --- DNS -----------------------------------------------------------------------------


@dataclass
class FakeDns:
    """A resolver answering from a table; records every question."""

    answers: dict[str, list[str]]
    questions: list[tuple[str, int]] = field(default_factory=list)

    def __call__(self, host: str, port: int) -> list[str]:
        self.questions.append((host, port))
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.answers[host])


def loopback_only(attempts: list[tuple[str, int]]) -> Callable[..., socket.socket]:
    """A socket.create_connection that records every attempt and never leaves loopback."""
    real = socket.create_connection

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        attempts.append((str(address[0]), int(address[1])))
        if not ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError("the tests never connect beyond loopback")
        return real(address, *args, **kwargs)

    return create_connection


# --- TLS -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsMaterial:
    """A throwaway CA and a way to issue server contexts for any host names."""

    ca_pem: str
    directory: Path
    _ca_key: ec.EllipticCurvePrivateKey
    _ca_cert: x509.Certificate

    def client_context(self) -> ssl.SSLContext:
        """What production builds (verification and hostname checks on), trusting our CA."""
        return ssl.create_default_context(cadata=self.ca_pem)

    def server_context(self, *names: str) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _leaf(names, key.public_key(), self._ca_key, self._ca_cert.subject)
        stem = self.directory / "-".join(names)
        stem.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        stem.with_suffix(".key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(stem.with_suffix(".crt"), stem.with_suffix(".key"))
        return context


def make_tls_material(directory: Path) -> TlsMaterial:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fetch tests CA")])
    now = dt.datetime.now(dt.UTC)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = ca_cert.public_bytes(serialization.Encoding.PEM).decode()
    return TlsMaterial(pem, directory, ca_key, ca_cert)


def _leaf(
    names: tuple[str, ...],
    public_key: ec.EllipticCurvePublicKey,
    ca_key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
