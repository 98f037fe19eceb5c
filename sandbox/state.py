"""The tenant's state: plain dataclasses behind one re-entrant lock.

Every request handler runs with `state.lock` held (the app takes it), so handlers read
and write freely. Code running outside a request (the CLI, seeding, tests poking at
state directly) takes `with state.lock:` itself.

Fields that Auth0 returns but the sandbox has no logic for travel in each entity's
`extra` dict, so route modules can round-trip them without a schema change here.
"""

from __future__ import annotations

import secrets
import string
import threading
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]
_ALNUM = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 16) -> str:
    """`org_` + 16 letters/digits, the shape Auth0 uses for most ids."""
    body = "".join(secrets.choice(_ALNUM) for _ in range(length))
    return f"{prefix}_{body}" if prefix else body


def iso(ts: float) -> str:
    """Auth0's timestamp format: `2026-06-25T10:00:00.000Z`."""
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


@dataclass
class Client:
    client_id: str
    name: str
    client_secret: str = ""
    app_type: str = "regular_web"
    description: str = ""
    callbacks: list[str] = field(default_factory=list)
    allowed_logout_urls: list[str] = field(default_factory=list)
    web_origins: list[str] = field(default_factory=list)
    allowed_origins: list[str] = field(default_factory=list)
    grant_types: list[str] = field(default_factory=list)
    initiate_login_uri: str | None = None
    organization_usage: str = "deny"
    organization_require_behavior: str = "no_prompt"
    is_first_party: bool = True
    oidc_conformant: bool = True
    token_endpoint_auth_method: str = "client_secret_post"
    client_metadata: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    extra: JSON = field(default_factory=dict)


@dataclass
class ClientGrant:
    id: str
    client_id: str
    audience: str
    scope: list[str] = field(default_factory=list)
    extra: JSON = field(default_factory=dict)


@dataclass
class Connection:
    id: str
    name: str
    strategy: str
    display_name: str = ""
    options: JSON = field(default_factory=dict)
    enabled_clients: list[str] = field(default_factory=list)
    is_domain_connection: bool = False
    show_as_button: bool | None = None
    realms: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    extra: JSON = field(default_factory=dict)


@dataclass
class User:
    user_id: str
    connection: str
    provider: str = "auth0"
    email: str = ""
    email_verified: bool = False
    password_hash: str | None = None
    username: str | None = None
    name: str = ""
    nickname: str = ""
    given_name: str | None = None
    family_name: str | None = None
    picture: str = ""
    app_metadata: JSON = field(default_factory=dict)
    user_metadata: JSON = field(default_factory=dict)
    blocked: bool = False
    created_at: str = ""
    updated_at: str = ""
    last_login: str | None = None
    last_ip: str | None = None
    logins_count: int = 0
    extra: JSON = field(default_factory=dict)
    # What an enterprise IdP sent at the last login (SAML attributes, OIDC claims), by
    # name; Auth0 shows it as `identities[0].profileData` (and at the profile's root).
    profile_data: JSON = field(default_factory=dict)

    def identities(self) -> list[JSON]:
        # Auth0 lists the primary identity with the part of user_id after the `|`.
        identity: JSON = {
            "connection": self.connection,
            "provider": self.provider,
            "user_id": self.user_id.split("|", 1)[-1],
            "isSocial": False,
        }
        if self.profile_data:
            identity["profileData"] = dict(self.profile_data)
        return [identity]


@dataclass
class Role:
    id: str
    name: str
    description: str = ""
    # `{resource_server_identifier, permission_name}` pairs, in the order they were added.
    permissions: list[dict[str, str]] = field(default_factory=list)


@dataclass
class OrgConnection:
    """A connection associated with an organization.

    `/enabled_connections` shows only entries with `is_enabled`; the newer
    `/connections` view shows all and can hold disabled ones. Login code should use
    `Organization.enabled_connection(id)`.
    """

    connection_id: str
    assign_membership_on_login: bool = False
    show_as_button: bool = True
    is_signup_enabled: bool = False
    is_enabled: bool = True
    organization_connection_name: str | None = None
    organization_access_level: str | None = None
    extra: JSON = field(default_factory=dict)


@dataclass
class Member:
    user_id: str
    roles: list[str] = field(default_factory=list)
    created_at: str = ""


@dataclass
class Invitation:
    id: str
    organization_id: str
    inviter_name: str
    invitee_email: str
    client_id: str
    ticket_id: str
    invitation_url: str
    created_at: float
    expires_at: float
    connection_id: str | None = None
    roles: list[str] = field(default_factory=list)
    app_metadata: JSON = field(default_factory=dict)
    user_metadata: JSON = field(default_factory=dict)


@dataclass
class DiscoveryDomain:
    id: str
    domain: str
    status: str = "pending"
    verification_txt: str = ""
    verification_host: str = ""
    use_for_organization_discovery: bool = True


@dataclass
class Organization:
    id: str
    name: str
    display_name: str = ""
    branding: JSON | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    token_quota: JSON | None = None
    created_at: str = ""
    # Insertion-ordered: listing order is creation order, as checkpoint paging needs.
    connections: dict[str, OrgConnection] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    invitations: dict[str, Invitation] = field(default_factory=dict)
    discovery_domains: dict[str, DiscoveryDomain] = field(default_factory=dict)
    # Ids of the client grants associated with the organization, in association order.
    client_grants: list[str] = field(default_factory=list)
    extra: JSON = field(default_factory=dict)

    def enabled_connection(self, connection_id: str) -> OrgConnection | None:
        entry = self.connections.get(connection_id)
        return entry if entry is not None and entry.is_enabled else None

    def enabled_connections(self) -> list[OrgConnection]:
        return [c for c in self.connections.values() if c.is_enabled]

    def live_invitations(self, now: float) -> list[Invitation]:
        """Invitations not yet expired (Auth0 stops returning expired ones)."""
        return [i for i in self.invitations.values() if i.expires_at > now]


