"""Enterprise connections an organization owns (SAML, OIDC, ...): create, change options,
delete. Options hold secrets (an OIDC client secret): those are split off and stored
encrypted (orgs/secrets.py) before anything is saved, and the handler merges the options
into Auth0's under the connection's lock (Auth0 replaces `options` whole)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from orgs.models import Connection, Organization
from orgs.secrets import decrypt_options, encrypt_options, split_secret_options
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.sync.outbox import awaited_create, record_operation
from portal.models import User

# What Auth0 derives from `signingCert` and returns beside it. A new certificate must not
# travel with the old one's derived values read back from Auth0 (`cert` is the deprecated
# DER twin of signingCert, `thumbprints` what responses are checked against).
DERIVED_FROM_SIGNING_CERT = ("cert", "thumbprints", "expires", "subject")


@transaction.atomic
def connection_create_enterprise(
    *,
    actor: User | None,
    organization: Organization,
    name: str,
    strategy: str,
    display_name: str,
    options: dict[str, Any],
) -> Connection:
    if Connection.objects.filter(name=name).exists():
        raise ServiceError(f"A connection named '{name}' already exists.")
    plain, secret = split_secret_options(options, strategy)
    connection = Connection.objects.create(
        name=name,
        display_name=display_name,
        strategy=strategy,
        organization=organization,
        options=plain,
        encrypted_secrets=encrypt_options(secret),
    )
    record_operation(
        kind="connection.create",
        target=connection,
        organization=organization,
        depends_on=awaited_create(organization, "organization.create"),
        actor=actor,
    )
    audit(actor=actor, action="connection.create", organization=organization, target=name)
    return connection


@transaction.atomic
def connection_update_options(
    *,
    actor: User | None,
    connection: Connection,
    options: dict[str, Any],
    removed_keys: list[str] | tuple[str, ...] = (),
    display_name: str | None = None,
) -> Connection:
    """Set `options` (merged over what is stored; an empty secret keeps the stored one) and
    drop `removed_keys`; Auth0 gets the result in one locked read-modify-write."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    if connection.deleted_at is not None:
        raise ServiceError(f"The connection {connection} has been deleted.")
    plain, secret = split_secret_options(options, connection.strategy)
    stored_secret = decrypt_options(connection.encrypted_secrets)
    removed = set(removed_keys)
    connection.options = {
        k: v for k, v in {**connection.options, **plain}.items() if k not in removed
    }
    merged_secret = {k: v for k, v in {**stored_secret, **secret}.items() if k not in removed}
    connection.encrypted_secrets = encrypt_options(merged_secret)
    if display_name is not None:
        connection.display_name = display_name
    connection.save()
    dropped_in_auth0 = set(removed)
    if "signingCert" in plain or "signingCert" in secret:
        dropped_in_auth0.update(DERIVED_FROM_SIGNING_CERT)
    record_operation(
        kind="connection.update",
        target=connection,
        organization=connection.organization,
        payload={"removed_keys": sorted(dropped_in_auth0)},
        depends_on=awaited_create(connection, "connection.create"),
        actor=actor,
    )
    audit(
        actor=actor,
        action="connection.update",
        organization=connection.organization,
        target=connection.name,
        options=sorted(plain),
        hidden_options_changed=sorted(secret),
        removed=sorted(removed),
    )
    return connection


@transaction.atomic
def connection_delete(*, actor: User | None, connection: Connection) -> None:
    """Delete it in Auth0 (which deletes its users); the row is marked deleted by the
    handler once Auth0 has answered. Its organization links go first."""
    from orgs.services.connections import organization_connection_disable

    for link in connection.organization_links.select_related("organization"):
        organization_connection_disable(actor=actor, link=link)
    record_operation(
        kind="connection.delete",
        target=connection,
        organization=connection.organization,
        # A create still on its way would otherwise run after the delete and bring it back.
        depends_on=awaited_create(connection, "connection.create"),
        actor=actor,
    )
    audit(
        actor=actor,
        action="connection.delete",
        organization=connection.organization,
        target=connection.name,
    )


def connection_secret_keys(connection: Connection) -> list[str]:
    """Which secret options are stored (names only: the values are never shown back)."""
    try:
        return sorted(decrypt_options(connection.encrypted_secrets))
    except ValueError:
        return []
