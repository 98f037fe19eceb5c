"""`scim.configure`: inbound SCIM on a connection turned on or off in Auth0.

The payload's `intent` is what the person asked for last (a later request merges into
a queued one, newest wins), and both directions are idempotent: turning on keeps an
existing configuration, turning off treats "already gone" as done."""

from __future__ import annotations

from typing import Any

from orgs.auth0.operations import scim
from orgs.models import Connection, SyncOperation
from orgs.sync.handlers import require_auth0_id


def configure(op: SyncOperation) -> dict[str, Any]:
    connection = Connection.objects.get(pk=op.target_pk)
    connection_id = require_auth0_id(connection)
    if op.payload.get("intent") == "disable":
        scim.delete_configuration(connection_id)
        return {"scim": "off"}
    config = scim.ensure_configuration(connection_id)
    return {"scim": "on", "user_id_attribute": config.get("user_id_attribute", "")}
