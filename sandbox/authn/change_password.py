"""`POST /dbconnections/change_password` (Authentication API): email a database user a
link to choose a new password. Nobody sets the password here; the link opens the same
reset page as a Management API password-change ticket (`/lo/reset`).

As Auth0 does, the answer never tells whether the address has an account: an unknown
email gets the same 200 and no mail. Unknown clients, connections that are not database
connections and unknown organizations are refused (400, `{error, error_description}`).
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..errors import OAuthError
from ..mgmt.tickets import PASSWORD_CHANGE, RESET_PATH, issue_ticket, ticket_url
from ..oauth import token_params
from ..routing import Call, route
from ..state import User

SENT = "We've just sent you an email to reset your password."
REQUIRED = ("client_id", "email", "connection")
EMAIL_KIND = "reset_password"


def _refuse(description: str) -> OAuthError:
    return OAuthError(400, "invalid_request", description)


def _checked(call: Call, params: dict[str, str]) -> None:
    for name in REQUIRED:
        if not params.get(name):
            raise _refuse(f"Missing required parameter: {name}")
    if params["client_id"] not in call.state.clients:
        raise _refuse(f"Unknown client: {params['client_id']}")
    conn = call.state.connection_by_name(params["connection"])
    if conn is None or conn.strategy != "auth0":
        raise _refuse("connection not found")
    organization = params.get("organization")
    if organization and organization not in call.state.organizations:
        raise _refuse(f"Invalid organization: {organization}")


def _send_reset(call: Call, user: User, params: dict[str, str]) -> None:
    ticket = issue_ticket(
        call.state,
        PASSWORD_CHANGE,
        user,
        call.now(),
        client_id=params["client_id"],
        organization_id=params.get("organization") or None,
        mark_email_as_verified=True,  # following the emailed link proves the address
    )
    link = ticket_url(call, RESET_PATH, ticket)
    text = (
        "Someone asked to reset the password of your account.\n\n"
        f"Choose a new password by opening this link:\n\n{link}\n\n"
        "If you did not ask for this, ignore this email: your password stays the same.\n"
    )
    html = (
        "<p>Someone asked to reset the password of your account.</p>"
        f'<p><a href="{link}">Choose a new password</a></p>'
        "<p>If you did not ask for this, ignore this email: your password stays the same.</p>"
    )
    call.send_email(
        user.email,
        "Reset your password",
        text,
        html,
        kind=EMAIL_KIND,
        link=link,
        user_id=user.user_id,
        ticket=ticket.id,
    )


@route("POST", "/dbconnections/change_password")
def change_password(call: Call) -> Response:
    params = token_params(call)
    _checked(call, params)
    user = call.state.user_by_email(params["email"], params["connection"])
    client = call.state.clients[params["client_id"]]
    if user is not None:
        _send_reset(call, user, params)
        call.log(
            "scpr",
            "Change password request",
            client_id=client.client_id,
            client_name=client.name,
            connection=params["connection"],
            user_id=user.user_id,
            user_name=user.email,
        )
    return Response(SENT, status=200, content_type="text/plain; charset=utf-8")
