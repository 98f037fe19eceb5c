"""Development mail: the portal's own emails go to the sandbox's outbox.

The sandbox keeps the emails the tenant "sends" (invitations, password links) at
`{AUTH0_DOMAIN}/__sandbox__/emails`; this backend adds the portal's (setup links,
certificate warnings, sign-up verification) to the same list, so a developer or a browser
test reads every email in one place. Each recipient (to, cc and bcc alike) gets an outbox
entry of their own, the way each would get a mail; attachments are not kept.

Errors follow what `orgs.emails.send_telling_apart` expects of a mail backend: an error
raised before any recipient of a message was stored is one of its "refused before
delivery" errors (`ConnectionRefusedError` when the sandbox cannot be reached,
`SMTPRecipientsRefused` when it refuses the message), so the caller knows nothing went
out; any other failure (a timeout after sending, a 5xx) may have stored it.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from email.utils import parseaddr
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from orgs.auth0.tokens import auth0_base_url

log = logging.getLogger(__name__)


class SandboxOutboxError(OSError):
    """The sandbox's outbox failed after a request went out: the email may be stored."""


class SandboxOutboxBackend(BaseEmailBackend):
    """POSTs every message to the sandbox's `/__sandbox__/emails`, one recipient each."""

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.client: httpx.Client | None = None

    def open(self) -> bool:
        if self.client is not None:
            return False
        self.client = httpx.Client(timeout=settings.AUTH0_TIMEOUT)
        return True

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if not email_messages:
            return 0
        opened_here = self.open()
        sent = 0
        try:
            for message in email_messages:
                if self._send_one(message):
                    sent += 1
        finally:
            if opened_here:
                self.close()
        return sent

    def _send_one(self, message: EmailMessage) -> bool:
        recipients = message.recipients()
        if not recipients:
            return False
        try:
            for index, recipient in enumerate(recipients):
                self._post(outbox_entry(message, recipient), nothing_stored_yet=index == 0)
        except OSError:
            if not self.fail_silently:
                raise
            log.warning("the sandbox outbox did not take an email", exc_info=True)
            return False
        return True

    def _post(self, entry: dict[str, str], *, nothing_stored_yet: bool) -> None:
        assert self.client is not None  # send_messages opened it
        url = f"{auth0_base_url()}/__sandbox__/emails"
        try:
            response = self.client.post(url, json=entry)
        except httpx.ConnectError as exc:
            if nothing_stored_yet:
                raise ConnectionRefusedError(f"the sandbox at {url} is unreachable: {exc}") from exc
            raise SandboxOutboxError(f"the sandbox at {url} became unreachable: {exc}") from exc
        except httpx.HTTPError as exc:  # a timeout after sending: it may have been stored
            raise SandboxOutboxError(f"sending to the sandbox at {url} failed: {exc}") from exc
        if response.status_code == 201:
            return
        problem = f"the sandbox refused the email to {entry['to']}: {response.text[:300]}"
        if response.is_client_error and nothing_stored_yet:
            refused = {entry["to"]: (response.status_code, problem.encode())}
            raise smtplib.SMTPRecipientsRefused(refused)
        raise SandboxOutboxError(problem)


def outbox_entry(message: EmailMessage, recipient: str) -> dict[str, str]:
    """The outbox's JSON for one recipient: the text body and the first HTML alternative
    (or the body itself, for a message whose body is HTML)."""
    text, markup = str(message.body), ""
    if message.content_subtype == "html":
        text, markup = "", str(message.body)
    for content, mimetype in getattr(message, "alternatives", None) or []:
        if mimetype == "text/html" and not markup:
            markup = content.decode() if isinstance(content, bytes) else str(content)
    entry = {
        "to": parseaddr(recipient)[1] or recipient,
        "subject": str(message.subject),
        "text": text,
        "from": str(message.from_email),
    }
    if markup:
        entry["html"] = markup
    return entry
