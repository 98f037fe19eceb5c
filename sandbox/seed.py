"""The demo seed: what a real tenant prepared for the portal would hold.

Constants here are importable by the portal and by tests (`from sandbox.seed import
DEMO_CREDENTIALS`); `python -m sandbox serve --seed demo` and `make run` apply it.
Ids are derived from names, so the same seed gives the same ids on every run.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from .config import DEFAULT_PORTAL_URL
from .passwords import seed_hash
from .routing import declared_scopes
from .state import (
    Client,
    ClientGrant,
    Connection,
    Member,
    Organization,
    OrgConnection,
    Role,
    State,
    User,
    iso,
)

PORTAL_LOGIN_CLIENT_ID = "sandbox-portal-login"
PORTAL_LOGIN_CLIENT_SECRET = "sandbox-portal-login-secret"
PORTAL_M2M_CLIENT_ID = "sandbox-portal-m2m"
PORTAL_M2M_CLIENT_SECRET = "sandbox-portal-m2m-secret"
DEMO_APP_CLIENT_ID = "sandbox-demo-app"
DEMO_APP_CLIENT_SECRET = "sandbox-demo-app-secret"
DATABASE_CONNECTION = "Username-Password-Authentication"
# The two loopback names, each standing in for the other (a browser may use either).
_LOOPBACK_TWINS = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}
STAFF_ORGANIZATION = "staff"
M2M_CLIENT_NAME = "Organization Admin Portal (Management API)"

# Every Management API scope the portal uses. Scopes declared by registered routes are
# added at grant time (`portal_scopes()`), so a new route never locks the portal out.
_CRUD_SCOPES = tuple(
    f"{verb}:{thing}"
    for thing in (
        "organizations",
        "organization_connections",
        "organization_members",
        "organization_member_roles",
        "organization_invitations",
        "organization_discovery_domains",
        "connections",
        "connections_options",
        "clients",
        "client_grants",
        "users",
        "users_app_metadata",
        "roles",
        "self_service_profiles",
    )
    for verb in ("read", "create", "update", "delete")
)
PORTAL_SCOPES = (
    *_CRUD_SCOPES,
    "read:organizations_summary",
    "read:client_keys",
    "read:logs",
    "read:logs_users",
    "read:log_streams",
    "read:email_provider",
    "create:user_tickets",
    "create:sso_access_tickets",
    "delete:sso_access_tickets",
    "read:role_members",
    "create:role_members",
)


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    organization: str
    role: str


DEMO_USERS = (
    DemoUser("staff@portal.test", "Staff-demo-2026!", "staff", "org-admin"),
    DemoUser("admin@acme.test", "Acme-demo-2026!", "acme", "org-admin"),
    DemoUser("member@acme.test", "Acme-member-2026!", "acme", "org-member"),
    DemoUser("admin@globex.test", "Globex-demo-2026!", "globex", "org-admin"),
    DemoUser("member@globex.test", "Globex-member-2026!", "globex", "org-member"),
)
# email -> password, for printing (`make run`) and for tests that log in.
DEMO_CREDENTIALS: dict[str, str] = {u.email: u.password for u in DEMO_USERS}
DEMO_ORGANIZATIONS = {"staff": "Portal Staff", "acme": "Acme Corp", "globex": "Globex Inc"}
DEMO_ROLES = {
    "org-admin": "Administers an organization in the portal",
    "org-member": "A member of an organization",
}

_B62 = string.digits + string.ascii_letters


def stable_id(prefix: str, name: str, length: int = 16) -> str:
    """`org_` + 16 letters/digits derived from `name`: same seed, same ids."""
    number = int.from_bytes(hashlib.sha256(f"{prefix}:{name}".encode()).digest(), "big")
    chars = []
    for _ in range(length):
        number, rem = divmod(number, 62)
        chars.append(_B62[rem])
    return f"{prefix}_{''.join(chars)}"


def stable_user_id(email: str) -> str:
    return "auth0|" + hashlib.sha256(email.encode()).hexdigest()[:24]


def portal_urls(portal_url: str = DEFAULT_PORTAL_URL) -> list[str]:
    """The portal's base URL and, on a loopback host, its twin on the other loopback name
    (same port): `http://127.0.0.1:9000` gives `http://localhost:9000` too."""
    base = portal_url.rstrip("/")
    parts = urlsplit(base)
    twin = _LOOPBACK_TWINS.get(parts.hostname or "")
    if twin is None:
        return [base]
    netloc = twin if parts.port is None else f"{twin}:{parts.port}"
    return [base, urlunsplit(parts._replace(netloc=netloc))]


# The demo seed's default portal URLs (`make run` on its default port).
PORTAL_URLS = tuple(portal_urls())


def follow_portal_url(state: State, portal_url: str) -> None:
    """Point the portal login client at where the portal runs now. A snapshot from a run
    on another port keeps that port's URLs (harmless); the current ones come first, and
    `initiate_login_uri` (where invitation links land) is the current portal."""
    client = state.clients.get(PORTAL_LOGIN_CLIENT_ID)
    if client is None:
        return
    urls = portal_urls(portal_url)
    client.callbacks = _first([f"{u}/auth/callback" for u in urls], client.callbacks)
    client.allowed_logout_urls = _first([f"{u}/" for u in urls], client.allowed_logout_urls)
    client.initiate_login_uri = f"{urls[0]}/login/"


def _first(wanted: list[str], existing: list[str]) -> list[str]:
    return wanted + [url for url in existing if url not in wanted]


def portal_scopes() -> list[str]:
    return sorted(set(PORTAL_SCOPES) | declared_scopes())


def ensure_m2m_client(
    state: State, base_url: str, client_id: str, secret: str, now: float, name: str = ""
) -> Client:
    """Create (or keep, updating the secret) an M2M client granted every portal scope."""
    with state.lock:
        client = state.clients.get(client_id)
        if client is None:
            client = Client(
                client_id=client_id,
                name=name or _m2m_name(state, client_id),
                app_type="non_interactive",
                grant_types=["client_credentials"],
                token_endpoint_auth_method="client_secret_post",
                created_at=iso(now),
            )
            state.clients[client_id] = client
        client.client_secret = secret
        audience = base_url.rstrip("/") + "/api/v2/"
        grant_id = stable_id("cgr", client_id)
        grant = state.client_grants.get(grant_id)
        scopes = portal_scopes()
        if grant is None:
            state.client_grants[grant_id] = ClientGrant(grant_id, client_id, audience, scopes)
        else:
            grant.audience = audience
            grant.scope = sorted(set(grant.scope) | set(scopes))
        return client


def _m2m_name(state: State, client_id: str) -> str:
    """The M2M client's name, distinct from every other client's: deploy-cli (and Auth0's
    dashboard) tell clients apart by name, and a configured `--m2m-client-id` other than
    the seed's would otherwise be a second client called the same."""
    taken = {c.name for c in state.clients.values()}
    return M2M_CLIENT_NAME if M2M_CLIENT_NAME not in taken else f"{M2M_CLIENT_NAME} {client_id}"


