"""Auth0's documented Management API rate limits per plan, as token buckets.

A bucket holds `burst` tokens and refills at `per_second`. Every call takes one token from
the global bucket and one from its endpoint bucket, if any. Figures from
../shared/auth0/NOTES.md (Auth0's rate-limit policy pages); endpoint buckets are only
documented for Enterprise, so the same ones are applied to every plan (a lower global
limit always dominates them anyway).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class BucketLimit:
    burst: int
    per_second: float


ENDPOINT_BUCKETS: dict[str, BucketLimit] = {
    "organization_writes": BucketLimit(burst=5, per_second=150 / 60),
    "organization_connection_writes": BucketLimit(burst=5, per_second=150 / 60),
    "invitations": BucketLimit(burst=20, per_second=200 / 60),
    "member_roles": BucketLimit(burst=20, per_second=200 / 60),
}

GLOBAL_LIMITS: dict[str, BucketLimit] = {
    "free": BucketLimit(burst=2, per_second=2),
    "essentials": BucketLimit(burst=10, per_second=2),
    "professional": BucketLimit(burst=10, per_second=2),
    "enterprise": BucketLimit(burst=50, per_second=16),
    "enterprise-nonprod": BucketLimit(burst=10, per_second=2),
}

_WRITE = ("POST", "PATCH", "PUT", "DELETE")
_ENDPOINT_RULES: list[tuple[str, tuple[str, ...], re.Pattern[str]]] = [
    (
        "organization_connection_writes",
        _WRITE,
        re.compile(r"^/organizations/[^/]+/(enabled_connections|connections)(/[^/]+)?$"),
    ),
    ("invitations", ("POST", "DELETE"), re.compile(r"^/organizations/[^/]+/invitations(/[^/]+)?$")),
    ("member_roles", ("POST", "DELETE"), re.compile(r"^/organizations/[^/]+/members/[^/]+/roles$")),
    ("organization_writes", _WRITE, re.compile(r"^/organizations(/[^/]+)?$")),
]


def endpoint_bucket(method: str, path: str) -> str | None:
    """The endpoint bucket a Management API call counts against (path after /api/v2)."""
    for name, methods, pattern in _ENDPOINT_RULES:
        if method.upper() in methods and pattern.match(path):
            return name
    return None


def buckets_for_plan(plan: str, overrides: str = "") -> dict[str, BucketLimit]:
    """All buckets of a plan ("global" plus the endpoint ones) with overrides applied."""
    limits = {"global": GLOBAL_LIMITS[plan], **ENDPOINT_BUCKETS}
    limits.update(parse_overrides(overrides))
    return limits


def parse_overrides(raw: str) -> dict[str, BucketLimit]:
    """Parse "global=50:16,invitations=20:3.3" into bucket limits; ValueError when malformed."""
    parsed: dict[str, BucketLimit] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, _, spec = item.partition("=")
        burst, _, rate = spec.partition(":")
        if name not in ("global", *ENDPOINT_BUCKETS):
            raise ValueError(f"unknown bucket {name!r}")
        try:
            limit = BucketLimit(burst=int(burst), per_second=float(rate))
        except ValueError:
            raise ValueError(f"{item!r} is not bucket=burst:per_second") from None
        if limit.burst < 1 or limit.per_second <= 0:
            raise ValueError(f"{item!r} needs a burst of at least 1 and a positive rate")
        parsed[name] = limit
    return parsed
