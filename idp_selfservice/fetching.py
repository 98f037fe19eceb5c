"""Safe fetching of every URL a customer gives us (SAML metadata, OIDC discovery, JWKS).

A URL typed by a customer asks our server to make a request on their behalf (SSRF): at the
cloud metadata service, an admin port on loopback, a host on our private network. `fetch`
refuses all of that, and says so in plain words (`FetchRefused`):

1. We parse the URL once, ourselves. Only https, and no user name or password in it. A host
   written as a number in any spelling inet_aton accepts (`2130706433`, `0x7f000001`,
   `0177.0.0.1`, `127.1`) is read as the IPv4 address it is and never sent to DNS; as in the
   WHATWG URL standard, a host whose last label is numeric must be a valid IPv4 address.
2. A host name is resolved once. Every answer must be a public address
   (`is_forbidden_address`): one bad answer refuses the URL, so DNS answering a public
   address first and a private one second does not get through.
3. We connect to the checked address itself, never to the name, so DNS cannot change its
   answer between the check and the connection (rebinding). httpx gets `https://<ip>:<port>/...`
   with the `Host` header set to the original host and the `sni_hostname` request extension
   set to it; httpcore passes that as `server_hostname` to `SSLContext.wrap_socket`, and with
   `check_hostname` on (the default context) the certificate is verified against the original
   host name, not the IP (the tests prove both: a certificate for another name is refused).
   `trust_env=False`, so no proxy from the environment sits in between, and a fresh client per
   request, so a connection opened for one host name is never reused for another.
4. Redirects are followed by hand (at most 5), each target going through 1-3 again.
5. The body is read streaming and stopped at `max_bytes`, counted after decoding gzip or
   deflate so a compression bomb stops too; a Content-Length over the cap is refused first.
6. Each network step is bounded by the timeout, and so is the whole fetch (DNS, redirects,
   body): one deadline of the same length.

`settings.IDP_FETCH_ALLOWED_ORIGINS` lists origins (the sandbox in development) exempt from
the https and address rules; a redirect from one of them elsewhere is checked normally.
Logs name the origin only: never a path, query string, user name or body.
"""

from __future__ import annotations

import functools
import logging
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from urllib.parse import urljoin, urlsplit

import certifi
import httpx
from django.conf import settings

from idp_selfservice.errors import FetchRefused

logger = logging.getLogger(__name__)

Resolver = Callable[[str, int], list[str]]
IPAddress = IPv4Address | IPv6Address

MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
USER_AGENT = "org-admin-portal-idp-fetcher/1"

# Tests set this to a context trusting their own CA; production leaves it None.
_TEST_TLS_CONTEXT: ssl.SSLContext | None = None

_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_MAX_URL_LENGTH = 2048
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
_NUMERIC_LABEL = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")
_NAME_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")

_SHARED_ADDRESS_SPACE = ip_network("100.64.0.0/10")
_BROADCAST = IPv4Address("255.255.255.255")
_IPV4_COMPATIBLE = ip_network("::/96")
_NAT64 = (ip_network("64:ff9b::/96"), ip_network("64:ff9b:1::/48"))
_AWS_IPV6_METADATA = IPv6Address("fd00:ec2::254")

_NOT_A_URL = "This is not a web address we can read. Give the full address, starting with https://."
_USERINFO = "The address must not contain a user name or password."


@dataclass(frozen=True)
class Fetched:
    url: str  # final URL after redirects
    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class _Target:
    """One URL, parsed: what we check, where we connect, what we put on the request line."""

    url: str
    scheme: str
    host: str  # lowercase ASCII name, or an IP address's canonical text (no brackets)
    port: int
    address: IPAddress | None  # set when the URL names an IP address, in any spelling
    path: str  # path and query string

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{_url_host(self.host)}:{self.port}"

    @property
    def host_header(self) -> str:
        host = _url_host(self.host)
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answers for `host`, in its order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def fetch(
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    accept: str | None = None,
    resolver: Resolver | None = None,
    timeout: float | None = None,
) -> Fetched:
    """GET `url` under the rules in the module docstring, or raise FetchRefused."""
    seconds = float(settings.IDP_FETCH_TIMEOUT if timeout is None else timeout)
    hops: list[str] = [url]
    try:
        return _follow(hops, _Deadline(seconds), resolver or system_resolver, accept, max_bytes)
    except FetchRefused as exc:
        logger.info("Refused to fetch from %s: %s", _origin_for_log(hops[-1]), exc)
        raise


