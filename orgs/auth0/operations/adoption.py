"""Adoptable creates: the one create → 409 → find → compare `portal_id` sequence.

A create whose response was lost (a 5xx after Auth0 applied it, a dropped connection) is
retried; the retry then meets a 409 for the name it used. Auth0 gives no idempotency key,
so we carry our own id in `metadata.portal_id` and adopt the existing resource only when
it carries ours: anything else with that name was made by somebody else and is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from orgs.auth0.client import as_dict, auth0_call
from orgs.auth0.errors import Auth0Error

PORTAL_ID_KEY = "portal_id"


class CreateOutcome(NamedTuple):
    resource: dict[str, Any]
    created: bool  # False: adopted what an earlier, lost attempt created


def create_or_adopt(
    *,
    create: Callable[[], Any],
    find: Callable[[], dict[str, Any] | None],
    portal_id: str,
    conflict: Auth0Error,
) -> CreateOutcome:
    """Run `create`; on a 409, adopt what `find` returns if it carries `portal_id`, else
    raise `conflict` (a person must import the resource or choose another name)."""
    try:
        with auth0_call():
            return CreateOutcome(as_dict(create()), created=True)
    except Auth0Error as exc:
        if exc.status != 409:
            raise
    existing = find()
    if existing is not None and carries_portal_id(existing, portal_id):
        return CreateOutcome(existing, created=False)
    raise conflict


def carries_portal_id(resource: dict[str, Any], portal_id: str) -> bool:
    # Auth0 may return `metadata: null` for a resource created without any.
    metadata = resource.get("metadata") or {}
    return bool(metadata.get(PORTAL_ID_KEY) == portal_id)
