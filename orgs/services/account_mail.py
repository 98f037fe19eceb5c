"""The email a user created by the portal gets: a link (Auth0's password-change ticket)
to choose their own password. Nobody else ever knows it.

As orgs.emails does for ticket invitations, `MailNotSent` means nothing can have been
delivered (safe to send again); any other exception means it may have gone out."""

from __future__ import annotations

from orgs.emails import render_email, send_telling_apart
from orgs.models import Organization


def send_account_ticket(*, organization: Organization, email: str, ticket_url: str) -> None:
    context = {"organization": organization, "email": email, "ticket_url": ticket_url}
    send_telling_apart(render_email("account_created", context).to(email))
