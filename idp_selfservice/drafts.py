"""Changing an SSO connection in use safely: a draft copy with a connection of its own,
tested while the live one keeps working, then swapped in with one locked write of its
options onto the live connection (docs/sso.md, "Draft copy")."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from idp_selfservice import services
from idp_selfservice.models import LIVE_STATES, SetupState, SsoSetup
from idp_selfservice.services import IDP_OPTION_KEYS, IdpDetails
from orgs.models import Connection
from orgs.secrets import decrypt_options
from orgs.services.audit import audit
from orgs.services.enterprise_connections import connection_update_options
from orgs.services.errors import ServiceError
from portal.models import User


@transaction.atomic
def draft_copy_start(*, actor: User | None, setup: SsoSetup) -> SsoSetup:
    """A copy of an active (or turned off) setup to edit and test while the live one keeps
    working. One copy at a time; an existing one is returned."""
    setup = services.locked_setup(setup)
    if setup.state not in (SetupState.ACTIVE, SetupState.DISABLED) or setup.is_draft_copy:
        raise ServiceError("Only a connection that is in use is edited as a draft copy.")
    existing = setup.draft_copies.filter(state__in=LIVE_STATES).first()
    if existing is not None:
        return existing
    provider = services.provider_of(setup)
    copy = SsoSetup.objects.create(
        organization=setup.organization,
        provider=setup.provider,
        connection_name=services.connection_name_for(setup.organization, provider, "-draft"),
        replaces=setup,
        source=setup.source,
        metadata_url=setup.metadata_url,
        idp_summary=setup.idp_summary,
        attribute_map=setup.attribute_map,
        show_as_button=setup.show_as_button,
        assign_membership_on_login=setup.assign_membership_on_login,
        idp_initiated=setup.idp_initiated,
        idp_initiated_client_id=setup.idp_initiated_client_id,
        created_by=actor,
    )
    live = setup.connection
    assert live is not None
    options = {k: v for k, v in live.options.items() if k in IDP_OPTION_KEYS}
    options.update({k: v for k, v in connection_secrets(live).items() if k in IDP_OPTION_KEYS})
    services.setup_save_idp(
        actor=actor,
        setup=copy,
        details=IdpDetails(
            options=options,
            summary=setup.idp_summary,
            source=setup.source,
            metadata_url=setup.metadata_url,
        ),
    )
    audit(
        actor=actor,
        action="sso.draft",
        organization=setup.organization,
        target=setup.connection_name,
    )
    copy.refresh_from_db()
    return copy


@transaction.atomic
def draft_copy_swap(*, actor: User | None, draft: SsoSetup) -> SsoSetup:
    """Put the tested copy's details on the live connection in one write (its name, and so
    its users and the IdP's app, stay), then delete the copy's connection."""
    draft = services.locked_setup(draft)
    live = draft.replaces
    if live is None or draft.state not in (SetupState.DRAFT, SetupState.TESTED):
        raise ServiceError("This is not a draft copy waiting to be swapped in.")
    if draft.state != SetupState.TESTED:
        raise ServiceError("Run a test sign-in of the draft that passes before swapping it in.")
    live = services.locked_setup(live)
    source, target = draft.connection, live.connection
    assert source is not None and target is not None
    # The copy's entity id was the live one borrowed for its test; the live connection's
    # name gives it that id already.
    options = {
        k: v for k, v in {**source.options, **connection_secrets(source)}.items() if k != "entityId"
    }
    keep = {"idpinitiated", "domain_aliases"}
    for key in keep:
        options.pop(key, None)
    stale = [
        k
        for k in {*target.options, *connection_secrets(target)}
        if k not in options and k not in keep
    ]
    connection_update_options(actor=actor, connection=target, options=options, removed_keys=stale)
    for name in ("source", "metadata_url", "idp_summary", "attribute_map"):
        setattr(live, name, getattr(draft, name))
    live.staged_certificate = {}
    live.tested_at = draft.tested_at
    live.save()
    services.retire_setup(actor, draft, SetupState.SWAPPED)
    audit(
        actor=actor, action="sso.swap", organization=live.organization, target=live.connection_name
    )
    return live


@transaction.atomic
def draft_copy_discard(*, actor: User | None, draft: SsoSetup) -> None:
    draft = services.locked_setup(draft)
    if not draft.is_draft_copy or draft.state not in LIVE_STATES:
        raise ServiceError("This is not a draft copy.")
    services.retire_setup(actor, draft, SetupState.DELETED)
    audit(
        actor=actor,
        action="sso.discard",
        organization=draft.organization,
        target=draft.connection_name,
    )


def connection_secrets(connection: Connection) -> dict[str, Any]:
    return decrypt_options(connection.encrypted_secrets)
