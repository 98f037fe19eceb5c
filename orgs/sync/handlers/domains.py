"""The organization's discovery domains in Auth0: exactly its verified domains, each
with status "verified". The handler reads the verified set when it runs, so a queued
operation that merged several changes applies the latest; the portal is the source of
truth for them (a discovery domain added in Auth0 by hand is removed)."""

from __future__ import annotations

from typing import Any

from idp_selfservice.services import verified_domains
from orgs.auth0.client import as_dict, auth0_call, gone_is_done, management_client
from orgs.auth0.errors import Auth0Error
from orgs.models import Organization, SyncOperation


def sync_discovery_domains(op: SyncOperation) -> dict[str, Any]:
    org = Organization.objects.filter(pk=op.target_pk).first()
    if org is None or not org.is_live:
        return {"skipped": "the organization is gone"}
    if not org.auth0_id:
        raise Auth0Error(
            "The organization has not been created in Auth0 yet.",
            code="not_created",
            retryable=True,
        )
    wanted = set(verified_domains(org))
    client = management_client().organizations.discovery_domains
    with auth0_call():
        current = [as_dict(item) for item in client.list(org.auth0_id, take=50)]
    removed, updated = [], []
    for found in current:
        name = str(found.get("domain", "")).lower()
        if name not in wanted:
            _delete(client, org.auth0_id, str(found["id"]))
            removed.append(name)
        elif found.get("status") != "verified":
            with auth0_call():
                client.update(org.auth0_id, found["id"], status="verified")
            updated.append(name)
    present = {str(found.get("domain", "")).lower() for found in current}
    created = sorted(wanted - present)
    for name in created:
        with auth0_call():
            client.create(
                org.auth0_id, domain=name, status="verified", use_for_organization_discovery=True
            )
    return {"created": created, "removed": sorted(removed), "updated": sorted(updated)}


def _delete(client: Any, org_id: str, domain_id: str) -> None:
    gone_is_done(lambda: client.delete(org_id, domain_id))
