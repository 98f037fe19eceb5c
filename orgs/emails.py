"""Emails the portal itself sends (Auth0 sends its own invitations)."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from orgs.models import Invitation


def send_ticket_invitation(invitation: Invitation, ticket_url: str) -> None:
    """Invite someone to an own-database organization: they set a password via the ticket."""
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "ticket_url": ticket_url,
    }
    base = "emails/ticket_invitation"
    subject = render_to_string(f"{base}/subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject, render_to_string(f"{base}/body.txt", context), to=[invitation.email]
    )
    message.attach_alternative(render_to_string(f"{base}/body.html", context), "text/html")
    message.send()
