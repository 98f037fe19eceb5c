"""Universal-Login-like pages: ``/u/login``, ``/u/organization`` and the invitation page."""

from __future__ import annotations

from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from ..passwords import verify_password
from ..state import Client, Connection, Invitation, Organization, User
from . import pages, policy, rules, store
from .authorize import idp_url, next_page
from .env import Env
from .finish import complete, fail, log_fields, txn_org
from .respond import error_page, html, redirect

WRONG_CREDENTIALS = "Wrong email or password."


def load_transaction(env: Env, request: Request) -> tuple[store.Txn, Client] | Response:
    txn = store.get_transaction(env.state, request.values.get("state"), env.now())
    if txn is None:
        return error_page("invalid_request", "Invalid state: this login page has expired.")
    client = env.state.clients.get(txn["client_id"])
    if client is None:
        return error_page("invalid_request", f"Unknown client: {txn['client_id']}")
    return txn, client


def candidates(env: Env, txn: store.Txn, client: Client) -> list[Connection]:
    usable = rules.connections_for(env.state, client, txn_org(env, txn))
    if txn.get("connection"):
        usable = [c for c in usable if c.name == txn["connection"]]
    return usable


def _shown_as_button(conn: Connection, org: Organization | None) -> bool:
    if org is not None and conn.id in org.connections:
        return org.connections[conn.id].show_as_button
    return conn.show_as_button is not False


def login(env: Env, request: Request) -> Response:
    loaded = load_transaction(env, request)
    if isinstance(loaded, Response):
        return loaded
    txn, client = loaded
    org = txn_org(env, txn)
    usable = candidates(env, txn, client)
    enterprise = [c for c in usable if rules.is_enterprise(c)]
    databases = [c for c in usable if rules.is_database(c)]
    picked = request.args.get("connection")
    if request.method == "GET" and picked:
        chosen = next((c for c in enterprise if c.name == picked), None)
        if chosen is None:
            return error_page("invalid_request", "the connection is not enabled")
        return redirect(idp_url(chosen.name, txn["id"], txn.get("login_hint")))

    def show(error: str | None = None, email: str | None = None, status: int = 200) -> Response:
        buttons = [
            (
                c.display_name or c.name,
                f"{pages.LOGIN_PATH}?state={quote(txn['id'])}&connection={quote(c.name)}",
            )
            for c in enterprise
            if _shown_as_button(c, org)
        ]
        body = pages.login_page(
            state=txn["id"],
            client_name=client.name,
            org_name=(org.display_name or org.name) if org else None,
            email=email if email is not None else txn.get("login_hint"),
            error=error,
            database=bool(databases),
            buttons=buttons,
        )
        return html(body, status)

    if request.method == "GET":
        return show()
    email = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    # Home realm discovery: an address of an enterprise connection's domain goes to its IdP.
    domain = rules.email_domain(email)
    for conn in enterprise:
        if domain and domain in rules.connection_domains(conn):
            return redirect(idp_url(conn.name, txn["id"], email))
    if not databases:
        return show("This application has no database connection.", email, 400)
    user = next(
        (u for c in databases if (u := env.state.user_by_email(email, c.name)) is not None),
        None,
    )
    fields = log_fields(request, client=client, org=org, user=user, user_name=email)
    if user is None:
        env.write_log("fu", WRONG_CREDENTIALS, **fields, connection=databases[0].name)
        return show(WRONG_CREDENTIALS, email, 400)
    conn = env.state.connection_by_name(user.connection) or databases[0]
    fields = log_fields(request, client=client, org=org, user=user, conn=conn)
    if not verify_password(password, user.password_hash):
        env.write_log("fp", WRONG_CREDENTIALS, **fields)
        return show(WRONG_CREDENTIALS, email, 400)
    if user.blocked:
        env.write_log("f", "user is blocked", **fields)
        return show("Your account has been blocked.", email, 400)
    return complete(env, request, txn, user, conn)


def organization(env: Env, request: Request) -> Response:
    loaded = load_transaction(env, request)
    if isinstance(loaded, Response):
        return loaded
    txn, client = loaded
    if request.method == "GET":
        return html(pages.organization_page(state=txn["id"], client_name=client.name))
    value = (request.form.get("organizationName") or "").strip()
    org = rules.find_organization(env.state, value) if value else None
    if org is None:
        body = pages.organization_page(
            state=txn["id"],
            client_name=client.name,
            value=value,
            error="The organization you entered is invalid.",
        )
        return html(body, 400)
    txn["org_id"] = org.id
    txn["needs_org"] = False
    return redirect(next_page(env, txn))


