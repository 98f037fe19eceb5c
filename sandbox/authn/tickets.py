"""The pages a ticket link opens: password change (``/lo/reset``) and email verification.

Tickets are created by the Management API (``POST /tickets/password-change``,
``POST /tickets/email-verification``) and stored in ``state.tickets``. Like Auth0,
a ticket works once and not after ``expires_at``.
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from ..passwords import hash_password
from ..state import Ticket, User, iso
from . import pages, policy
from .env import Env
from .finish import log_fields
from .respond import html, redirect, with_query

CHANGED = "You can now login to the application with the new password."
VERIFIED = "Your email was verified. You can continue using the application."


def _kind_matches(ticket: Ticket, word: str) -> bool:
    return word in ticket.kind.replace("-", "_")


def _open(env: Env, request: Request, word: str) -> tuple[Ticket, User] | Response:
    ticket = env.state.tickets.get(request.values.get("ticket") or "")
    if ticket is None or not _kind_matches(ticket, word):
        return html(pages.message_page("Invalid link", "This link is invalid."), 404)
    if ticket.used:
        return html(pages.message_page("Link already used", "This link was already used."), 400)
    if ticket.expires_at <= env.now():
        return html(pages.message_page("Access expired", "This link has expired."), 400)
    user = env.state.users.get(ticket.user_id or "")
    if user is None:
        return html(pages.message_page("Invalid link", "The user no longer exists."), 404)
    return ticket, user


def _result(ticket: Ticket, user: User, message: str, title: str) -> Response:
    result_url = ticket.data.get("result_url")
    if result_url:
        params: dict[str, str | None] = {"success": "true", "message": message}
        if ticket.data.get("includeEmailInRedirect"):
            params["email"] = user.email
        return redirect(with_query(str(result_url), params))
    return html(pages.message_page(title, message))


def reset_password(env: Env, request: Request) -> Response:
    opened = _open(env, request, "password")
    if isinstance(opened, Response):
        return opened
    ticket, user = opened
    conn = env.state.connection_by_name(user.connection)

    def show(error: str | None = None, status: int = 200) -> Response:
        body = pages.reset_password_page(ticket=ticket.id, email=user.email, error=error)
        return html(body, status)

    if request.method == "GET":
        return show()
    password = request.form.get("password") or ""
    fields = log_fields(request, user=user, conn=conn)
    if ticket.data.get("client_id") in env.state.clients:
        fields.update(log_fields(None, client=env.state.clients[ticket.data["client_id"]]))
    if password != (request.form.get("confirm") or ""):
        return show("Please ensure the password and the confirmation are the same.", 400)
    weakness = policy.check(password, conn.options if conn else None)
    if weakness:
        env.write_log("fcp", weakness, **fields)
        return show(weakness, 400)
    user.password_hash = hash_password(password)
    if ticket.data.get("mark_email_as_verified"):
        user.email_verified = True
    user.updated_at = iso(env.now())
    ticket.used = True
    env.write_log("scp", "Changed password", **fields)
    return _result(ticket, user, CHANGED, "Password changed")


def verify_email(env: Env, request: Request) -> Response:
    opened = _open(env, request, "verif")
    if isinstance(opened, Response):
        return opened
    ticket, user = opened
    user.email_verified = True
    user.updated_at = iso(env.now())
    ticket.used = True
    env.write_log("sv", "Email was verified", **log_fields(request, user=user))
    return _result(ticket, user, VERIFIED, "Email verified")
