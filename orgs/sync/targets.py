"""What an operation targets, and the sync state shown on every Auth0-backed row, kept in
step with its operations."""

from __future__ import annotations

import hashlib
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone

from orgs.models import UNSETTLED_STATES, Organization, SyncOperation, SyncState

_MODELS = {
    "organization": "orgs.Organization",
    "connection": "orgs.Connection",
    "organizationconnection": "orgs.OrganizationConnection",
    "connectionapplication": "orgs.ConnectionApplication",
    "application": "orgs.Application",
    "invitation": "orgs.Invitation",
    "member": "orgs.Member",
}


def target_type_of(instance: models.Model) -> str:
    return instance._meta.model_name or type(instance).__name__.lower()


def target_key_for(
    *,
    kind: str,
    target_type: str,
    target_id: int | None,
    organization: Organization | None,
    payload: dict[str, Any],
) -> str:
    """The natural identity of what an operation changes in Auth0.

    A link is "this connection on this organization", whatever row id the portal gave
    it: disabling deletes the row and enabling again makes a new one, and both operations
    must share one lock and one notion of "something else is open here". An
    application's URLs are per organization (one organization's batch is its own)."""
    if kind == "organization_connection.sync":
        return f"organizationconnection:{payload['organization_id']}:{payload['connection_id']}"
    if kind == "connection_application.sync":
        return f"connectionapplication:{payload['connection_id']}:{payload['application_id']}"
    if kind.startswith("user."):
        # Blocking, signing out and resets act on the Auth0 user, whichever organization
        # asked: one lock per user, so a block from one and an unblock from another
        # never interleave.
        return f"user:{_short(str(payload['user_id']))}"
    if target_type == "application":
        return f"application:{target_id}:{organization.pk if organization else ''}"
    return f"{target_type}:{target_id}"


def _short(user_id: str) -> str:
    """The id itself, or a digest of one too long for the key columns (200 characters,
    with the kind in front in `idempotency_key`)."""
    if len(user_id) <= 150:
        return user_id
    return "sha256:" + hashlib.sha256(user_id.encode()).hexdigest()


def model_for(target_type: str) -> type[models.Model] | None:
    label = _MODELS.get(target_type)
    return apps.get_model(label) if label else None


def target_rows(op: SyncOperation) -> models.QuerySet[models.Model] | None:
    if op.target_type == "application":
        # An application's sync state is that of the organization's URLs on it.
        from orgs.models import ApplicationURL

        return ApplicationURL.objects.filter(
            application_id=op.target_pk, organization=op.organization, removing=False
        ).exclude(sync_state=SyncState.IN_SYNC)
    model = model_for(op.target_type)
    if model is None or not any(f.name == "sync_state" for f in model._meta.get_fields()):
        return None
    return model._default_manager.filter(pk=op.target_id)


def mark(op: SyncOperation, state: str, error: str = "") -> None:
    rows = target_rows(op)
    if rows is not None:
        rows.update(sync_state=state, sync_error=error[:2000])


def mark_settled(op: SyncOperation) -> None:
    """In sync, unless another operation on the same target is still open or failed.

    The rows are read *before* asking about other operations, and only those rows are
    marked. Read the other way round (each statement sees what is committed when it
    runs), a row committed in between, together with the new operation that carries it,
    would be missed by the question and caught by the update: marked in sync without ever
    being sent, and that operation would then find nothing to do. One URL in 200 was
    lost that way under load (tests/orgs/test_workers.py)."""
    rows = target_rows(op)
    if rows is None:
        return
    row_ids = list(rows.values_list("pk", flat=True))
    others = SyncOperation.objects.filter(
        target_key=op.target_key, state__in=UNSETTLED_STATES
    ).exclude(pk=op.pk)
    if not row_ids or others.exists():
        return  # still pending, or a sibling's failure stays visible
    rows.filter(pk__in=row_ids).update(
        sync_state=SyncState.IN_SYNC, sync_error="", synced_at=timezone.now(), drift={}
    )
