"""POST /__sandbox__/emails: the portal's own emails land in the outbox beside the tenant's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox import SandboxApp

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
SETUP_EMAIL = {
    "to": "new.admin@acme.test",
    "subject": "Choose your password",
    "text": "Open https://portal.test/setup/abc to choose a password.\n",
    "html": '<p><a href="https://portal.test/setup/abc?x=1&amp;y=2">Choose a password</a></p>',
    "from": "Portal <portal@localhost>",
}


def test_it_stores_the_email_as_a_portal_email(http: httpx.Client, sandbox: SandboxApp) -> None:
    response = http.post("/__sandbox__/emails", json=SETUP_EMAIL)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["id"].startswith("email_")
    assert stored["kind"] == "portal"
    assert stored["to"] == "new.admin@acme.test"
    assert stored["subject"] == "Choose your password"
    assert stored["from"] == "Portal <portal@localhost>"
    assert stored["links"] == [
        "https://portal.test/setup/abc?x=1&y=2",
        "https://portal.test/setup/abc",
    ]
    assert [e.id for e in sandbox.state.emails] == [stored["id"]]


def test_it_lists_the_email_for_its_recipient_only(http: httpx.Client) -> None:
    http.post("/__sandbox__/emails", json=SETUP_EMAIL)
    http.post("/__sandbox__/emails", json={**SETUP_EMAIL, "to": "someone.else@acme.test"})
    mine = http.get("/__sandbox__/emails", params={"to": "NEW.ADMIN@acme.test"}).json()
    assert [m["to"] for m in mine] == ["new.admin@acme.test"]
    assert mine[0]["kind"] == "portal" and mine[0]["text"] == SETUP_EMAIL["text"]


def test_the_outbox_pages_show_it(http: httpx.Client) -> None:
    email_id = http.post("/__sandbox__/emails", json=SETUP_EMAIL).json()["id"]
    listing = http.get("/__sandbox__/emails", headers=BROWSER)
    assert "Choose your password" in listing.text
    one = http.get(f"/__sandbox__/emails/{email_id}", headers=BROWSER)
    assert "Portal &lt;portal@localhost&gt;" in one.text and "<iframe" in one.text


def test_html_and_sender_are_optional(http: httpx.Client) -> None:
    body = {"to": "plain@acme.test", "subject": "Plain", "text": "Just text."}
    stored = http.post("/__sandbox__/emails", json=body).json()
    assert stored["html"] == "" and "from" not in stored and stored["links"] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"subject": "s", "text": "t"}, "Missing required property: to"),
        ({"to": "a@acme.test", "text": "t"}, "Missing required property: subject"),
        ({"to": "a@acme.test", "subject": "s"}, "Missing required property: text"),
        ({"to": "not-an-address", "subject": "s", "text": "t"}, "format email"),
        ({"to": "a@acme.test", "subject": 3, "text": "t"}, "Expected type string"),
        ({"to": "a@acme.test", "subject": "s", "text": "t", "html": None}, "on property html"),
        ({"to": "a@acme.test", "subject": "s", "text": "t", "cc": "b@x.test"}, "Additional"),
    ],
)
def test_it_refuses_missing_or_invalid_fields(
    http: httpx.Client, sandbox: SandboxApp, body: dict[str, Any], message: str
) -> None:
    response = http.post("/__sandbox__/emails", json=body)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_body"
    assert message in response.json()["message"]
    assert sandbox.state.emails == []


def test_it_refuses_a_body_that_is_not_a_json_object(http: httpx.Client) -> None:
    assert http.post("/__sandbox__/emails", json=["a@acme.test"]).status_code == 400
    broken = http.post(
        "/__sandbox__/emails", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400 and broken.json()["errorCode"] == "invalid_body"


def test_it_refuses_an_email_over_the_size_cap(http: httpx.Client, sandbox: SandboxApp) -> None:
    huge = {**SETUP_EMAIL, "text": "x" * 1_000_001}
    response = http.post("/__sandbox__/emails", json=huge)
    assert response.status_code == 413
    assert response.json()["errorCode"] == "payload_too_large"
    assert sandbox.state.emails == []
