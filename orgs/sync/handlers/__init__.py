"""Operation handlers: read what the database wants now, make Auth0 match, record ids.

Each handler runs under a per-target lock, so two operations on one target never
interleave, and it converges (re-running it is harmless).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orgs.auth0.errors import Auth0Error
from orgs.auth0.locks import resource_lock
from orgs.models import SyncOperation

Handler = Callable[[SyncOperation], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        return handler

    return register


def handler_for(kind: str) -> Handler:
    _load()
    handler = HANDLERS.get(kind)
    if handler is None:
        raise Auth0Error(f"No handler for operation kind {kind!r}.", code="unknown_kind")

    def run(op: SyncOperation) -> dict[str, Any]:
        with resource_lock("op-target", target_key(op)):
            return handler(op)

    return run


def require_auth0_id(obj: Any) -> str:
    """The Auth0 id of a row this operation needs; not there yet is worth waiting for."""
    auth0_id: str | None = obj.auth0_id
    if not auth0_id:
        raise Auth0Error(
            f"{obj} has not been created in Auth0 yet.", code="not_created", retryable=True
        )
    return auth0_id


def target_key(op: SyncOperation) -> str:
    scope = f":{op.organization_id}" if op.target_type == "application" else ""
    return f"{op.target_type}:{op.target_id}{scope}"


def _load() -> None:
    from orgs.sync.handlers import applications, connections, organizations, people  # noqa: F401
