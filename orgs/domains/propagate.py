"""When the set of an organization's verified domains changes, Auth0 follows: one
`organization_domains.sync` operation (its handler makes the organization's discovery
domains the verified set, read when it runs) and the `domain_aliases` of each active SSO
connection. Call inside the service's transaction."""

from __future__ import annotations

from idp_selfservice.models import SetupState, SsoSetup
from idp_selfservice.services import verified_domains
from orgs.models import Organization
from orgs.services.enterprise_connections import connection_update_options
from orgs.sync.outbox import awaited_create, record_operation
from portal.models import User

SYNC_KIND = "organization_domains.sync"


def domains_changed(actor: User | None, organization: Organization) -> None:
    record_operation(
        kind=SYNC_KIND,
        target=organization,
        organization=organization,
        depends_on=awaited_create(organization, "organization.create"),
        actor=actor,
    )
    wanted = verified_domains(organization)
    active = SsoSetup.objects.filter(
        organization=organization, state=SetupState.ACTIVE, connection__deleted_at__isnull=True
    ).select_related("connection")
    for setup in active:
        connection = setup.connection
        if connection is None or connection.options.get("domain_aliases") == wanted:
            continue
        connection_update_options(
            actor=actor, connection=connection, options={"domain_aliases": wanted}
        )
