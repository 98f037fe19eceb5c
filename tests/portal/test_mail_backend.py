"""portal.mail.SandboxOutboxBackend: in development the portal's own emails land in the
sandbox's outbox, one entry per recipient, beside the tenant's invitations."""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives

from orgs.emails import MailNotSent, send_telling_apart
from portal.mail import SandboxOutboxBackend
from tests.tenant import free_port

ROOT = Path(__file__).resolve().parents[2]
BACKEND = "portal.mail.SandboxOutboxBackend"


def outbox_for(tenant: Any, address: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{tenant.url}/__sandbox__/emails", params={"to": address}, timeout=5)
    response.raise_for_status()
    emails: list[dict[str, Any]] = response.json()
    return emails


def setup_link_email(*to: str, **kwargs: Any) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        "Choose your password",
        "Open https://portal.test/setup/abc to choose a password.\n",
        from_email="Portal <portal@example.test>",
        to=list(to),
        **kwargs,
    )
    message.attach_alternative(
        '<p><a href="https://portal.test/setup/abc">Choose</a></p>', "text/html"
    )
    return message


@pytest.fixture
def unreachable(settings: Any) -> None:
    settings.AUTH0_DOMAIN = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.AUTH0_TIMEOUT = 2.0


def test_each_recipient_gets_an_outbox_entry_with_text_and_html(tenant: Any) -> None:
    message = setup_link_email("ada@acme.test", "Bo Boss <bo@acme.test>")
    assert SandboxOutboxBackend().send_messages([message]) == 1
    for address in ("ada@acme.test", "bo@acme.test"):
        (email,) = outbox_for(tenant, address)
        assert email["kind"] == "portal"
        assert email["subject"] == "Choose your password"
        assert email["from"] == "Portal <portal@example.test>"
        assert email["text"].startswith("Open https://portal.test/setup/abc")
        assert '<a href="https://portal.test/setup/abc">' in email["html"]
        assert email["links"] == ["https://portal.test/setup/abc"]


def test_cc_and_bcc_recipients_get_their_own_entries(tenant: Any) -> None:
    message = setup_link_email("ada@acme.test", cc=["cc@acme.test"], bcc=["bcc@acme.test"])
    assert SandboxOutboxBackend().send_messages([message]) == 1
    for address in ("ada@acme.test", "cc@acme.test", "bcc@acme.test"):
        assert len(outbox_for(tenant, address)) == 1


def test_django_send_mail_goes_through_it_when_configured(tenant: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = BACKEND
    settings.DEFAULT_FROM_EMAIL = "portal@example.test"
    sent = mail.send_mail("Certificate expires soon", "Renew it.", None, ["it@acme.test"])
    assert sent == 1
    (email,) = outbox_for(tenant, "it@acme.test")
    assert email["html"] == "" and email["from"] == "portal@example.test"


def test_a_message_whose_body_is_html_keeps_it_as_html(tenant: Any) -> None:
    message = EmailMessage(
        "Hello", "<p>Hi <a href='https://portal.test/'>there</a></p>", to=["h@acme.test"]
    )
    message.content_subtype = "html"
    SandboxOutboxBackend().send_messages([message])
    (email,) = outbox_for(tenant, "h@acme.test")
    assert email["text"] == "" and email["links"] == ["https://portal.test/"]


def test_it_counts_the_messages_sent(tenant: Any) -> None:
    messages = [setup_link_email("one@acme.test"), setup_link_email("two@acme.test")]
    assert SandboxOutboxBackend().send_messages(messages) == 2
    assert SandboxOutboxBackend().send_messages([]) == 0


def test_it_fails_silently_when_asked_and_the_sandbox_is_unreachable(unreachable: None) -> None:
    backend = SandboxOutboxBackend(fail_silently=True)
    assert backend.send_messages([setup_link_email("ada@acme.test")]) == 0


def test_it_raises_when_the_sandbox_is_unreachable(unreachable: None) -> None:
    with pytest.raises(ConnectionRefusedError, match="unreachable"):
        SandboxOutboxBackend().send_messages([setup_link_email("ada@acme.test")])


def test_an_unreachable_sandbox_reads_as_nothing_sent(unreachable: None, settings: Any) -> None:
    # The portal's "did it go out?" logic must know no one was mailed, so a retry may mail.
    settings.EMAIL_BACKEND = BACKEND
    with pytest.raises(MailNotSent):
        send_telling_apart(setup_link_email("ada@acme.test"))


def test_an_email_the_sandbox_refuses_is_refused_before_delivery(tenant: Any) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        SandboxOutboxBackend().send_messages([setup_link_email("not-an-address")])
    silent = SandboxOutboxBackend(fail_silently=True)
    assert silent.send_messages([setup_link_email("not-an-address")]) == 0


def _default_backend(**environ: str) -> str:
    # Set even when empty: a developer's .env must not decide (it never overrides these).
    env = {**os.environ, "EMAIL_BACKEND": "", "PORTAL_ENV": "development", **environ}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    code = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"AUTH0_DOMAIN": "http://127.0.0.1:8001"}, BACKEND),  # make run's default
        ({"AUTH0_DOMAIN": "http://127.0.0.1:54321"}, BACKEND),  # tests/e2e/stack.py's
        ({"AUTH0_DOMAIN": "acme.eu.auth0.com"}, "django.core.mail.backends.filebased.EmailBackend"),
        (
            {"PORTAL_ENV": "production", "AUTH0_DOMAIN": "acme.eu.auth0.com"},
            "django.core.mail.backends.smtp.EmailBackend",
        ),
        (
            {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
            "django.core.mail.backends.console.EmailBackend",
        ),
    ],
)
def test_the_default_backend_follows_the_environment(
    environ: dict[str, str], expected: str
) -> None:
    assert _default_backend(**environ) == expected
