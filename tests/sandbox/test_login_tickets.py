"""The pages that password-change and email-verification tickets open."""

from __future__ import annotations

import httpx

from sandbox import SandboxApp
from sandbox.seed import DEMO_CREDENTIALS
from sandbox.state import Ticket

from .login_support import Browser, log_types, login, query

MEMBER = "member@acme.test"


def ticket(
    app: SandboxApp, kind: str, email: str = MEMBER, ttl: float = 3600, **data: object
) -> Ticket:
    user = app.state.user_by_email(email)
    assert user is not None
    now = app.config.clock()
    made = Ticket(
        id=f"t-{kind}-{len(app.state.tickets)}",
        kind=kind,
        created_at=now,
        expires_at=now + ttl,
        user_id=user.user_id,
        data=dict(data),
    )
    app.state.tickets[made.id] = made
    return made


def test_password_change_ticket_sets_a_new_password(sandbox: SandboxApp) -> None:
    user = sandbox.state.user_by_email(MEMBER)
    assert user is not None
    user.email_verified = False
    made = ticket(
        sandbox,
        "password-change",
        result_url="http://127.0.0.1:8000/welcome",
        mark_email_as_verified=True,
    )
    browser = Browser(sandbox)
    page = browser.open(f"/lo/reset?ticket={made.id}#")
    assert MEMBER in page.text
    mismatch = browser.submit(page, {"password": "Newpass-2026!", "confirm": "other"})
    assert mismatch.status_code == 400 and "the same" in mismatch.text
    weak = browser.submit(page, {"password": "weak", "confirm": "weak"})
    assert weak.status_code == 400 and log_types(sandbox)[-1] == "fcp"
    done = browser.submit(page, {"password": "Newpass-2026!", "confirm": "Newpass-2026!"})
    assert done.status_code == 302
    assert done.headers["location"].startswith("http://127.0.0.1:8000/welcome?success=true")
    assert query(done.headers["location"])["message"].startswith("You can now login")
    assert user.email_verified and made.used and log_types(sandbox)[-1] == "scp"

    _, _, old = login(sandbox, MEMBER, DEMO_CREDENTIALS[MEMBER])
    assert old.status_code == 400
    _, _, new = login(sandbox, MEMBER, "Newpass-2026!")
    assert "code" in query(new.headers["location"])
    reused = browser.open(f"/lo/reset?ticket={made.id}")
    assert reused.status_code == 400 and "already used" in reused.text


def test_password_change_without_result_url_shows_a_page(sandbox: SandboxApp) -> None:
    made = ticket(sandbox, "password-change")
    browser = Browser(sandbox)
    page = browser.open(f"/lo/reset?ticket={made.id}")
    done = browser.submit(page, {"password": "Newpass-2026!", "confirm": "Newpass-2026!"})
    assert done.status_code == 200 and "Password changed" in done.text


def test_expired_and_unknown_tickets(sandbox: SandboxApp, clock) -> None:  # type: ignore[no-untyped-def]
    made = ticket(sandbox, "password-change", ttl=10)
    clock.advance(11)
    browser = Browser(sandbox)
    assert "expired" in browser.open(f"/lo/reset?ticket={made.id}").text
    assert browser.open("/lo/reset?ticket=nope").status_code == 404


def test_email_verification_ticket(sandbox: SandboxApp) -> None:
    user = sandbox.state.user_by_email(MEMBER)
    assert user is not None
    user.email_verified = False
    made = ticket(sandbox, "email-verification", result_url="http://127.0.0.1:8000/verified")
    response = Browser(sandbox).open(f"/u/email-verification?ticket={made.id}")
    assert response.status_code == 302 and "success=true" in response.headers["location"]
    assert user.email_verified and log_types(sandbox)[-1] == "sv"


def test_ticket_from_the_management_api_opens_the_page(
    sandbox: SandboxApp,
    token_for,  # type: ignore[no-untyped-def]
) -> None:
    user = sandbox.state.user_by_email(MEMBER)
    assert user is not None
    with httpx.Client(
        transport=httpx.WSGITransport(app=sandbox), base_url="http://sandbox.test"
    ) as http:
        created = http.post(
            "/api/v2/tickets/password-change",
            json={"user_id": user.user_id},
            headers={"Authorization": f"Bearer {token_for('create:user_tickets')}"},
        )
    assert created.status_code == 201, created.text
    browser = Browser(sandbox)
    page = browser.open(created.json()["ticket"])
    done = browser.submit(page, {"password": "Newpass-2026!", "confirm": "Newpass-2026!"})
    assert done.status_code == 200
