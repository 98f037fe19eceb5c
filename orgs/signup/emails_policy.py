"""Which email addresses may sign up: work addresses, not personal or throwaway mail
(settings SIGNUP_CONSUMER_EMAILS, SIGNUP_DISPOSABLE_EMAILS and the two domain lists that
correct them), and every address in one spelling."""

from __future__ import annotations

import unicodedata

from django.conf import settings

from orgs.domains.names import CONSUMER_DOMAINS, DISPOSABLE_DOMAINS, normalise, parents
from orgs.services.errors import ServiceError
from orgs.signup.characters import describe, first_bidi_control, first_invisible

REFUSE, ALLOW = "refuse", "allow"
POLICY_CHOICES = (REFUSE, ALLOW)
_NOT_AN_ADDRESS = "Enter an email address like name@example.com."


def normalise_email(email: str) -> str:
    """The address as the portal stores and compares it: stripped, NFKC, lower case (as
    invitations and members are). Raises ValueError when it hides characters that could
    make it display as another address."""
    text = unicodedata.normalize("NFKC", email.strip())
    hidden = first_bidi_control(text) or first_invisible(text)
    if hidden:
        raise ValueError(
            f"The email address contains a hidden character ({describe(hidden)}): "
            "type it again without it."
        )
    return text.lower()


def email_domain_problem(email: str) -> str:
    """ "" when this address's domain may sign up, else a message saying why not. A domain
    matches a list entry when it is that domain or under it (mail.gmail.com is gmail.com)."""
    shown = email.rpartition("@")[2].strip().lower()
    try:
        domain = normalise(shown)
    except ServiceError:
        return _NOT_AN_ADDRESS
    names = [domain, *parents(domain)]
    refused = _domain_set(settings.SIGNUP_EMAIL_DOMAINS_REFUSED)
    allowed = _domain_set(settings.SIGNUP_EMAIL_DOMAINS_ALLOWED)
    # Our own lists first, nearest entry winning: "refuse example.com, allow
    # dept.example.com" does what it says.
    for name in names:
        if name in refused:
            return (
                f"{shown} email addresses cannot be used to sign up: use your work email address."
            )
        if name in allowed:
            return ""
    if settings.SIGNUP_DISPOSABLE_EMAILS == REFUSE and any(n in DISPOSABLE_DOMAINS for n in names):
        return f"{shown} is a disposable email service: use your work email address."
    if settings.SIGNUP_CONSUMER_EMAILS == REFUSE and any(n in CONSUMER_DOMAINS for n in names):
        return f"Use your work email address: {shown} is a personal email service."
    return ""


def setting_domain_problem(entry: str) -> str:
    """ "" when a SIGNUP_EMAIL_DOMAINS_* entry is a domain name, else why not (the checks)."""
    try:
        normalise(entry)
    except ServiceError as exc:
        return exc.message
    return ""


def _domain_set(entries: list[str]) -> set[str]:
    found = set()
    for entry in entries:
        try:
            found.add(normalise(entry))
        except ServiceError:
            continue  # reported by the configuration checks (orgs.signup.checks)
    return found
