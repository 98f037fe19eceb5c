"""The safe fetcher: hostile URLs are refused in plain words and never reach anything.

Servers listen on 127.0.0.1 only; `socket.create_connection` is wrapped for every test so
each connection attempt is recorded and nothing ever leaves loopback. "Public" addresses
(93.184.216.34) come from a fake resolver and are never actually connected to.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from ipaddress import ip_address
from pathlib import Path

import pytest

from idp_selfservice import fetching
from idp_selfservice.errors import FetchRefused
from idp_selfservice.fetching import fetch, is_allowed_origin, is_forbidden_address
from tests.idp_selfservice._fetch_servers import (
    FakeDns,
    RecordingServer,
    TlsMaterial,
    chunked,
    gzipped,
    loopback_only,
    make_tls_material,
    redirect,
    respond,
    stall,
)

PUBLIC = "93.184.216.34"
INTERNAL = "an internal address"


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    attempts: list[tuple[str, int]] = []
    monkeypatch.setattr(socket, "create_connection", loopback_only(attempts))
    return attempts


@pytest.fixture(autouse=True)
def no_allowed_origins(settings):
    settings.IDP_FETCH_ALLOWED_ORIGINS = []
    settings.IDP_FETCH_TIMEOUT = 5.0


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer({"/doc": respond(b"<xml/>", content_type="application/xml")}) as s:
        yield s


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    return make_tls_material(Path(tmp_path_factory.mktemp("tls")))


def refused(url: str, **kwargs) -> str:
    with pytest.raises(FetchRefused) as info:
        fetch(url, **kwargs)
    return str(info.value)


# --- Allowed origins (the development sandbox) ---------------------------------------


def test_it_fetches_from_an_allowed_origin_over_http(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]

    fetched = fetch(server.url("/doc?x=1"))

    assert fetched.status == 200
    assert fetched.body == b"<xml/>"
    assert fetched.content_type == "application/xml"
    assert fetched.url == server.url("/doc?x=1")
    assert server.hits[0].path == "/doc?x=1"


def test_it_refuses_the_same_server_when_its_origin_is_not_allowed(server):
    assert "https" in refused(server.url("/doc"))
    assert server.connections == 0


def test_it_compares_allowed_origins_normalised(settings):
    settings.IDP_FETCH_ALLOWED_ORIGINS = ["HTTP://LocalHost:8001/", "https://idp.test"]

    assert is_allowed_origin("http://localhost:8001/anything?q=1")
    assert is_allowed_origin("https://idp.test:443/x")
    assert is_allowed_origin("https://IDP.test./x")
    assert not is_allowed_origin("https://idp.test:8443/x")
    assert not is_allowed_origin("http://idp.test/x")
    assert not is_allowed_origin("http://localhost:8002/")


def test_it_connects_to_the_checked_address_with_the_original_host(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [f"http://idp.test:{server.port}"]
    dns = FakeDns({"idp.test": ["127.0.0.1"]})

    fetch(f"http://idp.test:{server.port}/doc", resolver=dns)

    assert dns.questions == [("idp.test", server.port)]
    assert server.hits[0].host == f"idp.test:{server.port}"


def test_it_connects_to_the_resolved_public_address_without_asking_dns_again(connections):
    dns = FakeDns({"idp.example.com": [PUBLIC]})

    message = refused("https://idp.example.com/metadata", resolver=dns)

    assert connections == [(PUBLIC, 443)]  # refused by the test's socket guard, not by DNS
    assert dns.questions == [("idp.example.com", 443)]
    assert message == "We could not connect to idp.example.com."


# --- Forbidden addresses and their odd spellings --------------------------------------

LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "2130706433",
    "0x7f000001",
    "0X7F000001",
    "017700000001",
    "127.1",
    "127.0.1",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "0x7f.1",
    "127.0.0.1.",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:127.0.0.1]",
    "[::127.0.0.1]",
    "[64:ff9b::7f00:1]",
    "[2002:7f00:1::]",
]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_it_refuses_every_spelling_of_loopback_without_dns_or_connection(
    host, settings, server, connections
):
    dns = FakeDns({})
    url = f"https://{host}:{server.port}/doc"

    assert INTERNAL in refused(url, resolver=dns)
    assert dns.questions == []
    assert connections == []
    assert server.connections == 0


FORBIDDEN = [
    "0.0.0.0",  # unspecified
    "0.1.2.3",  # "this network"
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",  # RFC 1918
    "100.64.0.1",
    "100.127.255.254",  # shared address space (carrier NAT)
    "169.254.169.254",  # cloud metadata
    "169.254.0.1",  # link-local
    "224.0.0.1",
    "239.255.255.250",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",  # broadcast
    "192.0.0.1",
    "192.0.2.1",
    "198.18.0.1",
    "198.51.100.1",
    "203.0.113.1",  # special purpose
    "::",
    "::1",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "fd00:ec2::254",  # AWS IPv6 metadata
    "fec0::1",  # site-local
    "ff02::1",
    "ff0e::1",  # multicast, even global scope
    "2001:db8::1",  # documentation
    "100::1",  # discard
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:192.168.0.1",
    "64:ff9b::a9fe:a9fe",  # NAT64 of metadata
    "64:ff9b::a00:1",
    "64:ff9b:1::a00:1",
    "2002:a9fe:a9fe::1",  # 6to4 of metadata
    "2002:c0a8:1::1",
    "2001::1",  # Teredo
]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_it_refuses_a_name_resolving_to_a_forbidden_address(address, connections):
    dns = FakeDns({"idp.example.com": [address]})

    message = refused("https://idp.example.com/metadata", resolver=dns)

    assert message == "idp.example.com points to an internal address, which we do not fetch from."
    assert address.split("%")[0] not in message
    assert connections == []


@pytest.mark.parametrize("address", [a for a in FORBIDDEN if "%" not in a])
def test_it_refuses_a_forbidden_address_written_in_the_url(address, connections):
    host = f"[{address}]" if ":" in address else address

    assert INTERNAL in refused(f"https://{host}/latest/meta-data/", resolver=FakeDns({}))
    assert connections == []


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111"])
def test_it_accepts_public_addresses(address):
    assert not is_forbidden_address(ip_address(address))


def test_it_refuses_dns_answering_public_first_and_private_second(connections):
    dns = FakeDns({"rebind.example.com": [PUBLIC, "10.0.0.7"]})

    message = refused("https://rebind.example.com/metadata", resolver=dns)

    assert INTERNAL in message
    assert "10.0.0.7" not in message
    assert dns.questions == [("rebind.example.com", 443)]
    assert connections == []


def test_it_refuses_localhost_through_the_system_resolver(server, connections):
    assert INTERNAL in refused(f"https://localhost:{server.port}/doc")
    assert connections == []
    assert server.connections == 0


@pytest.mark.parametrize("host", ["1.2.3.4.5", "256.0.0.1", "1.2.3.256", "foo.0x10", "08.1.2.3"])
def test_it_refuses_hosts_that_look_numeric_but_are_not_addresses(host):
    dns = FakeDns({host: [PUBLIC]})

    assert "is not a valid address" in refused(f"https://{host}/", resolver=dns)
    assert dns.questions == []


# --- URL shapes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "metadata.xml",
        "https://",
        "https:///path",
        "ftp://idp.example.com/metadata",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "https://idp example.com/",
        "https://idp.example.com/a b",
        "https://idp.example.com\\@evil.test/",
        "https://[::1/",
        "https://idp.example.com:99999/",
        "https://idp..example.com/",
        "https://idp%2eexample.com/",
        "https://" + "a" * 2100 + ".com/",
    ],
)
def test_it_refuses_what_is_not_a_web_address(url, connections):
    message = refused(url, resolver=FakeDns({}))

    assert "web address" in message
    assert connections == []


def test_it_refuses_plain_http_before_asking_dns(connections):
    dns = FakeDns({"idp.example.com": [PUBLIC]})

    assert refused("http://idp.example.com/metadata", resolver=dns) == (
        "Only https:// addresses can be used."
    )
    assert dns.questions == []


@pytest.mark.parametrize(
    "url",
    [
        "https://admin:hunter2@idp.example.com/",
        "https://admin@idp.example.com/",
        "https://:hunter2@idp.example.com/",
        "https://idp.example.com@127.0.0.1/",
    ],
)
def test_it_refuses_a_user_name_or_password_in_the_url(url, connections):
    message = refused(url, resolver=FakeDns({"idp.example.com": [PUBLIC]}))

    assert message == "The address must not contain a user name or password."
    assert "hunter2" not in message
    assert connections == []


def test_it_accepts_an_internationalised_host_name(connections):
    dns = FakeDns({"xn--bcher-kva.example": [PUBLIC]})

    refused("https://bücher.example/metadata", resolver=dns)

    assert dns.questions == [("xn--bcher-kva.example", 443)]


# --- Redirects ------------------------------------------------------------------------


def test_it_follows_redirects_within_an_allowed_origin(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
    server.routes["/old"] = redirect("/doc", status=301)

    fetched = fetch(server.url("/old"))

    assert fetched.body == b"<xml/>"
    assert fetched.url == server.url("/doc")


def test_it_refuses_a_redirect_to_a_non_allowed_loopback_server(settings, server, connections):
    with RecordingServer({"/": respond(b"secret")}) as internal:
        settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
        server.routes["/go"] = redirect(internal.url("/"))

        assert "https" in refused(server.url("/go"))

        https_target = f"https://localhost:{internal.port}/"
        server.routes["/go-https"] = redirect(https_target)
        assert INTERNAL in refused(server.url("/go-https"))

        assert internal.connections == 0
        assert {port for _, port in connections} == {server.port}


def test_it_refuses_a_redirect_to_cloud_metadata(settings, server, connections):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
    server.routes["/go"] = redirect("https://169.254.169.254/latest/meta-data/iam/")
    server.routes["/go-named"] = redirect("https://metadata.example.com/computeMetadata/v1/")
    dns = FakeDns({"metadata.example.com": ["169.254.169.254"]})

    assert INTERNAL in refused(server.url("/go"), resolver=dns)
    assert INTERNAL in refused(server.url("/go-named"), resolver=dns)
    assert {address for address, _ in connections} == {"127.0.0.1"}


def test_it_refuses_a_redirect_with_a_password(settings, server, connections):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
    server.routes["/go"] = redirect("https://user:pw@idp.example.com/")

    assert "user name or password" in refused(server.url("/go"))


def test_it_follows_five_redirects_but_not_six(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
    for hop in range(1, 7):
        server.routes[f"/r{hop}"] = redirect(f"/r{hop - 1}" if hop > 1 else "/doc")

    assert fetch(server.url("/r5")).body == b"<xml/>"
    assert refused(server.url("/r6")) == "The address redirected more than 5 times."


def test_it_refuses_a_redirect_without_a_location(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
    server.routes["/lost"] = respond(b"", status=302)

    assert "302" in refused(server.url("/lost"))


# --- Answers ------------------------------------------------------------------------


def test_it_refuses_an_error_status(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]

    assert refused(server.url("/missing")) == "The server answered 404."


def test_it_refuses_a_declared_length_over_the_cap_before_reading(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
    server.routes["/big"] = respond(b"tiny", headers={"Content-Length": str(50 * 1024 * 1024)})

    assert refused(server.url("/big")) == "The document is larger than 4 MB, the most we read."


def test_it_stops_reading_a_stream_at_the_cap(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
    server.routes["/stream"] = chunked(10 * 1024 * 1024, chunk=64 * 1024)

    started = time.monotonic()
    assert "larger than 100 KB" in refused(server.url("/stream"), max_bytes=100 * 1024)
    assert time.monotonic() - started < 2


def test_it_reads_a_stream_under_the_cap(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
    server.routes["/stream"] = chunked(50_000, chunk=4096)

    assert fetch(server.url("/stream"), max_bytes=50_000).body == b"x" * 50_000


def test_it_decodes_gzip_and_stops_a_compression_bomb(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
    server.routes["/small"] = gzipped(b"<xml/>")
    server.routes["/bomb"] = gzipped(b"\0" * (20 * 1024 * 1024))

    assert fetch(server.url("/small")).body == b"<xml/>"
    assert "larger than 1 MB" in refused(server.url("/bomb"), max_bytes=1024 * 1024)


def test_it_refuses_an_encoding_it_cannot_read(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
    server.routes["/br"] = respond(b"??", headers={"Content-Encoding": "br", "Content-Length": "2"})

    assert "encoding" in refused(server.url("/br"))


def test_it_sends_the_accept_header_it_is_given(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
    seen: list[str | None] = []

    def echo(handler):
        seen.append(handler.headers.get("Accept"))
        respond(b"{}")(handler)

    server.routes["/json"] = echo
    fetch(server.url("/json"), accept="application/json")

    assert seen == ["application/json"]


# --- Failures on the way --------------------------------------------------------------


def test_it_gives_up_on_a_server_that_does_not_answer(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
    server.routes["/slow"] = stall(5)

    started = time.monotonic()
    assert (
        refused(server.url("/slow"), timeout=0.3) == "127.0.0.1 did not answer within 0.3 seconds."
    )
    assert time.monotonic() - started < 1.5


def test_it_gives_up_on_a_trickle_at_the_overall_deadline(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
    server.routes["/drip"] = chunked(10_000, chunk=10, pause=0.05)

    started = time.monotonic()
    assert "did not answer within 0.5 seconds" in refused(server.url("/drip"), timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_it_uses_the_timeout_setting_by_default(settings, server):
    settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
    settings.IDP_FETCH_TIMEOUT = 0.2
    server.routes["/slow"] = stall(5)

    assert "within 0.2 seconds" in refused(server.url("/slow"))


def test_it_gives_up_on_a_resolver_that_hangs():
    def hanging(host: str, port: int) -> list[str]:
        time.sleep(2)
        return [PUBLIC]

    started = time.monotonic()
    assert "did not answer within 0.2 seconds" in refused(
        "https://idp.example.com/", resolver=hanging, timeout=0.2
    )
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    "answers", [{}, {"idp.example.com": []}, {"idp.example.com": ["nonsense"]}]
)
def test_it_says_so_when_the_name_cannot_be_found(answers):
    message = refused("https://idp.example.com/", resolver=FakeDns(answers))

    assert message == "We could not find the server idp.example.com."


def test_it_says_so_when_nothing_listens(settings):
    with RecordingServer() as closed:
        port = closed.port
    settings.IDP_FETCH_ALLOWED_ORIGINS = [f"http://127.0.0.1:{port}"]

    assert refused(f"http://127.0.0.1:{port}/") == "We could not connect to 127.0.0.1."


# --- TLS ----------------------------------------------------------------------------


def https_server(tls: TlsMaterial, *names: str) -> RecordingServer:
    return RecordingServer({"/doc": respond(b"<xml/>")}, tls=tls.server_context(*names))


def test_it_verifies_the_certificate_for_the_original_host_name(settings, tls, monkeypatch):
    monkeypatch.setattr(fetching, "_TEST_TLS_CONTEXT", tls.client_context())
    with https_server(tls, "idp.test") as server:
        settings.IDP_FETCH_ALLOWED_ORIGINS = [f"https://idp.test:{server.port}"]
        dns = FakeDns({"idp.test": ["127.0.0.1"]})

        fetched = fetch(f"https://idp.test:{server.port}/doc", resolver=dns)

        assert fetched.body == b"<xml/>"
        assert server.server_names == ["idp.test"]
        assert server.hits[0].host == f"idp.test:{server.port}"


def test_it_refuses_a_certificate_for_another_name(settings, tls, monkeypatch):
    monkeypatch.setattr(fetching, "_TEST_TLS_CONTEXT", tls.client_context())
    with https_server(tls, "other.test") as server:
        settings.IDP_FETCH_ALLOWED_ORIGINS = [f"https://idp.test:{server.port}"]
        dns = FakeDns({"idp.test": ["127.0.0.1"]})

        message = refused(f"https://idp.test:{server.port}/doc", resolver=dns)

        assert message.startswith("We could not verify idp.test's certificate")
        assert server.hits == []


def test_it_refuses_an_untrusted_certificate_with_the_production_context(settings, tls):
    with https_server(tls, "idp.test") as server:
        settings.IDP_FETCH_ALLOWED_ORIGINS = [f"https://idp.test:{server.port}"]
        dns = FakeDns({"idp.test": ["127.0.0.1"]})

        assert "certificate" in refused(f"https://idp.test:{server.port}/doc", resolver=dns)
        assert server.hits == []


def test_production_verification_is_on():
    context = fetching._tls_context()

    assert fetching._TEST_TLS_CONTEXT is None
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
