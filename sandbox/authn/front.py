"""The tenant's front page, `GET /`: what someone opening the sandbox in a browser needs.

The demo logins (with the organization each one types on the portal's sign-in page), and
links to the portal, the email outbox and the control routes. A real tenant's domain
answers nothing useful at `/` either, so this page is the sandbox's own addition.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..routing import Call, html_response, route
from ..seed import DEMO_APP_CLIENT_ID, DEMO_ORGANIZATIONS, DEMO_USERS, DemoUser
from ..state import State
from .html import esc, page, table

# What each demo login is for, by organization and role.
_WHO = {"org-admin": "customer admin", "org-member": "member (no portal access)"}


@route("GET", "/")
def front_page(call: Call) -> Response:
    return html_response(render_front_page(call))


def render_front_page(call: Call) -> str:
    base = call.config.base_url
    portal = call.config.portal_url
    body = (
        f"<p>An Auth0 stand-in running on this machine. Issuer <code>{esc(base)}/</code>, "
        f"Management API <code>{esc(base)}/api/v2/</code>.</p>"
        + _links(call, portal)
        + _demo_logins(call.state, portal)
        + _organizations(call.state)
    )
    return page("Sandbox tenant", body, subtitle=base, tag="Auth0 sandbox", wide=True)


def _links(call: Call, portal: str) -> str:
    items = [
        (f"{portal}/", "Open the portal", "sign in with one of the logins below"),
        (
            "/__sandbox__/emails",
            "Email outbox",
            f"{len(call.state.emails)} email(s): invitations, password and verification links",
        ),
    ]
    if DEMO_APP_CLIENT_ID in call.state.clients:
        items.append(("/__sandbox__/demo-app/", "Demo SaaS App", "another application"))
    items += [
        ("/__sandbox__/", "Control routes", "faults, rate limits, state (JSON)"),
        ("/.well-known/openid-configuration", "OpenID configuration", "JSON"),
    ]
    rows = "".join(
        f'<li><a href="{esc(href)}">{esc(text)}</a> <span class="note">{esc(note)}</span></li>'
        for href, text, note in items
    )
    return f"<ul>{rows}</ul>"


def _demo_logins(state: State, portal: str) -> str:
    present = [demo for demo in DEMO_USERS if state.user_by_email(demo.email) is not None]
    if not present:
        return "<p>No demo users: this tenant was started without the demo seed.</p>"
    rows = [
        [
            esc(_who(demo)),
            f"<code>{esc(demo.organization)}</code>",
            f"<code>{esc(demo.email)}</code>",
            f"<code>{esc(demo.password)}</code>",
        ]
        for demo in present
    ]
    intro = (
        f'<h2>Demo logins</h2><p>On the <a href="{esc(portal)}/login/">portal\'s sign-in '
        "page</a>, type the organization (staff use <b>Staff sign-in</b>), then the email "
        "and password.</p>"
    )
    return intro + table(["who", "organization", "email", "password"], rows)


def _who(demo: DemoUser) -> str:
    if demo.organization == "staff":
        return "staff admin"
    label = _WHO.get(demo.role, demo.role)
    display = DEMO_ORGANIZATIONS.get(demo.organization, demo.organization)
    return f"{label} of {display}"


def _organizations(state: State) -> str:
    if not state.organizations:
        return ""
    rows = [
        [f"<code>{esc(org.name)}</code>", esc(org.display_name), esc(len(org.members))]
        for org in state.organizations.values()
    ]
    return "<h2>Organizations</h2>" + table(["short name", "display name", "members"], rows)
