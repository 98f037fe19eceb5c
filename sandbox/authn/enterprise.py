"""The stand-in for a customer's identity provider (``/__sandbox__/idp/<connection>``).

A real tenant sends the browser to the customer's IdP (SAML, OIDC, Entra ID, ...) and
reads the assertion on ``/login/callback``. The sandbox has no such IdP, so this page
plays it: the tester says who signs in (NameID / ``sub``), which attributes or claims
the IdP sends, and optionally which failure to simulate; the login then continues as
Auth0 would continue it (mapping in ``standin_idp.py``, defaults in ``idp_presets.py``).

Typing only an email address still works (the fields left empty are derived from it),
so older callers posting ``email`` and ``name`` behave as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from ..state import Client, Connection
from . import idp_presets, pages, rules, standin_idp, store
from .env import Env
from .finish import complete, fail, log_fields, txn_org
from .login import accept, candidates, load_transaction
from .respond import error_page, html

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ROW_RE = re.compile(r"^attr_(name|value)_(\d{1,3})$")


@dataclass
class Submitted:
    """The page's form as posted (kept raw, so an error page shows what was typed)."""

    email: str
    display_name: str
    subject: str
    rows: standin_idp.Rows
    failure: str


def _posted_rows(request: Request) -> standin_idp.Rows:
    found: dict[int, dict[str, str]] = {}
    for key, value in request.form.items():
        match = _ROW_RE.match(key)
        if match:
            found.setdefault(int(match.group(2)), {})[match.group(1)] = value
    rows = [(found[i].get("name", ""), found[i].get("value", "")) for i in sorted(found)]
    return [(name, value) for name, value in rows if name.strip() or value.strip()]


def _submitted(env: Env, request: Request, conn: Connection) -> Submitted:
    preset = idp_presets.get_preset(env.state, conn.name)
    failure = request.form.get("failure") or preset["failure"] or "none"
    return Submitted(
        email=(request.form.get("email") or "").strip(),
        display_name=(request.form.get("name") or "").strip(),
        subject=(request.form.get("subject") or "").strip(),
        rows=_posted_rows(request),
        failure=failure if failure in standin_idp.FAILURES else "none",
    )


def _initial(env: Env, conn: Connection, login_hint: str | None) -> Submitted:
    """What the page shows first: the connection's preset, else the happy path."""
    preset = idp_presets.get_preset(env.state, conn.name)
    hint = (login_hint or "").strip()
    attributes = preset["attributes"]
    rows = (
        standin_idp.rows_from_attributes(attributes)
        if attributes is not None
        else standin_idp.default_rows(conn, hint or None)
    )
    return Submitted(
        email=hint,
        display_name="",
        subject=preset["subject"] if preset["subject"] is not None else hint.lower(),
        rows=rows,
        failure=preset["failure"] or "none",
    )


def _page(txn: store.Txn, conn: Connection, form: Submitted, error: str | None) -> str:
    return pages.idp_page(
        action=f"{pages.IDP_PATH_PREFIX}{quote(conn.name)}?state={quote(txn['id'])}",
        state=txn["id"],
        connection=conn.display_name or conn.name,
        strategy=conn.strategy,
        domains=rules.connection_domains(conn),
        saml=standin_idp.is_saml(conn),
        email=form.email,
        subject=form.subject,
        # Three blank rows for attributes the tester wants to add.
        rows=[*form.rows, ("", ""), ("", ""), ("", "")],
        failure=form.failure,
        failures=standin_idp.FAILURES,
        error=error,
    )


def idp(env: Env, request: Request, connection: str) -> Response:
    if request.method == "GET" and "state" not in request.args:
        return idp_presets.preset_response(env.state, connection)
    loaded = load_transaction(env, request)
    if isinstance(loaded, Response):
        return loaded
    txn, client = loaded
    conn = next((c for c in candidates(env, txn, client) if c.name == connection), None)
    if conn is None or not rules.is_enterprise(conn):
        return error_page("invalid_request", "the connection is not enabled")
    if request.method == "GET":
        return html(_page(txn, conn, _initial(env, conn, request.args.get("login_hint")), None))
    return _sign_in(env, request, txn, client, conn)


def _sign_in(
    env: Env, request: Request, txn: store.Txn, client: Client, conn: Connection
) -> Response:
    form = _submitted(env, request, conn)

    def show(error: str) -> Response:
        return html(_page(txn, conn, form, error), 400)

    description = standin_idp.failure_description(conn, form.failure)
    if description is not None:
        # A response Auth0 refuses ends the login at the application, as Auth0 does.
        return fail(env, request, txn, "access_denied", description, conn=conn)
    if form.email and not _EMAIL_RE.match(form.email):
        return show("Enter a valid email address, or leave it empty.")
    rows = standin_idp.fill_rows(conn, form.rows, form.email, form.display_name)
    attributes = standin_idp.collect(rows)
    if form.failure == "no_email":
        attributes = standin_idp.without_email(conn, attributes)
    subject = form.subject or form.email.lower()
    if not subject:
        noun = "NameID" if standin_idp.is_saml(conn) else "subject"
        return show(f"Enter an email address or the {noun} the identity provider sends.")
    profile = standin_idp.map_profile(conn, subject, attributes)
    domains = rules.connection_domains(conn)
    if profile.email and domains and rules.email_domain(profile.email) not in domains:
        allowed = ", ".join("@" + d for d in domains)
        return show(f"This identity provider only signs in addresses at {allowed}.")
    user, created = rules.upsert_enterprise_user(
        env.state,
        conn,
        user_id=profile.user_id,
        email=profile.email,
        name=profile.name or form.display_name,
        given_name=profile.given_name,
        family_name=profile.family_name,
        raw=profile.raw,
        now=env.now(),
    )
    if created:
        fields = log_fields(request, client=client, conn=conn, user=user, org=txn_org(env, txn))
        env.write_log("ss", "Successful signup", **fields)
    if txn.get("invitation_id"):
        return accept(env, request, txn, user, conn)
    return complete(env, request, txn, user, conn)
