"""Helpers for the verified-domain tests: a stub DNS server on loopback (dnspython's
message API over UDP, in a thread) and a fixture pointing the portal's resolver at it.
No test lives here; nothing listens beyond 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.TXT import TXT


class StubDns:
    """Answers TXT questions from `records` (host -> TXT strings); NXDOMAIN otherwise.
    `silent` makes it drop every query (a server that does not answer)."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.silent = False
        self.queries: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._sock.getsockname()
        return f"{host}:{port}"

    def start(self) -> StubDns:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, client = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if not self.silent:
                self._sock.sendto(self._answer(data), client)

    def _answer(self, data: bytes) -> bytes:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        host = question.name.to_text(omit_final_dot=True).lower()
        self.queries.append(host)
        values = self.records.get(host)
        if values is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.TXT and values:
            # Long values go out in 255-byte strings, as DNS carries them.
            rdatas = [
                TXT(dns.rdataclass.IN, dns.rdatatype.TXT, _chunks(value.encode()))
                for value in values
            ]
            response.answer.append(dns.rrset.from_rdata_list(question.name, 60, rdatas))
        return response.to_wire()  # type: ignore[no-any-return]


def _chunks(value: bytes) -> list[bytes]:
    return [value[i : i + 255] for i in range(0, len(value), 255)] or [b""]


def serving_stub(settings: Any) -> Iterator[StubDns]:
    """For a fixture: the stub, with the portal's default resolver pointed at it."""
    server = StubDns().start()
    settings.DOMAIN_DNS_NAMESERVERS = [server.address]
    settings.DOMAIN_DNS_TIMEOUT = 0.5
    yield server
    server.stop()
