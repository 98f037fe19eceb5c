"""The sync state shown on every Auth0-backed row, kept in step with its operations."""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.utils import timezone

from orgs.models import OpState, SyncOperation, SyncState

_MODELS = {
    "organization": "orgs.Organization",
    "connection": "orgs.Connection",
    "organizationconnection": "orgs.OrganizationConnection",
    "connectionapplication": "orgs.ConnectionApplication",
    "application": "orgs.Application",
    "invitation": "orgs.Invitation",
    "member": "orgs.Member",
}


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
    """In sync, unless another operation for the same target is still open or failed."""
    others = SyncOperation.objects.filter(
        target_type=op.target_type,
        target_id=op.target_id,
        state__in=[OpState.QUEUED, OpState.RUNNING, OpState.FAILED],
    ).exclude(pk=op.pk)
    if op.target_type == "application":
        others = others.filter(organization=op.organization)
    rows = target_rows(op)
    if rows is None:
        return
    if others.exists():
        return  # still pending, or a sibling's failure stays visible
    rows.update(sync_state=SyncState.IN_SYNC, sync_error="", synced_at=timezone.now(), drift={})
