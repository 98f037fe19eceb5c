"""Tenant rules the login pages apply: callbacks, organizations, connections, members.

Functions here read and change ``State`` only; they build no HTTP responses.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from ..passwords import hash_password
from ..state import JSON, Client, Connection, Invitation, Member, Organization, State, User, iso

DATABASE_STRATEGIES = frozenset({"auth0"})
ENTERPRISE_STRATEGIES = frozenset(
    {"samlp", "oidc", "waad", "google-apps", "okta", "adfs", "pingfederate", "ad", "ldap"}
)


def is_database(conn: Connection) -> bool:
    return conn.strategy in DATABASE_STRATEGIES


def is_enterprise(conn: Connection) -> bool:
    return conn.strategy in ENTERPRISE_STRATEGIES


def _wildcard_match(pattern: str, url: str) -> bool:
    # Auth0 allows ``*`` for one subdomain label (``https://*.x.com/cb``), never across dots.
    if "*" not in pattern:
        return False
    regex = "^" + "[^./]+".join(re.escape(part) for part in pattern.split("*")) + "$"
    return re.match(regex, url) is not None


def url_allowed(url: str, allowed: Iterable[str]) -> bool:
    """Exact match, or a match against a leftmost-label ``*`` wildcard."""
    for candidate in allowed:
        candidate = candidate.strip()
        if url == candidate or _wildcard_match(candidate, url):
            return True
    return False


def find_organization(state: State, value: str) -> Organization | None:
    """``organization`` accepts an id (``org_...``) or a name, case-insensitively."""
    if value in state.organizations:
        return state.organizations[value]
    return state.organization_by_name(value.lower())


def find_invitation(org: Organization, ticket: str) -> Invitation | None:
    for inv in org.invitations.values():
        if ticket in (inv.ticket_id, inv.id):
            return inv
    return None


def connections_for(state: State, client: Client, org: Organization | None) -> list[Connection]:
    """Connections a user may log in with: enabled for the client (and the org, if any)."""
    usable = [c for c in state.connections.values() if client.client_id in c.enabled_clients]
    if org is None:
        return usable
    return [c for c in usable if c.id in org.connections]


def connection_domains(conn: Connection) -> list[str]:
    """Email domains an enterprise connection answers for, lower-cased, without dups."""
    opts = conn.options or {}
    found: list[str] = []
    values: list[object] = [*(opts.get("domain_aliases") or [])]
    values += [opts.get("tenant_domain"), opts.get("domain")]
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        domain = value.strip().lower()
        # ``okta``'s ``domain`` is the Okta org host (acme.okta.com), not an email domain.
        if conn.strategy == "okta" and value is opts.get("domain"):
            continue
        if domain not in found:
            found.append(domain)
    return found


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower() if "@" in email else ""


def is_member(org: Organization, user_id: str) -> bool:
    return user_id in org.members


def add_member(org: Organization, user_id: str, roles: Iterable[str], now: float) -> Member:
    member = org.members.get(user_id)
    if member is None:
        member = Member(user_id=user_id, created_at=iso(now))
        org.members[user_id] = member
    for role in roles:
        if role not in member.roles:
            member.roles.append(role)
    return member


def assigns_membership(org: Organization, conn: Connection) -> bool:
    link = org.connections.get(conn.id)
    return bool(link and link.assign_membership_on_login)


def create_database_user(
    state: State, conn: Connection, email: str, password: str, now: float
) -> User:
    stamp = iso(now)
    user = User(
        # Auth0 database user ids are ``auth0|`` plus 24 hex digits (a Mongo ObjectId).
        user_id=f"auth0|{secrets.token_hex(12)}",
        connection=conn.name,
        provider="auth0",
        email=email,
        password_hash=hash_password(password),
        name=email,
        nickname=email.split("@", 1)[0],
        created_at=stamp,
        updated_at=stamp,
    )
    state.users[user.user_id] = user
    return user


def find_or_create_enterprise_user(
    state: State, conn: Connection, email: str, name: str, now: float
) -> tuple[User, bool]:
    """The connection's user for ``email``, created on first login (second item True)."""
    existing = state.user_by_email(email, conn.name)
    if existing is not None:
        return existing, False
    stamp = iso(now)
    user = User(
        user_id=f"{conn.strategy}|{conn.name}|{email.lower()}",
        connection=conn.name,
        provider=conn.strategy,
        email=email.lower(),
        # Enterprise IdPs vouch for the address; Auth0 marks such users verified.
        email_verified=True,
        name=name or email,
        nickname=email.split("@", 1)[0],
        created_at=stamp,
        updated_at=stamp,
    )
    state.users[user.user_id] = user
    return user, True


def upsert_enterprise_user(
    state: State,
    conn: Connection,
    *,
    user_id: str,
    email: str,
    name: str,
    given_name: str | None,
    family_name: str | None,
    raw: JSON,
    now: float,
) -> tuple[User, bool]:
    """The user an IdP assertion names (created on first login: second item True).

    Auth0 keys enterprise users by ``{strategy}|{connection}|{id}`` and, by default
    (``set_user_root_attributes: on_each_login``), refreshes the profile from every
    assertion. ``raw`` (every attribute or claim) goes to the profile's root and to
    ``identities[0].profileData``. An IdP may send no email: the user has none then.
    """
    stamp = iso(now)
    user = state.users.get(user_id)
    created = user is None
    if user is None:
        user = User(
            user_id=user_id,
            connection=conn.name,
            provider=conn.strategy,
            created_at=stamp,
        )
        state.users[user_id] = user
    local = user_id.split("|", 2)[-1]
    user.email = email.lower()
    # Enterprise IdPs vouch for the address; Auth0 marks such users verified.
    user.email_verified = bool(email)
    user.name = name or email or local
    user.nickname = (email.split("@", 1)[0] if email else "") or local
    user.given_name = given_name or None
    user.family_name = family_name or None
    for key in set(user.profile_data) - set(raw):
        user.extra.pop(key, None)
    user.extra.update(raw)
    user.profile_data = dict(raw)
    user.updated_at = stamp
    return user, created


def record_login(user: User, now: float, ip: str | None) -> None:
    user.last_login = iso(now)
    user.last_ip = ip
    user.logins_count += 1
