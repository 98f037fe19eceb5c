"""Accepting organization invitations on the sandbox's accept-invitation page."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

from sandbox import SandboxApp
from sandbox.seed import (
    DEMO_APP_CLIENT_ID,
    DEMO_APP_CLIENT_SECRET,
    DEMO_CREDENTIALS,
    stable_id,
)
from sandbox.state import Invitation

from .login_support import Browser, RelyingParty, log_types, query

DEMO_CALLBACK = "http://sandbox.test/__sandbox__/demo-app/callback"
ACME = stable_id("org", "acme")
MEMBER_ROLE = stable_id("rol", "org-member")


def invite(
    app: SandboxApp, email: str, *, ttl: float = 3600, roles: list[str] | None = None
) -> Invitation:
    """An invitation as the Management API stores it, plus the email Auth0 would send."""
    now = app.config.clock()
    ticket = f"tkt{len(app.state.organizations[ACME].invitations)}abc"
    url = "http://sandbox.test/__sandbox__/demo-app/login?" + urlencode(
        {"invitation": ticket, "organization": ACME, "organization_name": "acme"}
    )
    inv = Invitation(
        id=f"uinv_{ticket}",
        organization_id=ACME,
        inviter_name="Ada Admin",
        invitee_email=email,
        client_id=DEMO_APP_CLIENT_ID,
        ticket_id=ticket,
        invitation_url=url,
        created_at=now,
        expires_at=now + ttl,
        roles=roles if roles is not None else [MEMBER_ROLE],
        app_metadata={"plan": "gold"},
    )
    app.state.organizations[ACME].invitations[inv.id] = inv
    app.outbox.send(
        email,
        "You're invited to Acme Corp",
        f"Accept: {url}",
        f'<p><a href="{url}">Accept invitation</a></p>',
        kind="invitation",
    )
    return inv


def rp_for_demo_app(app: SandboxApp) -> RelyingParty:
    return RelyingParty(app, DEMO_APP_CLIENT_ID, DEMO_APP_CLIENT_SECRET, DEMO_CALLBACK)


def test_new_user_accepts_from_the_email_link(sandbox: SandboxApp) -> None:
    inv = invite(sandbox, "new.hire@acme.test")
    browser = Browser(sandbox)
    emails = browser.client.get("/__sandbox__/emails", params={"to": "new.hire@acme.test"}).json()
    link = emails[0]["links"][0]
    assert link == inv.invitation_url
    page = browser.open(link)
    assert "Ada Admin has invited you to join Acme Corp" in page.text
    assert 'value="new.hire@acme.test"' in page.text and "readonly" in page.text
    weak = browser.submit(page, {"password": "short"})
    assert weak.status_code == 400 and "at least 8 characters" in weak.text
    callback = browser.submit(weak, {"password": "Brand-new-2026!"})
    done = browser.client.get(callback.headers["location"])
    assert done.status_code == 200 and "Signed in to Demo SaaS App" in done.text

    user = sandbox.state.user_by_email("new.hire@acme.test")
    assert user is not None and user.email_verified
    assert user.app_metadata == {"plan": "gold"}
    org = sandbox.state.organizations[ACME]
    assert org.members[user.user_id].roles == [MEMBER_ROLE]
    assert inv.id not in org.invitations
    assert log_types(sandbox)[-3:] == ["ss", "si", "s"]

    again = query(browser.open(link).headers["location"])
    assert again["error_description"] == "invitation not found or already used"


def test_invitation_with_authlib_gets_org_claims(sandbox: SandboxApp) -> None:
    inv = invite(sandbox, "authlib@acme.test")
    rp = rp_for_demo_app(sandbox)
    browser = Browser(sandbox)
    page = browser.open(rp.authorize_url(invitation=inv.ticket_id, organization=ACME))
    callback = browser.submit(page, {"password": "Brand-new-2026!"})
    claims = rp.id_claims(rp.fetch_token(callback.headers["location"])["id_token"])
    assert claims["org_id"] == ACME and claims["email"] == "authlib@acme.test"


def test_existing_user_logs_in_to_accept(sandbox: SandboxApp) -> None:
    email = "admin@globex.test"
    inv = invite(sandbox, email)
    rp = rp_for_demo_app(sandbox)
    browser = Browser(sandbox)
    page = browser.open(rp.authorize_url(invitation=inv.ticket_id, organization=ACME))
    assert "log in to accept" in page.text
    wrong = browser.submit(page, {"password": "nope"})
    assert wrong.status_code == 400 and log_types(sandbox)[-1] == "fp"
    callback = browser.submit(wrong, {"password": DEMO_CREDENTIALS[email]})
    assert "code" in query(callback.headers["location"])
    user = sandbox.state.user_by_email(email)
    assert user is not None and user.user_id in sandbox.state.organizations[ACME].members


def test_expired_invitation(sandbox: SandboxApp, clock) -> None:  # type: ignore[no-untyped-def]
    inv = invite(sandbox, "late@acme.test", ttl=60)
    clock.advance(61)
    rp = rp_for_demo_app(sandbox)
    response = Browser(sandbox).open(rp.authorize_url(invitation=inv.ticket_id, organization=ACME))
    params = query(response.headers["location"])
    assert params["error"] == "invalid_request"
    assert params["error_description"] == "the invitation has expired"


def test_unknown_invitation(sandbox: SandboxApp) -> None:
    rp = rp_for_demo_app(sandbox)
    response = Browser(sandbox).open(rp.authorize_url(invitation="nope", organization=ACME))
    assert query(response.headers["location"])["error"] == "invalid_request"


def test_outbox_html_pages_link_the_emails(sandbox: SandboxApp) -> None:
    inv = invite(sandbox, "html@acme.test")
    with httpx.Client(
        transport=httpx.WSGITransport(app=sandbox), base_url="http://sandbox.test"
    ) as http:
        listing = http.get("/__sandbox__/emails/ui")
        assert listing.status_code == 200
        assert "text/html" in listing.headers["content-type"]
        assert "You&#x27;re invited to Acme Corp" in listing.text
        assert inv.invitation_url.replace("&", "&amp;") in listing.text
        same = http.get("/__sandbox__/emails", params={"format": "html"})
        assert same.text == listing.text
        item = http.get("/__sandbox__/emails").json()[0]
        assert set(item) >= {"id", "to", "subject", "text", "html", "links", "created_at"}
        one = http.get(f"/__sandbox__/emails/{item['id']}")
        assert one.json()["to"] == "html@acme.test"
        page = http.get(f"/__sandbox__/emails/{item['id']}", params={"format": "html"})
        assert "<iframe" in page.text and "Accept invitation" in page.text
        assert http.get("/__sandbox__/emails/email_nope").status_code == 404
        assert http.delete("/__sandbox__/emails").status_code == 204
        assert http.get("/__sandbox__/emails").json() == []


def test_invitation_created_through_the_management_api(
    sandbox: SandboxApp, mgmt_token: str
) -> None:
    with httpx.Client(
        transport=httpx.WSGITransport(app=sandbox), base_url="http://sandbox.test"
    ) as http:
        created = http.post(
            f"/api/v2/organizations/{ACME}/invitations",
            json={
                "inviter": {"name": "Ada Admin"},
                "invitee": {"email": "via.api@acme.test"},
                "client_id": DEMO_APP_CLIENT_ID,
                "roles": [MEMBER_ROLE],
            },
            headers={"Authorization": f"Bearer {mgmt_token}"},
        )
        assert created.status_code == 200, created.text
        mail = http.get("/__sandbox__/emails", params={"to": "via.api@acme.test"}).json()[0]
    assert created.json()["invitation_url"] in mail["links"]
    browser = Browser(sandbox)
    page = browser.open(created.json()["invitation_url"])
    callback = browser.submit(page, {"password": "Brand-new-2026!"})
    assert "code" in query(callback.headers["location"])
    user = sandbox.state.user_by_email("via.api@acme.test")
    assert user is not None
    assert sandbox.state.organizations[ACME].members[user.user_id].roles == [MEMBER_ROLE]
    assert sandbox.state.organizations[ACME].invitations == {}
