"""Configuration of one sandbox tenant (what `create_app(**config)` accepts)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_BASE_URL = "http://127.0.0.1:8001"
# Where the portal runs: the demo seed's portal login client points its callback, logout
# URL and initiate_login_uri there (devstack passes its PORTAL_BASE_URL).
DEFAULT_PORTAL_URL = "http://127.0.0.1:8000"


@dataclass
class BucketConfig:
    """A token bucket: `burst` tokens at most, refilled at `rate` tokens per second."""

    burst: int
    rate: float

    def as_dict(self) -> dict[str, float]:
        return {"burst": self.burst, "rate": self.rate, "per_minute": round(self.rate * 60, 3)}


def default_endpoint_buckets() -> dict[str, BucketConfig]:
    # Auth0's Enterprise figures (NOTES.md, "Rate limits"): per-minute rates as per-second.
    return {
        "organization_writes": BucketConfig(burst=5, rate=150 / 60),
        "organization_connection_writes": BucketConfig(burst=5, rate=150 / 60),
        "invitations": BucketConfig(burst=20, rate=200 / 60),
        "member_roles": BucketConfig(burst=20, rate=200 / 60),
    }


@dataclass
class SandboxConfig:
    base_url: str = DEFAULT_BASE_URL
    seed: str | None = "demo"
    portal_url: str = DEFAULT_PORTAL_URL
    state_file: str | None = None
    rate: float = 16.0
    burst: int = 50
    endpoint_buckets: bool = True
    # Per-bucket overrides, e.g. {"invitations": {"burst": 2, "rate": 1}}.
    bucket_overrides: dict[str, dict[str, float]] = field(default_factory=dict)
    m2m_client_id: str | None = None
    m2m_client_secret: str | None = None
    # Seeds the RNG used by probabilistic faults, so a failing run can be replayed.
    random_seed: int = 0
    access_token_lifetime: int = 86400
    # The tenant's "Default Directory" setting: the database connection that
    # `grant_type=password` signs users in with (None: Auth0's 500 "not configured").
    default_directory: str | None = None
    # Bulk jobs (/jobs/users-imports, /jobs/users-exports) take time as Auth0's do: `pending`
    # for job_queue_seconds, then `processing` for job_user_seconds per user, then done.
    job_queue_seconds: float = 1.0
    job_user_seconds: float = 0.01
    # Auth0 lets a tenant have two import jobs pending or processing at once (429 beyond).
    import_job_limit: int = 2
    # Who gets the `send_completion_email` message (Auth0 mails the tenant's owners).
    tenant_owner_email: str = "owner@sandbox.test"
    # Injectable so tests can move time without sleeping (buckets, token expiry, invitations).
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

    @property
    def issuer(self) -> str:
        return self.base_url.rstrip("/") + "/"

    @property
    def api_audience(self) -> str:
        return self.base_url.rstrip("/") + "/api/v2/"

    @classmethod
    def from_kwargs(cls, **config: Any) -> SandboxConfig:
        known = set(cls.__dataclass_fields__)
        unknown = set(config) - known
        if unknown:
            raise TypeError(f"unknown sandbox config keys: {sorted(unknown)}")
        cfg = cls(**config)
        cfg.base_url = cfg.base_url.rstrip("/")
        cfg.portal_url = cfg.portal_url.rstrip("/")
        return cfg
