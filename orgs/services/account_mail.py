"""The email a user created by the portal gets: a link (Auth0's password-change ticket)
to choose their own password. Nobody else ever knows it.

As orgs.emails does for ticket invitations, `MailNotSent` means nothing can have been
delivered (safe to send again); any other exception means it may have gone out."""

from __future__ import annotations

import logging

from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from orgs.emails import REFUSED_BEFORE_DELIVERY, MailNotSent
from orgs.models import Organization

log = logging.getLogger(__name__)
TEMPLATES = "emails/account_created"


def send_account_ticket(*, organization: Organization, email: str, ticket_url: str) -> None:
    context = {"organization": organization, "email": email, "ticket_url": ticket_url}
    subject = render_to_string(f"{TEMPLATES}/subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject, render_to_string(f"{TEMPLATES}/body.txt", context), to=[email]
    )
    message.attach_alternative(render_to_string(f"{TEMPLATES}/body.html", context), "text/html")
    connection = get_connection()
    try:
        connection.open()  # before the message is handed over: a failure here sent nothing
    except OSError as exc:
        raise MailNotSent(f"{type(exc).__name__}: {exc}") from exc
    try:
        try:
            sent = connection.send_messages([message])
        except REFUSED_BEFORE_DELIVERY as exc:
            raise MailNotSent(f"{type(exc).__name__}: {exc}") from exc
        if not sent:
            raise MailNotSent("the mail backend sent nothing")
    finally:
        try:
            connection.close()
        except OSError:  # after a send, a failing QUIT changes nothing about delivery
            log.warning("closing the mail connection failed", exc_info=True)