def apply_seed(
    state: State, name: str, base_url: str, now: float, portal_url: str = DEFAULT_PORTAL_URL
) -> None:
    if name != "demo":
        raise ValueError(f"unknown seed {name!r} (known: demo)")
    with state.lock:
        _seed_demo(state, base_url.rstrip("/"), now)
        follow_portal_url(state, portal_url)


def _seed_demo(state: State, base: str, now: float) -> None:
    created = iso(now)
    login = Client(
        client_id=PORTAL_LOGIN_CLIENT_ID,
        client_secret=PORTAL_LOGIN_CLIENT_SECRET,
        name="Organization Admin Portal",
        app_type="regular_web",
        # callbacks, allowed_logout_urls and initiate_login_uri: follow_portal_url
        grant_types=["authorization_code", "refresh_token"],
        organization_usage="allow",
        organization_require_behavior="post_login_prompt",
        created_at=created,
    )
    demo_app = Client(
        client_id=DEMO_APP_CLIENT_ID,
        client_secret=DEMO_APP_CLIENT_SECRET,
        name="Demo SaaS App",
        app_type="regular_web",
        callbacks=[f"{base}/__sandbox__/demo-app/callback"],
        allowed_logout_urls=[f"{base}/__sandbox__/demo-app/"],
        grant_types=["authorization_code", "refresh_token"],
        initiate_login_uri=f"{base}/__sandbox__/demo-app/login",
        organization_usage="require",
        organization_require_behavior="pre_login_prompt",
        created_at=created,
    )
    for client in (login, demo_app):
        state.clients.setdefault(client.client_id, client)
    ensure_m2m_client(state, base, PORTAL_M2M_CLIENT_ID, PORTAL_M2M_CLIENT_SECRET, now)

    conn_id = stable_id("con", DATABASE_CONNECTION)
    conn = state.connections.setdefault(
        conn_id,
        Connection(
            id=conn_id,
            name=DATABASE_CONNECTION,
            strategy="auth0",
            display_name=DATABASE_CONNECTION,
            options={"brute_force_protection": True, "disable_signup": False},
            realms=[DATABASE_CONNECTION],
            created_at=created,
        ),
    )
    for client_id in (PORTAL_LOGIN_CLIENT_ID, DEMO_APP_CLIENT_ID):
        if client_id not in conn.enabled_clients:
            conn.enabled_clients.append(client_id)

    role_ids = {}
    for role_name, description in DEMO_ROLES.items():
        role_id = stable_id("rol", role_name)
        state.roles.setdefault(role_id, Role(role_id, role_name, description))
        role_ids[role_name] = role_id

    for org_name, display in DEMO_ORGANIZATIONS.items():
        org_id = stable_id("org", org_name)
        org = state.organizations.setdefault(
            org_id, Organization(id=org_id, name=org_name, display_name=display, created_at=created)
        )
        org.connections.setdefault(conn_id, OrgConnection(conn_id, is_signup_enabled=False))

    for demo in DEMO_USERS:
        user_id = stable_user_id(demo.email)
        user = state.users.setdefault(
            user_id,
            User(
                user_id=user_id,
                connection=DATABASE_CONNECTION,
                email=demo.email,
                email_verified=True,
                password_hash=seed_hash(demo.password),
                name=demo.email,
                nickname=demo.email.split("@")[0],
                picture="https://s.gravatar.com/avatar/sandbox?d=identicon",
                created_at=created,
                updated_at=created,
            ),
        )
        org = state.organizations[stable_id("org", demo.organization)]
        member = org.members.setdefault(user.user_id, Member(user.user_id, created_at=created))
        if role_ids[demo.role] not in member.roles:
            member.roles.append(role_ids[demo.role])
