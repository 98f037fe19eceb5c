"""Operation handlers: read what the database wants now, make Auth0 match, record ids.

Each handler runs under the lock of its natural target (orgs.sync.runner), so two
operations on one target never interleave, and it converges (re-running it is harmless).
Its database writes go through `orgs.sync.fencing.guarded_writes`, so a worker that lost
its claim writes nothing. The kinds are listed in orgs.sync.registry.
"""

from __future__ import annotations

from typing import Any

from orgs.auth0.errors import Auth0Error


def require_auth0_id(obj: Any) -> str:
    """The Auth0 id of a row this operation needs; not there yet is worth waiting for."""
    auth0_id: str | None = obj.auth0_id
    if not auth0_id:
        raise Auth0Error(
            f"{obj} has not been created in Auth0 yet.", code="not_created", retryable=True
        )
    return auth0_id
