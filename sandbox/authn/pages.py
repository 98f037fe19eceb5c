"""The login pages' HTML. Pure functions: inputs in, markup out.

Field names follow Auth0's Universal Login forms (``state``, ``username``,
``password``, ``organizationName``) so browser journeys written against the sandbox
read like journeys against a real tenant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from .html import error_box, esc, field, form, hidden, link_button, page

LOGIN_PATH = "/u/login"
ORGANIZATION_PATH = "/u/organization"
INVITATION_PATH = "/u/login/invitation"
RESET_PATH = "/lo/reset"
VERIFY_PATH = "/u/email-verification"
IDP_PATH_PREFIX = "/__sandbox__/idp/"


def login_page(
    *,
    state: str,
    client_name: str,
    org_name: str | None = None,
    email: str | None = None,
    error: str | None = None,
    database: bool = True,
    buttons: Sequence[tuple[str, str]] = (),
) -> str:
    """Email + password form, plus one button per enterprise connection shown."""
    where = f"{org_name} on {client_name}" if org_name else client_name
    parts = [error_box(error)]
    if database:
        inner = (
            hidden({"state": state})
            + field("username", "Email address", kind="email", value=email, autocomplete="username")
            + field("password", "Password", kind="password", autocomplete="current-password")
        )
        parts.append(form(f"{LOGIN_PATH}?state={quote(state)}", inner, submit="Continue"))
    if database and buttons:
        parts.append('<p class="or">or</p>')
    for label, href in buttons:
        parts.append(link_button(href, f"Continue with {label}"))
    if not database and not buttons:
        parts.append(error_box("No connection is enabled for this application."))
    return page("Log in", "".join(parts), subtitle=f"Log in to continue to {where}.")


def organization_page(
    *, state: str, client_name: str, value: str | None = None, error: str | None = None
) -> str:
    inner = hidden({"state": state}) + field(
        "organizationName", "Organization name", value=value, autocomplete="organization"
    )
    body = error_box(error) + form(
        f"{ORGANIZATION_PATH}?state={quote(state)}", inner, submit="Continue"
    )
    return page(
        "Enter your organization",
        body,
        subtitle=f"Enter your organization name to continue to {client_name}.",
    )


def invitation_page(
    *,
    state: str,
    org_name: str,
    inviter: str | None,
    email: str,
    existing: bool,
    error: str | None = None,
    idp_href: str | None = None,
) -> str:
    """Accept-invitation page: log in (existing user) or choose a password (new user)."""
    who = f"{inviter} has invited you" if inviter else "You have been invited"
    subtitle = f"{who} to join {org_name}."
    if idp_href:
        body = error_box(error) + link_button(
            idp_href, "Continue with your company account", secondary=False
        )
        return page("Accept invitation", body, subtitle=subtitle)
    if existing:
        pw = field("password", "Password", kind="password", autocomplete="current-password")
        submit, note = "Log in and accept", "You already have an account: log in to accept."
    else:
        pw = field("password", "Choose a password", kind="password", autocomplete="new-password")
        submit, note = "Create account and accept", "Choose a password for your new account."
    inner = (
        hidden({"state": state})
        + field("username", "Email address", kind="email", value=email, readonly=True)
        + pw
    )
    body = (
        error_box(error)
        + f'<p class="note">{esc(note)}</p>'
        + form(f"{INVITATION_PATH}?state={quote(state)}", inner, submit=submit)
    )
    return page("Accept invitation", body, subtitle=subtitle)


# Inline styles: the shared stylesheet (html.py) has no fieldset, grid or select rules.
_BOX = "border:1px solid var(--line);border-radius:6px"
_FIELDSET = f'style="{_BOX};margin:18px 0 0;padding:4px 14px 14px"'
# align-items:end: a label wrapping at phone width keeps the row's inputs level.
_GRID = 'style="display:grid;grid-template-columns:3fr 2fr;gap:0 12px;align-items:end"'
_SELECT = f'style="{_BOX};width:100%;padding:10px 12px;font:inherit"'


def _fieldset(legend: str, inner: str) -> str:
    return f"<fieldset {_FIELDSET}><legend>{esc(legend)}</legend>{inner}</fieldset>"


def _attribute_rows(rows: Sequence[tuple[str, str]], noun: str) -> str:
    cells = []
    for index, (name, value) in enumerate(rows):
        label = f"{noun} {index + 1}"
        name_input = field(f"attr_name_{index}", f"{label} name", value=name, required=False)
        value_input = field(f"attr_value_{index}", f"{label} value", value=value, required=False)
        cells.append(f"<div>{name_input}</div><div>{value_input}</div>")
    return f"<div {_GRID}>{''.join(cells)}</div>"


def _failure_select(failures: Mapping[str, str], chosen: str) -> str:
    options = "".join(
        f'<option value="{esc(code)}"{" selected" if code == chosen else ""}>{esc(label)}</option>'
        for code, label in failures.items()
    )
    return (
        '<label for="failure">Failure to simulate</label>'
        f'<select id="failure" name="failure" {_SELECT}>{options}</select>'
    )


def idp_page(
    *,
    action: str,
    state: str,
    connection: str,
    strategy: str,
    domains: Sequence[str],
    saml: bool = True,
    email: str | None = None,
    subject: str | None = None,
    rows: Sequence[tuple[str, str]] = (),
    failure: str = "none",
    failures: Mapping[str, str] | None = None,
    error: str | None = None,
) -> str:
    """The stand-in for a customer's identity provider (SAML, OIDC, Entra ID, ...): who
    signs in, the attributes (SAML) or claims (OIDC) sent, and a failure to simulate."""
    if domains:
        listed = ", ".join(f"<code>@{esc(d)}</code>" for d in domains)
        hint = f"Sign in as any address at {listed}. No password is checked here."
    else:
        hint = "This connection lists no domain: any address is accepted. No password is checked."
    noun = "Attribute" if saml else "Claim"
    who = field(
        "email",
        "Email address (fills the fields left empty)",
        kind="email",
        value=email,
        autocomplete="username",
        required=False,
    ) + field("subject", "NameID" if saml else "Subject (sub claim)", value=subject, required=False)
    sent = (
        '<p class="note">Mapped onto the profile through the connection\'s fieldsMap. '
        "Leave a row empty to leave the attribute out.</p>"
        if saml
        else '<p class="note">Standard OIDC claims. Leave a row empty to leave the claim out.</p>'
    )
    inner = (
        hidden({"state": state})
        + _fieldset("Who signs in", who)
        + _fieldset(f"{noun}s the identity provider sends", sent + _attribute_rows(rows, noun))
        + _fieldset("Simulate a failure", _failure_select(failures or {"none": "None"}, failure))
    )
    body = f'<p class="note">{hint}</p>' + error_box(error) + form(action, inner, submit="Sign in")
    return page(
        f"Signing in to {connection} as the identity provider would",
        body,
        subtitle=f"Simulated identity provider for connection {connection} ({strategy}).",
        tag="Simulated identity provider",
        wide=True,
    )


def error_page(title: str, error: str, description: str) -> str:
    body = error_box(description) + f'<p class="note">Error code: <code>{esc(error)}</code></p>'
    return page(title, body, subtitle="Something went wrong with this request.")


def message_page(
    title: str, message: str, *, href: str | None = None, link_text: str = "Continue"
) -> str:
    body = f"<p>{esc(message)}</p>"
    if href:
        body += link_button(href, link_text, secondary=False)
    return page(title, body)


def reset_password_page(*, ticket: str, email: str, error: str | None = None) -> str:
    inner = (
        hidden({"ticket": ticket})
        + field("password", "New password", kind="password", autocomplete="new-password")
        + field("confirm", "Confirm new password", kind="password", autocomplete="new-password")
    )
    body = error_box(error) + form(
        f"{RESET_PATH}?ticket={quote(ticket)}", inner, submit="Reset password"
    )
    return page("Change your password", body, subtitle=f"Enter a new password for {email}.")
