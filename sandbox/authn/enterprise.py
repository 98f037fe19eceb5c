"""The simulated upstream identity provider for enterprise connections.

A real tenant would send the browser to the customer's IdP (SAML, OIDC, Entra ID,
...) and read the assertion on ``/login/callback``. The sandbox has no such IdP, so
this page stands in for it: the tester types any address of the connection's
domains, and the login continues as if the IdP had asserted that identity.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from . import pages, rules
from .env import Env
from .finish import complete, log_fields, txn_org
from .login import accept, candidates, load_transaction
from .respond import error_page, html

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def idp(env: Env, request: Request, connection: str) -> Response:
    loaded = load_transaction(env, request)
    if isinstance(loaded, Response):
        return loaded
    txn, client = loaded
    conn = next((c for c in candidates(env, txn, client) if c.name == connection), None)
    if conn is None or not rules.is_enterprise(conn):
        return error_page("invalid_request", "the connection is not enabled")
    domains = rules.connection_domains(conn)
    action = f"{pages.IDP_PATH_PREFIX}{quote(conn.name)}?state={quote(txn['id'])}"

    def show(error: str | None = None, email: str | None = None, status: int = 200) -> Response:
        body = pages.idp_page(
            action=action,
            state=txn["id"],
            connection=conn.display_name or conn.name,
            strategy=conn.strategy,
            domains=domains,
            email=email if email is not None else request.args.get("login_hint"),
            error=error,
        )
        return html(body, status)

    if request.method == "GET":
        return show()
    email = (request.form.get("email") or "").strip()
    name = (request.form.get("name") or "").strip()
    if not _EMAIL_RE.match(email):
        return show("Enter an email address.", email, 400)
    if domains and rules.email_domain(email) not in domains:
        allowed = ", ".join("@" + d for d in domains)
        return show(f"This identity provider only signs in addresses at {allowed}.", email, 400)
    user, created = rules.find_or_create_enterprise_user(env.state, conn, email, name, env.now())
    if created:
        fields = log_fields(request, client=client, conn=conn, user=user, org=txn_org(env, txn))
        env.write_log("ss", "Successful signup", **fields)
    if txn.get("invitation_id"):
        return accept(env, request, txn, user, conn)
    return complete(env, request, txn, user, conn)
