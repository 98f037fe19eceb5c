"""Registers this package's handlers with the core's route registry and grant registry.

Importing ``token`` registers the ``authorization_code`` grant on ``/oauth/token``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from ..errors import SandboxError
from ..routing import Call, control_route, html_response, json_response, route
from ..validation import validate
from . import authorize as authorize_mod
from . import endpoints, enterprise, login, outbox, tickets
from . import token as _token  # noqa: F401  (registers the authorization_code grant)
from .env import Env


@route("GET", "/.well-known/openid-configuration")
def openid_configuration(call: Call) -> Response:
    return json_response(endpoints.openid_configuration(Env(call)))


@route("GET", "/.well-known/jwks.json")
def jwks(call: Call) -> Response:
    return json_response(call.app.keys.jwks())


@route("GET", "/userinfo")
def userinfo(call: Call) -> Response:
    return endpoints.userinfo(Env(call), call.request)


@route("GET", "/v2/logout")
def logout(call: Call) -> Response:
    return endpoints.logout(Env(call), call.request, return_param="returnTo")


@route("GET", "/oidc/logout")
def oidc_logout(call: Call) -> Response:
    state = call.request.args.get("state")
    return endpoints.logout(
        Env(call), call.request, return_param="post_logout_redirect_uri", extra={"state": state}
    )


@route("GET", "/authorize")
def authorize(call: Call) -> Response:
    return authorize_mod.authorize(Env(call), call.request)


@route(["GET", "POST"], "/u/login")
def login_page(call: Call) -> Response:
    return login.login(Env(call), call.request)


@route(["GET", "POST"], "/u/organization")
def organization_page(call: Call) -> Response:
    return login.organization(Env(call), call.request)


@route(["GET", "POST"], "/u/login/invitation")
def invitation_page(call: Call) -> Response:
    return login.invitation(Env(call), call.request)


@route(["GET", "POST"], "/lo/reset")
def reset_password(call: Call) -> Response:
    return tickets.reset_password(Env(call), call.request)


@route("GET", "/u/email-verification")
def verify_email(call: Call) -> Response:
    return tickets.verify_email(Env(call), call.request)


@control_route(["GET", "POST"], "/idp/<connection>")
def simulated_idp(call: Call) -> Response:
    return enterprise.idp(Env(call), call.request, call.params["connection"])


# --- the email outbox --------------------------------------------------------------------


def _wants_html(call: Call) -> bool:
    """``?format=html|json`` decides; otherwise the Accept header: a browser (text/html
    first) gets the page, httpx and curl (``*/*``) and JSON clients get JSON."""
    chosen = call.request.args.get("format")
    if chosen in ("html", "json"):
        return chosen == "html"
    best = call.request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def _negotiated(call: Call, page: Callable[[], str], body: Any) -> Response:
    response = html_response(page()) if _wants_html(call) else json_response(body)
    response.vary.add("Accept")  # one URL, two representations: caches must keep both
    return response


@control_route("GET", "/emails")
def emails(call: Call) -> Response:
    """All emails, newest first; ``?to=`` filters by recipient. JSON, or the HTML outbox
    for browsers (``?format=html`` forces it)."""
    wanted = (call.request.args.get("to") or "").lower()
    items = [
        outbox.email_json(e)
        for e in reversed(call.state.emails)
        if not wanted or e.to.lower() == wanted
    ]
    return _negotiated(call, lambda: outbox.outbox_page(items), items)


# The portal's own emails (its Django email backend in development) are small; a cap keeps
# a runaway sender from filling the sandbox's memory.
MAX_PORTAL_EMAIL_BYTES = 1_000_000
PORTAL_EMAIL_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["to", "subject", "text"],
    "properties": {
        "to": {"type": "string", "format": "email", "maxLength": 320},
        "subject": {"type": "string", "maxLength": 998},  # one RFC 5322 header line
        "text": {"type": "string"},
        "html": {"type": "string"},
        "from": {"type": "string", "maxLength": 320},
    },
}


@control_route("POST", "/emails")
def store_portal_email(call: Call) -> Response:
    """An email the portal sends itself, kept beside the tenant's own (kind "portal"), so
    a developer reads every email in one outbox. Body: ``{"to", "subject", "text",
    "html"?, "from"?}``; answers 201 with the stored email."""
    call.request.max_content_length = MAX_PORTAL_EMAIL_BYTES
    try:
        body = call.body()
    except RequestEntityTooLarge:
        raise SandboxError(
            413, f"The email is larger than {MAX_PORTAL_EMAIL_BYTES} bytes", "payload_too_large"
        ) from None
    validate(body, PORTAL_EMAIL_SCHEMA)
    meta = {"from": body["from"]} if "from" in body else {}
    stored = call.app.outbox.send(
        body["to"], body["subject"], body["text"], body.get("html", ""), kind="portal", **meta
    )
    return json_response(outbox.email_json(stored), 201)


@control_route("GET", "/emails/ui")
def emails_ui(call: Call) -> Response:
    items = [outbox.email_json(e) for e in reversed(call.state.emails)]
    return html_response(outbox.outbox_page(items))


@control_route("DELETE", "/emails")
def clear_emails(call: Call) -> Response:
    call.state.emails.clear()
    return Response(b"", status=204)


@control_route("GET", "/emails/<email_id>")
def email(call: Call) -> Response:
    found = next((e for e in call.state.emails if e.id == call.params["email_id"]), None)
    if found is None:
        return json_response({"error": "not_found", "error_description": "No such email"}, 404)
    item = outbox.email_json(found)
    return _negotiated(call, lambda: outbox.email_page(item), item)
