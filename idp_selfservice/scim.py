"""Directory provisioning (inbound SCIM) for an active SSO setup's connection.

Turning SCIM on or off is a change to Auth0 like any other: an audited `scim.configure`
operation the engine sends. Reading the state and the tokens, and creating or revoking
a token, are synchronous calls: a token's value exists only in Auth0's answer, so it is
handed straight back to the page that shows it once, and is never stored (not in the
database, the session, the audit trail or a log line).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from idp_selfservice.models import SetupState, SsoSetup
from orgs.auth0.errors import Auth0Error
from orgs.auth0.operations import scim as gateway
from orgs.models import OPEN_STATES, Connection, SyncOperation
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.sync.outbox import record_operation
from portal.models import User

KIND = "scim.configure"
SCIM_STRATEGIES = frozenset({"samlp", "oidc", "okta", "waad", "adfs", "pingfederate"})
TOKEN_SCOPES = gateway.TOKEN_SCOPES
MAX_TOKENS = 2  # Auth0 issues at most two per connection
MAX_LIFETIME_DAYS = 365
_UNAVAILABLE = "Auth0 could not be reached to read directory provisioning. Try again shortly."


@dataclass(frozen=True)
class ScimToken:
    token_id: str
    scopes: list[str]
    created_at: datetime | None
    valid_until: datetime | None  # None: it does not expire
    last_used_at: datetime | None


@dataclass(frozen=True)
class ScimStatus:
    available: bool  # the setup is on and its connection exists in Auth0
    reason: str = ""  # why it is not available, in words
    enabled: bool = False
    pending: str = ""  # "enable" / "disable" while an operation is on its way
    endpoint_url: str = ""
    tokens: list[ScimToken] = field(default_factory=list)
    read_error: str = ""


@dataclass(frozen=True)
class CreatedToken:
    """The one moment the value exists in the portal: shown on the page, then gone."""

    token_id: str
    value: str
    scopes: list[str]
    valid_until: datetime | None


def unavailable_reason(setup: SsoSetup) -> str:
    """Why SCIM cannot be set up for this setup ("" when it can)."""
    connection = setup.connection
    if setup.state != SetupState.ACTIVE or setup.is_draft_copy:
        return "Directory provisioning is available once single sign-on is turned on."
    if connection is None or not connection.auth0_id:
        return "The connection is still being created in Auth0. Try again shortly."
    if connection.strategy not in SCIM_STRATEGIES:
        return "Auth0 does not offer directory provisioning for this kind of connection."
    return ""


def _connection(setup: SsoSetup) -> tuple[Connection, str]:
    reason = unavailable_reason(setup)
    if reason:
        raise ServiceError(reason)
    connection = setup.connection
    assert connection is not None and connection.auth0_id
    return connection, connection.auth0_id


def endpoint_url(setup: SsoSetup) -> str:
    """The SCIM endpoint URL of the setup's connection (no call to Auth0)."""
    _, auth0_id = _connection(setup)
    return gateway.scim_endpoint_url(auth0_id)


def pending_intent(connection: Connection) -> str:
    op = (
        SyncOperation.objects.filter(
            kind=KIND, target_key=f"connection:{connection.pk}", state__in=OPEN_STATES
        )
        .order_by("-pk")
        .first()
    )
    return str((op.payload or {}).get("intent", "")) if op is not None else ""


def scim_status(setup: SsoSetup) -> ScimStatus:
    """What the SCIM page shows, read from Auth0 now."""
    reason = unavailable_reason(setup)
    if reason:
        return ScimStatus(available=False, reason=reason)
    connection, auth0_id = _connection(setup)
    pending = pending_intent(connection)
    url = gateway.scim_endpoint_url(auth0_id)
    try:
        enabled = gateway.get_configuration(auth0_id) is not None
        tokens = [_token(t) for t in gateway.list_tokens(auth0_id)] if enabled else []
    except Auth0Error:
        return ScimStatus(
            available=True, pending=pending, endpoint_url=url, read_error=_UNAVAILABLE
        )
    return ScimStatus(
        available=True, enabled=enabled, pending=pending, endpoint_url=url, tokens=tokens
    )