def _invitation(env: Env, txn: store.Txn) -> tuple[Organization, Invitation] | None:
    org = txn_org(env, txn)
    inv = org.invitations.get(txn.get("invitation_id") or "") if org else None
    if org is None or inv is None or inv.expires_at <= env.now():
        return None
    return org, inv


def _invitation_connection(
    env: Env, txn: store.Txn, client: Client, inv: Invitation
) -> Connection | None:
    """The invitation's connection, else the org's database connection, else a matching IdP."""
    usable = candidates(env, txn, client)
    if inv.connection_id:
        return next((c for c in usable if c.id == inv.connection_id), None)
    databases = [c for c in usable if rules.is_database(c)]
    if databases:
        return databases[0]
    domain = rules.email_domain(inv.invitee_email)
    return next((c for c in usable if domain in rules.connection_domains(c)), None)


def accept(env: Env, request: Request, txn: store.Txn, user: User, conn: Connection) -> Response:
    """Make ``user`` a member with the invitation's roles, consume it, then log in."""
    found = _invitation(env, txn)
    if found is None:
        return fail(
            env,
            request,
            txn,
            "invalid_request",
            "invitation not found or already used",
            log_type="fi",
            user=user,
            conn=conn,
        )
    org, inv = found
    client = env.state.clients.get(txn["client_id"])
    if user.email.lower() != inv.invitee_email.lower():
        return fail(
            env,
            request,
            txn,
            "access_denied",
            "the specified account is not allowed to accept the current invitation",
            log_type="fi",
            user=user,
            conn=conn,
        )
    rules.add_member(org, user.user_id, inv.roles, env.now())
    del org.invitations[inv.id]
    fields = log_fields(request, client=client, conn=conn, user=user, org=org)
    env.write_log("si", "Successfully accepted a user invitation", **fields)
    return complete(env, request, txn, user, conn)


def invitation(env: Env, request: Request) -> Response:
    loaded = load_transaction(env, request)
    if isinstance(loaded, Response):
        return loaded
    txn, client = loaded
    found = _invitation(env, txn)
    if found is None:
        return fail(
            env,
            request,
            txn,
            "invalid_request",
            "invitation not found or already used",
            log_type="fi",
        )
    org, inv = found
    conn = _invitation_connection(env, txn, client, inv)
    if conn is None:
        return fail(
            env,
            request,
            txn,
            "invalid_request",
            "no connection of the organization can accept this invitation",
            log_type="fi",
        )
    org_label = org.display_name or org.name
    if rules.is_enterprise(conn):
        body = pages.invitation_page(
            state=txn["id"],
            org_name=org_label,
            inviter=inv.inviter_name,
            email=inv.invitee_email,
            existing=False,
            idp_href=idp_url(conn.name, txn["id"], inv.invitee_email),
        )
        return html(body)
    user = env.state.user_by_email(inv.invitee_email, conn.name)

    def show(error: str | None = None, status: int = 200) -> Response:
        body = pages.invitation_page(
            state=txn["id"],
            org_name=org_label,
            inviter=inv.inviter_name,
            email=inv.invitee_email,
            existing=user is not None,
            error=error,
        )
        return html(body, status)

    if request.method == "GET":
        return show()
    password = request.form.get("password") or ""
    fields = log_fields(
        request, client=client, conn=conn, org=org, user=user, user_name=inv.invitee_email
    )
    if user is not None:
        if not verify_password(password, user.password_hash):
            env.write_log("fp", WRONG_CREDENTIALS, **fields)
            return show(WRONG_CREDENTIALS, 400)
        return accept(env, request, txn, user, conn)
    weakness = policy.check(password, conn.options)
    if weakness:
        env.write_log("fs", weakness, **fields)
        return show(weakness, 400)
    user = rules.create_database_user(env.state, conn, inv.invitee_email, password, env.now())
    # The invitee proved the address by following the emailed link.
    user.email_verified = True
    user.app_metadata.update(inv.app_metadata)
    user.user_metadata.update(inv.user_metadata)
    env.write_log(
        "ss",
        "Successful signup",
        **log_fields(request, client=client, conn=conn, user=user, org=org),
    )
    return accept(env, request, txn, user, conn)