@dataclass
class Ticket:
    """A one-time link: password change, email verification, self-service SSO, ..."""

    id: str
    kind: str
    created_at: float
    expires_at: float
    user_id: str | None = None
    used: bool = False
    data: JSON = field(default_factory=dict)


@dataclass
class SelfServiceProfile:
    id: str
    name: str
    description: str = ""
    allowed_strategies: list[str] = field(default_factory=list)
    user_attributes: list[JSON] = field(default_factory=list)
    branding: JSON | None = None
    created_at: str = ""
    updated_at: str = ""
    extra: JSON = field(default_factory=dict)


@dataclass
class LogEntry:
    log_id: str
    date: str
    type: str
    description: str = ""
    client_id: str | None = None
    client_name: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    connection: str | None = None
    connection_id: str | None = None
    organization_id: str | None = None
    organization_name: str | None = None
    details: JSON = field(default_factory=dict)

    def to_api(self) -> JSON:
        """The `/logs` shape: unset fields are left out, as Auth0 does."""
        out: JSON = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name == "details" and not value):
                continue
            out[f.name] = value
        out["_id"] = self.log_id
        return out


@dataclass
class Email:
    id: str
    to: str
    subject: str
    text: str
    html: str
    created_at: str
    kind: str = ""
    meta: JSON = field(default_factory=dict)


@dataclass
class LogStream:
    id: str
    name: str
    type: str
    status: str = "active"
    sink: JSON = field(default_factory=dict)
    filters: list[JSON] = field(default_factory=list)


@dataclass
class SigningKey:
    kid: str
    private_pem: str
    created_at: str = ""


@dataclass
class HostedCertificate:
    """One signing certificate of a stand-in SAML IdP (`sandbox/authn/idp_hosting.py`)."""

    cert_pem: str
    private_pem: str
    created_at: str = ""


@dataclass
class HostedIdp:
    """A stand-in SAML IdP whose metadata the sandbox serves, certificates oldest first."""

    key: str
    certificates: list[HostedCertificate] = field(default_factory=list)
    created_at: str = ""


@dataclass
class ScimToken:
    """A SCIM client's bearer token: only its SHA-256 is kept (the value is shown once)."""

    token_id: str
    token_sha256: str
    scopes: list[str] = field(default_factory=list)
    created_at: str = ""
    valid_until: str | None = None
    last_used_at: str | None = None


@dataclass
class ScimConfiguration:
    """Inbound SCIM on one connection (`/connections/{id}/scim-configuration`)."""

    connection_id: str
    user_id_attribute: str = "externalId"
    mapping: list[JSON] = field(default_factory=list)
    created_at: str = ""
    updated_on: str = ""
    tokens: dict[str, ScimToken] = field(default_factory=dict)


# Attributes of State that are persisted in snapshots and cleared by reset.
PERSISTED = (
    "clients",
    "client_grants",
    "connections",
    "organizations",
    "users",
    "roles",
    "tickets",
    "self_service_profiles",
    "logs",
    "emails",
    "log_streams",
    "email_provider",
    "signing_key",
    "hosted_idps",
    "scim_configurations",
)


@dataclass
class State:
    clients: dict[str, Client] = field(default_factory=dict)
    client_grants: dict[str, ClientGrant] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)
    organizations: dict[str, Organization] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    self_service_profiles: dict[str, SelfServiceProfile] = field(default_factory=dict)
    logs: list[LogEntry] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    log_streams: dict[str, LogStream] = field(default_factory=dict)
    email_provider: JSON | None = None
    signing_key: SigningKey | None = None
    hosted_idps: dict[str, HostedIdp] = field(default_factory=dict)
    # By connection id; a snapshot written before SCIM existed simply has none.
    scim_configurations: dict[str, ScimConfiguration] = field(default_factory=dict)
    # Per-module scratch space (authorization codes, login sessions, ...): namespaced by
    # the owning module, cleared on reset, never written to snapshots.
    scratch: dict[str, JSON] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def clear(self, keep_signing_key: bool = True) -> None:
        """Empty the tenant in place, so references to this object stay valid."""
        with self.lock:
            key = self.signing_key
            fresh = State()
            for name in (*PERSISTED, "scratch"):
                setattr(self, name, getattr(fresh, name))
            if keep_signing_key:
                self.signing_key = key

    def ns(self, namespace: str) -> JSON:
        """A module's scratch dict, created on first use."""
        return self.scratch.setdefault(namespace, {})

    # Lookups every route module needs.
    def user_by_email(self, email: str, connection: str | None = None) -> User | None:
        wanted = email.lower()
        for user in self.users.values():
            if user.email.lower() == wanted and connection in (None, user.connection):
                return user
        return None

    def connection_by_name(self, name: str) -> Connection | None:
        for conn in self.connections.values():
            if conn.name == name:
                return conn
        return None

    def organization_by_name(self, name: str) -> Organization | None:
        for org in self.organizations.values():
            if org.name == name:
                return org
        return None

    def role_by_name(self, name: str) -> Role | None:
        for role in self.roles.values():
            if role.name == name:
                return role
        return None
