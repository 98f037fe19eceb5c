from __future__ import annotations

from typing import Any

from orgs.models import AuditEvent, Organization
from portal.models import User


def audit(
    *,
    actor: User | None,
    action: str,
    organization: Organization | None = None,
    target: object = "",
    **details: Any,
) -> AuditEvent:
    """Record who did what; call inside the service's transaction."""
    label = (actor.email or actor.sub) if actor is not None else "system"
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=label,
        organization=organization,
        action=action,
        target=str(target)[:255],
        details=details,
    )