def is_forbidden_address(address: IPAddress) -> bool:
    """True when `address` may reach something other than the public internet."""
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and is_forbidden_address(embedded):
            return True
        if address.scope_id or address.is_site_local or address == _AWS_IPV6_METADATA:
            return True
    elif address in _SHARED_ADDRESS_SPACE or address == _BROADCAST:
        return True
    return (
        not address.is_global
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def is_allowed_origin(url: str) -> bool:
    """True when `url`'s origin is in settings.IDP_FETCH_ALLOWED_ORIGINS (the dev sandbox)."""
    try:
        return _parse_url(url).origin in _allowed_origins()
    except FetchRefused:
        return False


def _follow(
    hops: list[str], deadline: _Deadline, resolver: Resolver, accept: str | None, max_bytes: int
) -> Fetched:
    for _ in range(MAX_REDIRECTS + 1):
        target = _parse_url(hops[-1])
        allowed = target.origin in _allowed_origins()
        if not allowed and target.scheme != "https":
            raise FetchRefused("Only https:// addresses can be used.")
        addresses = _checked_addresses(target, allowed, resolver, deadline)
        answer = _request_any(target, addresses, deadline, accept, max_bytes)
        if isinstance(answer, Fetched):
            return answer
        hops.append(urljoin(target.url, answer))
    raise FetchRefused(f"The address redirected more than {MAX_REDIRECTS} times.")


# --- URLs and hosts ------------------------------------------------------------------


def _parse_url(url: str) -> _Target:
    text = url.strip() if isinstance(url, str) else ""
    if not text or len(text) > _MAX_URL_LENGTH or _UNSAFE_CHARS.search(text):
        raise FetchRefused(_NOT_A_URL)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise FetchRefused(_NOT_A_URL) from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.netloc:
        raise FetchRefused(_NOT_A_URL)
    if "@" in parts.netloc:
        raise FetchRefused(_USERINFO)
    host, address = _parse_host(parts.netloc, parts.hostname)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    port = _DEFAULT_PORTS[scheme] if port is None else port
    return _Target(text, scheme, host, port, address, path)


def _parse_host(netloc: str, hostname: str | None) -> tuple[str, IPAddress | None]:
    if not hostname:
        raise FetchRefused(_NOT_A_URL)
    if netloc.startswith("["):
        try:
            v6 = IPv6Address(hostname)
        except ValueError:
            raise FetchRefused(_NOT_A_URL) from None
        return str(v6), v6
    name = hostname.removesuffix(".")
    labels = name.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        # A numeric host is an IPv4 address however it is spelled; never a name for DNS.
        v4 = _inet_aton(labels)
        if v4 is None:
            raise FetchRefused(f"{hostname} is not a valid address.")
        return str(v4), v4
    return _ascii_name(name), None


def _inet_aton(labels: list[str]) -> IPv4Address | None:
    """Read a numeric host as inet_aton does: 1-4 parts, decimal, 0x hex or 0 octal."""
    if len(labels) > 4:
        return None
    values: list[int] = []
    for label in labels:
        if re.fullmatch(r"0[xX][0-9a-fA-F]*", label):
            values.append(int(label[2:] or "0", 16))
        elif re.fullmatch(r"0[0-7]*", label):
            values.append(int(label, 8))
        elif re.fullmatch(r"[1-9][0-9]*", label) and len(label) <= 10:
            values.append(int(label))
        else:
            return None
    *head, last = values
    if any(value > 255 for value in head) or last >= 256 ** (4 - len(head)):
        return None
    number = sum(value << (8 * (3 - index)) for index, value in enumerate(head)) + last
    return IPv4Address(number)


def _ascii_name(name: str) -> str:
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise FetchRefused(_NOT_A_URL) from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_NAME_LABEL.fullmatch(label) for label in labels):
        raise FetchRefused(_NOT_A_URL)
    return ascii_name


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _allowed_origins() -> frozenset[str]:
    origins: set[str] = set()
    for entry in settings.IDP_FETCH_ALLOWED_ORIGINS:
        try:
            origins.add(_parse_url(entry).origin)
        except FetchRefused:
            logger.warning("IDP_FETCH_ALLOWED_ORIGINS: %r is not an origin; ignored", entry)
    return frozenset(origins)


def _origin_for_log(url: str) -> str:
    try:
        return _parse_url(url).origin
    except FetchRefused:
        return "an unreadable address"


# --- Addresses -----------------------------------------------------------------------


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, -compatible, 6to4 or NAT64 IPv6 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _IPV4_COMPATIBLE or any(address in network for network in _NAT64):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _checked_addresses(
    target: _Target, allowed: bool, resolver: Resolver, deadline: _Deadline
) -> list[IPAddress]:
    if target.address is not None:
        addresses: list[IPAddress] = [target.address]
    else:
        addresses = _resolve(target, resolver, deadline)
    if not allowed and any(is_forbidden_address(address) for address in addresses):
        logger.info("%s resolves to a forbidden address: %s", target.host, addresses)
        raise FetchRefused(
            f"{target.host} points to an internal address, which we do not fetch from."
        )
    return addresses


def _resolve(target: _Target, resolver: Resolver, deadline: _Deadline) -> list[IPAddress]:
    """Ask the resolver once, within the deadline (getaddrinfo itself has no timeout)."""
    answers: list[list[str]] = []

    def run() -> None:
        try:
            answers.append(list(resolver(target.host, target.port)))
        except Exception:
            answers.append([])

    worker = threading.Thread(target=run, name="idp-fetch-resolve", daemon=True)
    worker.start()
    worker.join(deadline.left(target))
    if worker.is_alive():
        raise _timed_out(target, deadline)
    try:
        addresses = [ip_address(text) for text in (answers[0] if answers else [])]
    except ValueError:
        addresses = []
    if not addresses:
        raise FetchRefused(f"We could not find the server {target.host}.")
    return addresses


