"""TXT lookups for domain verification, through an injectable dnspython resolver.

The default resolver is built from settings on each lookup: `DOMAIN_DNS_NAMESERVERS`
("address" or "address:port"; empty means the system's resolv.conf) and
`DOMAIN_DNS_TIMEOUT`. Tests point it at a stub server on loopback, never the internet.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
from django.conf import settings


@dataclass(frozen=True)
class TxtAnswer:
    """What DNS answers now for a host: its TXT strings, or why it could not be asked."""

    records: tuple[str, ...] = ()
    unavailable: str = ""  # plain words when DNS did not answer at all


def default_resolver() -> dns.resolver.Resolver:
    servers: list[str] = list(settings.DOMAIN_DNS_NAMESERVERS)
    resolver = dns.resolver.Resolver(configure=not servers)
    if servers:
        resolver.nameservers = [_address(s) for s in servers]
        ports = {_port(s) for s in servers}
        resolver.port = ports.pop() if len(ports) == 1 else 53
    resolver.lifetime = float(settings.DOMAIN_DNS_TIMEOUT)
    resolver.timeout = resolver.lifetime
    resolver.cache = None  # "Check now" must see what DNS says now
    return resolver


def _address(server: str) -> str:
    host, _, port = server.rpartition(":")
    return host if host and port.isdigit() and host.count(":") == 0 else server


def _port(server: str) -> int:
    host, _, port = server.rpartition(":")
    return int(port) if host and port.isdigit() and host.count(":") == 0 else 53


def txt_records(host: str, resolver: dns.resolver.Resolver | None = None) -> TxtAnswer:
    """The TXT strings at `host` (each record's chunks joined, as RFC 7208 reads them)."""
    resolver = resolver or default_resolver()
    try:
        answer = resolver.resolve(dns.name.from_text(host), dns.rdatatype.TXT, search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return TxtAnswer()
    except (dns.resolver.NoNameservers, dns.exception.Timeout):
        return TxtAnswer(unavailable=f"DNS did not answer for {host}; try again in a while.")
    except dns.exception.DNSException:
        return TxtAnswer(unavailable=f"DNS could not be asked about {host}; try again later.")
    records = []
    for rdata in answer:
        chunks = getattr(rdata, "strings", ())
        records.append(b"".join(chunks).decode("utf-8", "replace"))
    return TxtAnswer(records=tuple(records))
