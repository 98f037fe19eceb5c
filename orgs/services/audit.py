from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from orgs.history.record import record_version_after
from orgs.models import AuditEvent, Organization
from orgs.repository.commits import record_commit_after
from portal.models import User

# Who acts when there is no portal user: an API key ("API key “HR system”") while its call
# runs; "system" otherwise (beat, imports, staff tools without a person).
_label_without_user: ContextVar[str] = ContextVar("audit_label_without_user", default="system")


@contextmanager
def acting_as(label: str) -> Iterator[None]:
    """Inside the block, events recorded without a user are labelled `label`."""
    token = _label_without_user.set(label[:255])
    try:
        yield
    finally:
        _label_without_user.reset(token)


def audit(
    *,
    actor: User | None,
    action: str,
    organization: Organization | None = None,
    target: object = "",
    **details: Any,
) -> AuditEvent:
    """Record who did what; call inside the service's transaction, after the change: a
    change to the organization's configuration also records its next version there, and in
    repository mode its commit-to-be (committed to git on commit)."""
    label = (actor.email or actor.sub) if actor is not None else _label_without_user.get()
    event = AuditEvent.objects.create(
        actor=actor,
        actor_label=label,
        organization=organization,
        action=action,
        target=str(target)[:255],
        details=details,
    )
    record_version_after(event)
    record_commit_after(event)
    return event
