"""The page behind a Self-Service SSO ticket: `GET|POST /self-service/connections-flow?ticket=`.

Auth0 serves a multi-step wizard at this URL; the sandbox serves one small page so the
whole path (portal issues the ticket, the IT contact follows it, a connection appears) can
be tried offline. The person picks one of the profile's allowed strategies, enters the
IdP's details (SAML: sign-in URL and signing certificate; OIDC: discovery URL, client id
and secret) and, when the ticket asks for it, the domains. Submitting creates the
connection named by `connection_config.name` (or updates `connection_id`), enables it for
`enabled_clients` and on every organization in `enabled_organizations`, and uses the
ticket up. A revoked, used, expired or unknown ticket gets a plain error page.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

from werkzeug.wrappers import Response

from ..errors import SandboxError
from ..mgmt import connection_options as opts
from ..mgmt.self_service import FLOW_PATH, SSO_TICKET
from ..routing import Call, html_response, route
from ..state import JSON, Connection, OrgConnection, SelfServiceProfile, Ticket, iso, new_id
from .html import error_box, esc, field, page

# Profile strategies this page can set up, and the connection strategy each creates.
SUPPORTED: dict[str, str] = {
    "samlp": "samlp",
    "keycloak-samlp": "samlp",
    "okta-samlp": "samlp",
    "auth0-samlp": "samlp",
    "oidc": "oidc",
}
LABELS: dict[str, str] = {
    "samlp": "SAML",
    "keycloak-samlp": "Keycloak (SAML)",
    "okta-samlp": "Okta (SAML)",
    "auth0-samlp": "Auth0 (SAML)",
    "oidc": "OpenID Connect",
}
TITLE = "Set up single sign-on"


class Refused(Exception):
    """Why the form cannot be accepted, in plain words (shown above the form)."""


@route(["GET", "POST"], FLOW_PATH)
def connections_flow(call: Call) -> Response:
    ticket_id = call.request.values.get("ticket", "")
    ticket, problem = _usable(call, ticket_id)
    if ticket is None:
        return _dead(problem)
    profile = call.state.self_service_profiles.get(str(ticket.data.get("profile_id")))
    if profile is None:
        return _dead("The setup this link belongs to no longer exists. Ask for a new link.")
    strategy = call.request.values.get("strategy", "")
    if strategy not in _offered(profile):
        return html_response(_picker(ticket, profile))
    if call.request.method == "POST":
        try:
            conn = _complete(call, ticket, strategy)
        except Refused as exc:
            return html_response(_form(ticket, strategy, call.request.form, str(exc)), 400)
        return html_response(_done(conn))
    return html_response(_form(ticket, strategy, {}, None))


def _usable(call: Call, ticket_id: str) -> tuple[Ticket | None, str]:
    ticket = call.state.tickets.get(ticket_id) if ticket_id else None
    if ticket is None or ticket.kind != SSO_TICKET:
        return None, "This setup link is not valid. Check that you copied all of it."
    if ticket.data.get("revoked"):
        return None, "This setup link was revoked. Ask whoever sent it for a new one."
    if ticket.used:
        return None, "This setup link has already been used. Ask for a new one to change it."
    if ticket.expires_at <= call.now():
        return None, "This setup link has expired. Ask whoever sent it for a new one."
    return ticket, ""


def _dead(problem: str) -> Response:
    return html_response(page("This link does not work", error_box(problem)), 410)


def _offered(profile: SelfServiceProfile) -> list[str]:
    return [s for s in profile.allowed_strategies if s in SUPPORTED]


def _url(ticket: Ticket, strategy: str = "") -> str:
    extra = f"&strategy={esc(strategy)}" if strategy else ""
    return f"{FLOW_PATH}?ticket={esc(ticket.id)}{extra}"


def _picker(ticket: Ticket, profile: SelfServiceProfile) -> str:
    offered = _offered(profile)
    items = "".join(f'<li><a href="{_url(ticket, s)}">{esc(LABELS[s])}</a></li>' for s in offered)
    others = [s for s in profile.allowed_strategies if s not in SUPPORTED]
    note = (
        f'<p class="note">Also allowed, but not on this sandbox page: {esc(", ".join(others))}.</p>'
        if others
        else ""
    )
    body = f"<p>Which kind of identity provider do you use?</p><ul>{items}</ul>{note}"
    if not offered:
        body = error_box("None of the identity provider types this link allows can be set up here.")
    return page(TITLE, body, subtitle=profile.name)


def _form(ticket: Ticket, strategy: str, values: Mapping[str, str], problem: str | None) -> str:
    get = values.get
    if SUPPORTED[strategy] == "samlp":
        inner = field("sign_in_url", "Sign-in URL (single sign-on service)", kind="url",
                      value=get("sign_in_url", "")) + _textarea(
            "certificate", "Signing certificate (PEM)", get("certificate", ""), required=True
        )  # fmt: skip
    else:
        inner = (
            field("discovery_url", "Discovery URL", kind="url", value=get("discovery_url", ""))
            + field("client_id", "Client ID", value=get("client_id", ""))
            + field("client_secret", "Client secret", kind="password", required=False)
        )
    verification = _verification(ticket)
    if verification != "none":
        pending = "\n".join(_pending(ticket))
        label = "Email domains (one a line)" + (" - optional" if verification == "optional" else "")
        inner += _textarea("domains", label, get("domains", pending), required=False)
    return page(
        TITLE,
        error_box(problem)
        + f'<form method="post" action="{_url(ticket, strategy)}">{inner}'
        + '<button type="submit">Create the connection</button></form>',
        subtitle=f"{LABELS[strategy]}: connection {_config(ticket).get('name', '')}",
    )


def _textarea(name: str, label: str, value: str, *, required: bool) -> str:
    need = " required" if required else ""
    return (
        f'<label for="{esc(name)}">{esc(label)}</label>'
        f'<textarea id="{esc(name)}" name="{esc(name)}" rows="6" style="width:100%"{need}>'
        f"{esc(value)}</textarea>"
    )


def _done(conn: Connection) -> str:
    body = (
        f"<p>The connection <code>{esc(conn.name)}</code> is set up. You can close this page.</p>"
    )
    return page("Single sign-on is set up", body)


# --- completing the ticket ---------------------------------------------------------------


def _config(ticket: Ticket) -> JSON:
    config: JSON = ticket.data.get("connection_config") or {}
    return config


def _verification(ticket: Ticket) -> str:
    config: JSON = ticket.data.get("domain_aliases_config") or {}
    return str(config.get("domain_verification") or "none")


def _pending(ticket: Ticket) -> list[str]:
    config: JSON = ticket.data.get("domain_aliases_config") or {}
    return [str(d) for d in config.get("pending_domains") or []]


def _complete(call: Call, ticket: Ticket, strategy: str) -> Connection:
    form = call.request.form
    kind = SUPPORTED[strategy]
    options = _saml_options(form) if kind == "samlp" else _oidc_options(form)
    domains = _domains(ticket, form.get("domains", ""))
    if domains:
        options["domain_aliases"] = domains
    try:
        normalized = opts.normalize(kind, options)
    except SandboxError as exc:
        raise Refused(f"These details were not accepted: {exc.message}") from None
    conn = _save(call, ticket, kind, normalized)
    for entry in ticket.data.get("enabled_organizations") or []:
        org = call.state.organizations.get(entry["organization_id"])
        if org is not None:
            org.connections[conn.id] = OrgConnection(
                connection_id=conn.id,
                assign_membership_on_login=bool(entry.get("assign_membership_on_login", False)),
                show_as_button=bool(entry.get("show_as_button", True)),
            )
    ticket.used = True
    ticket.data["created_connection_id"] = conn.id
    return conn


def _save(call: Call, ticket: Ticket, kind: str, options: JSON) -> Connection:
    state = call.state
    existing_id = ticket.data.get("connection_id")
    if existing_id:
        conn = state.connections.get(existing_id)
        if conn is None:
            raise Refused("The connection this link was for no longer exists.")
        conn.options = options
        return conn
    config = _config(ticket)
    name = str(config["name"])
    if state.connection_by_name(name) is not None:
        raise Refused(f"A connection named {name} already exists. Ask for a new link.")
    conn = Connection(
        id=new_id("con"),
        name=name,
        strategy=kind,
        display_name=str(config.get("display_name") or name),
        options=options,
        realms=[name],
        created_at=iso(call.now()),
        is_domain_connection=bool(config.get("is_domain_connection", False)),
        show_as_button=bool(config.get("show_as_button", False)),
        metadata=dict(config.get("metadata") or {}),
        enabled_clients=[c for c in ticket.data.get("enabled_clients") or [] if c in state.clients],
    )
    state.connections[conn.id] = conn
    return conn


def _saml_options(form: Mapping[str, str]) -> JSON:
    get = form.get
    url = _https(get("sign_in_url", ""), "sign-in URL")
    cert = str(get("certificate", "")).strip()
    if "BEGIN CERTIFICATE" not in cert:
        raise Refused("Paste the signing certificate in PEM form (-----BEGIN CERTIFICATE-----).")
    try:
        opts.load_certificate(cert)
    except (ValueError, TypeError):
        raise Refused("That signing certificate could not be read: paste all of it.") from None
    # Auth0 keeps `signingCert` as the base64 of the PEM text.
    return {"signInEndpoint": url, "signingCert": base64.b64encode(cert.encode()).decode()}


def _oidc_options(form: Mapping[str, str]) -> JSON:
    get = form.get
    client_id = str(get("client_id", "")).strip()
    if not client_id:
        raise Refused("Enter the client ID your identity provider gave you.")
    options: JSON = {
        "discovery_url": _https(get("discovery_url", ""), "discovery URL"),
        "client_id": client_id,
        "type": "front_channel",
    }
    secret = str(get("client_secret", "")).strip()
    if secret:
        options.update(client_secret=secret, type="back_channel")
    return options


def _https(value: object, what: str) -> str:
    text = str(value or "").strip()
    if not text.startswith("https://") or len(text) < 12:
        raise Refused(f"Enter the {what}: a full address starting with https://.")
    return text


def _domains(ticket: Ticket, text: str) -> list[str]:
    """The domains the person kept; the sandbox accepts only those the ticket lists (it
    cannot check DNS, so it treats the ticket's `pending_domains` as already proven)."""
    verification = _verification(ticket)
    if verification == "none":
        return []
    given = sorted({d.strip().lower() for d in text.split() if d.strip()})
    allowed = set(_pending(ticket))
    unknown = [d for d in given if d not in allowed]
    if unknown:
        raise Refused(
            f"{', '.join(unknown)} cannot be verified here: only {', '.join(sorted(allowed))} "
            "can be used."
            if allowed
            else "This link lists no domains that can be used."
        )
    if verification == "required" and not given:
        raise Refused("Enter at least one of your email domains.")
    return given