# --- Requests ------------------------------------------------------------------------


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def left(self, target: _Target) -> float:
        """Seconds left, or FetchRefused when none are."""
        remaining = self._end - time.monotonic()
        if remaining <= 0:
            raise _timed_out(target, self)
        return remaining


def _timed_out(target: _Target, deadline: _Deadline) -> FetchRefused:
    return FetchRefused(f"{target.host} did not answer within {deadline.seconds:g} seconds.")


@functools.cache
def _default_tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


def _tls_context() -> ssl.SSLContext:
    return _TEST_TLS_CONTEXT or _default_tls_context()


def _request_any(
    target: _Target,
    addresses: list[IPAddress],
    deadline: _Deadline,
    accept: str | None,
    max_bytes: int,
) -> Fetched | str:
    """The document, or a redirect's Location; trying each checked address in turn."""
    for address in addresses:
        try:
            return _request(target, address, deadline, accept, max_bytes)
        except httpx.TimeoutException:
            raise _timed_out(target, deadline) from None
        except httpx.ConnectError as exc:
            tls_failure = _tls_failure(exc)
            if tls_failure is not None:
                raise FetchRefused(_tls_message(target, tls_failure)) from None
        except httpx.TransportError:
            raise FetchRefused(
                f"The connection to {target.host} broke off before the document arrived."
            ) from None
        except httpx.InvalidURL:
            raise FetchRefused(_NOT_A_URL) from None
    raise FetchRefused(f"We could not connect to {target.host}.")


def _request(
    target: _Target, address: IPAddress, deadline: _Deadline, accept: str | None, max_bytes: int
) -> Fetched | str:
    url = f"{target.scheme}://{_url_host(str(address))}:{target.port}{target.path}"
    headers = {
        "Host": target.host_header,
        "Accept": accept or "*/*",
        "Accept-Encoding": "identity",
        "User-Agent": USER_AGENT,
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    timeout = httpx.Timeout(deadline.left(target))
    with (
        httpx.Client(verify=_tls_context(), trust_env=False, timeout=timeout) as client,
        client.stream("GET", url, headers=headers, extensions=extensions) as response,
    ):
        status = response.status_code
        if status in _REDIRECT_STATUSES:
            location = response.headers.get("location")
            if not location:
                raise FetchRefused(f"The server answered {status} without saying where to.")
            return location
        if not 200 <= status < 300:
            raise FetchRefused(f"The server answered {status}.")
        body = _read_body(response, target, deadline, max_bytes)
        content_type = response.headers.get("content-type", "")
        return Fetched(url=target.url, status=status, content_type=content_type, body=body)


def _read_body(
    response: httpx.Response, target: _Target, deadline: _Deadline, max_bytes: int
) -> bytes:
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_big(max_bytes)
    decoder = _Decoder(response.headers.get("content-encoding", ""))
    chunks: list[bytes] = []
    size = 0
    for raw in response.iter_raw():
        deadline.left(target)
        data = decoder.feed(raw, max_bytes - size + 1)
        size += len(data)
        if size > max_bytes:
            raise _too_big(max_bytes)
        chunks.append(data)
    return b"".join(chunks)


class _Decoder:
    """Content-Encoding undone with a bound on the output, so a small bomb cannot blow up."""

    def __init__(self, content_encoding: str) -> None:
        coding = content_encoding.strip().lower()
        self._zlib: zlib._Decompress | None = None
        if coding in ("gzip", "x-gzip", "deflate"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
        elif coding not in ("", "identity"):
            raise FetchRefused("The server sent the document in an encoding we cannot read.")

    def feed(self, data: bytes, limit: int) -> bytes:
        """Up to `limit` decoded bytes; reaching `limit` means the cap is exceeded."""
        if self._zlib is None:
            return data
        try:
            out = self._zlib.decompress(data, limit)
            while self._zlib.unconsumed_tail and len(out) < limit:
                out += self._zlib.decompress(self._zlib.unconsumed_tail, limit - len(out))
        except zlib.error:
            raise FetchRefused("The server sent a damaged compressed document.") from None
        return out


def _too_big(max_bytes: int) -> FetchRefused:
    if max_bytes >= 1024 * 1024:
        size = f"{max_bytes / (1024 * 1024):g} MB"
    elif max_bytes >= 1024:
        size = f"{max_bytes / 1024:g} KB"
    else:
        size = f"{max_bytes} bytes"
    return FetchRefused(f"The document is larger than {size}, the most we read.")


def _tls_failure(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            break
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _tls_message(target: _Target, failure: ssl.SSLError) -> str:
    if isinstance(failure, ssl.SSLCertVerificationError):
        return (
            f"We could not verify {target.host}'s certificate: it is not valid for this name, "
            "has expired, or is not signed by a trusted certificate authority."
        )
    return f"We could not make a secure connection to {target.host}."
