"""Emails the portal itself sends (Auth0 sends its own invitations).

A send that fails is not always a send that did not happen: once the message is handed to
the mail server, a lost reply (a dropped connection after DATA, a timeout) leaves it
unknown whether it went out. Callers that must never mail twice need to tell the two
apart, so `send_ticket_invitation` raises `MailNotSent` only when nothing can have been
delivered and lets every other error through as it came.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from typing import Any

from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string

from orgs.models import Invitation

log = logging.getLogger(__name__)

# Raised by smtplib (through Django's SMTP backend) before the server accepted the message:
# the connection never came up, or the server refused the greeting, the sender or every
# recipient. Nothing was delivered.
REFUSED_BEFORE_DELIVERY: tuple[type[Exception], ...] = (
    ConnectionRefusedError,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPRecipientsRefused,
)


class MailNotSent(Exception):
    """The mail certainly did not go out: sending it again cannot make a duplicate."""


@dataclass(frozen=True)
class RenderedEmail:
    """One of the portal's emails, rendered once from templates/emails/<name>/
    (subject.txt, body.txt, body.html), ready to address to each recipient."""

    subject: str
    text: str
    html: str

    def to(self, address: str) -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(self.subject, self.text, to=[address])
        message.attach_alternative(self.html, "text/html")
        return message


def render_email(name: str, context: dict[str, Any]) -> RenderedEmail:
    base = f"emails/{name}"
    return RenderedEmail(
        subject=" ".join(render_to_string(f"{base}/subject.txt", context).split()),
        text=render_to_string(f"{base}/body.txt", context),
        html=render_to_string(f"{base}/body.html", context),
    )


def send_ticket_invitation(invitation: Invitation, ticket_url: str) -> None:
    """Invite someone to an own-database organization: they set a password via the ticket.

    Raises `MailNotSent` when nothing was delivered; any other exception means the mail
    may or may not have gone out."""
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "ticket_url": ticket_url,
    }
    send_telling_apart(render_email("ticket_invitation", context).to(invitation.email))


def send_telling_apart(message: EmailMultiAlternatives) -> None:
    """Send one message, raising `MailNotSent` only when nothing can have been delivered;
    any other exception means it may have gone out (see the module's docstring)."""
    connection = get_connection()
    _open(connection)
    try:
        try:
            sent = connection.send_messages([message])
        except REFUSED_BEFORE_DELIVERY as exc:
            raise MailNotSent(f"{type(exc).__name__}: {exc}") from exc
        if not sent:
            raise MailNotSent("the mail backend sent nothing")
    finally:
        _close(connection)


def _open(connection: BaseEmailBackend) -> None:
    """Connect before handing the message over, so a failure here is known to be harmless:
    refused, timed out, dropped during the greeting, TLS or login (SMTPServerDisconnected
    before sending), whatever the error, no message had been given to the server yet."""
    try:
        connection.open()
    except OSError as exc:  # smtplib's errors are OSErrors too
        raise MailNotSent(f"{type(exc).__name__}: {exc}") from exc


def _close(connection: BaseEmailBackend) -> None:
    # After a successful send a failing QUIT changes nothing about delivery: reporting it
    # would turn a delivered mail into an "unknown" one.
    try:
        connection.close()
    except OSError:
        log.warning("closing the mail connection failed", exc_info=True)