def _token(raw: dict[str, Any]) -> ScimToken:
    return ScimToken(
        token_id=str(raw.get("token_id", "")),
        scopes=list(raw.get("scopes") or []),
        created_at=_when(raw.get("created_at")),
        valid_until=_when(raw.get("valid_until")),
        last_used_at=_when(raw.get("last_used_at")),
    )


def _when(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) and value else None


# --- turning it on and off (through the engine) --------------------------------------------


@transaction.atomic
def scim_enable(*, actor: User | None, setup: SsoSetup) -> SyncOperation:
    return _configure(actor, setup, "enable")


@transaction.atomic
def scim_disable(*, actor: User | None, setup: SsoSetup) -> SyncOperation:
    """Auth0 deletes the configuration and its tokens; provisioned users stay."""
    return _configure(actor, setup, "disable")


def _configure(actor: User | None, setup: SsoSetup, intent: str) -> SyncOperation:
    connection, _ = _connection(setup)
    op = record_operation(
        kind=KIND,
        target=connection,
        organization=setup.organization,
        payload={"intent": intent, "connection_id": connection.pk},
        actor=actor,
    )
    audit(
        actor=actor,
        action=f"scim.{intent}",
        organization=setup.organization,
        target=connection.name,
    )
    return op


# --- tokens (synchronous: the value lives only in Auth0's answer) ---------------------------


def scim_token_create(
    *, actor: User | None, setup: SsoSetup, scopes: Sequence[str], lifetime_days: int
) -> CreatedToken:
    connection, auth0_id = _connection(setup)
    wanted = [s for s in TOKEN_SCOPES if s in scopes]
    if not wanted:
        raise ServiceError("Choose at least one thing the token may do.", field="scopes")
    if not 1 <= lifetime_days <= MAX_LIFETIME_DAYS:
        raise ServiceError(
            f"A token lasts between 1 and {MAX_LIFETIME_DAYS} days.", field="lifetime_days"
        )
    try:
        if len(gateway.list_tokens(auth0_id)) >= MAX_TOKENS:
            raise ServiceError(
                f"Auth0 allows {MAX_TOKENS} tokens per connection. Revoke one first."
            )
        created = gateway.create_token(
            auth0_id, scopes=wanted, lifetime_seconds=lifetime_days * 86400
        )
    except Auth0Error as exc:
        raise ServiceError(_token_failure(exc)) from None
    token = CreatedToken(
        token_id=str(created.get("token_id", "")),
        value=str(created.get("token", "")),
        scopes=list(created.get("scopes") or wanted),
        valid_until=_when(created.get("valid_until")),
    )
    audit(
        actor=actor,
        action="scim.token_create",
        organization=setup.organization,
        target=f"{connection.name} {token.token_id}",
        scopes=token.scopes,
        lifetime_days=lifetime_days,
    )
    return token


def scim_token_revoke(*, actor: User | None, setup: SsoSetup, token_id: str) -> None:
    connection, auth0_id = _connection(setup)
    try:
        gateway.delete_token(auth0_id, token_id)
    except Auth0Error as exc:
        raise ServiceError(_token_failure(exc)) from None
    audit(
        actor=actor,
        action="scim.token_revoke",
        organization=setup.organization,
        target=f"{connection.name} {token_id}",
    )


def _token_failure(exc: Auth0Error) -> str:
    if exc.status == 404:
        return "Directory provisioning is not turned on for this connection."
    if exc.status == 409:
        return f"Auth0 allows {MAX_TOKENS} tokens per connection. Revoke one first."
    return "Auth0 did not make the change. Nothing was changed; try again shortly."
