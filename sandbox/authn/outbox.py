"""Email outbox views: JSON for tests, HTML for people, links pulled out of each email.

The core stores what ``send_email`` was given; this module only reads it. Links are
extracted from both the HTML (``href``) and the text part so a test can follow an
invitation or a password-change ticket without parsing markup itself.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from .html import esc, page, table

_HREF_RE = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_URL_RE = re.compile(r"""https?://[^\s<>"')\]]+""")


def extract_links(text: str | None, markup: str | None) -> list[str]:
    """http(s) links in order of first appearance, HTML hrefs first, without duplicates."""
    found: list[str] = []
    for match in _HREF_RE.finditer(markup or ""):
        found.append(htmllib.unescape(match.group(1) or match.group(2) or ""))
    found.extend(_URL_RE.findall(text or ""))
    links: list[str] = []
    for link in found:
        link = link.rstrip(".,;")
        if link.startswith(("http://", "https://")) and link not in links:
            links.append(link)
    return links


def _field(email: Mapping[str, Any] | Any, name: str) -> Any:
    if isinstance(email, Mapping):
        return email.get(name)
    value = getattr(email, name, None)
    if value is None:  # extras such as "from" travel in the stored email's meta
        value = (getattr(email, "meta", None) or {}).get(name)
    return value


def email_json(email: Mapping[str, Any] | Any) -> dict[str, Any]:
    """The public JSON shape of one outbox entry."""
    text = _field(email, "text") or ""
    markup = _field(email, "html") or ""
    created = _field(email, "created_at")
    body: dict[str, Any] = {
        "id": _field(email, "id"),
        "to": _field(email, "to"),
        "subject": _field(email, "subject"),
        "text": text,
        "html": markup,
        "links": extract_links(text, markup),
        "created_at": created.isoformat() if hasattr(created, "isoformat") else created,
    }
    for extra in ("kind", "template", "from"):
        value = _field(email, extra)
        if value is not None:
            body[extra] = value
    return body


def outbox_page(emails: Iterable[Mapping[str, Any]], *, base: str = "") -> str:
    """All emails, newest first, each with its links clickable."""
    rows = []
    for mail in emails:
        links = "<br>".join(f'<a href="{esc(u)}">{esc(u)}</a>' for u in mail["links"])
        subject = (
            f'<a href="{esc(base)}/__sandbox__/emails/{quote(str(mail["id"]))}?format=html">'
            f"{esc(mail['subject'])}</a>"
        )
        rows.append([esc(mail["created_at"]), esc(mail["to"]), subject, links or "&ndash;"])
    if rows:
        body = table(["Sent", "To", "Subject", "Links"], rows)
    else:
        body = "<p>No email has been sent yet.</p>"
    body += (
        '<p class="note"><a href="/">The tenant\'s front page</a> (demo logins). JSON: '
        '<a href="/__sandbox__/emails?format=json">/__sandbox__/emails</a> '
        "(what scripts get without <code>Accept: text/html</code>). "
        "Nothing leaves this machine: the sandbox keeps every email here.</p>"
    )
    return page("Email outbox", body, subtitle=f"{len(rows)} email(s)", wide=True)


def email_page(mail: Mapping[str, Any]) -> str:
    """One email: headers, its HTML in a sandboxed frame, the text part and the links."""
    links = "".join(f'<li><a href="{esc(u)}">{esc(u)}</a></li>' for u in mail["links"])
    frame = ""
    if mail["html"]:
        # srcdoc keeps the email's own markup and styles away from this page's.
        frame = (
            '<iframe title="The email as HTML" '
            'sandbox="allow-top-navigation-by-user-activation allow-popups" '
            f'style="width:100%;height:420px;border:1px solid #d8dce3;border-radius:6px" '
            f'srcdoc="{esc(mail["html"])}"></iframe>'
        )
    sender = f"<b>From:</b> {esc(mail['from'])}<br>" if mail.get("from") else ""
    body = (
        f"<p>{sender}<b>To:</b> {esc(mail['to'])}<br><b>Sent:</b> {esc(mail['created_at'])}</p>"
        + (f"<h3>Links</h3><ul>{links}</ul>" if links else "")
        + frame
        + (f"<h3>Text</h3><pre>{esc(mail['text'])}</pre>" if mail["text"] else "")
        + '<p class="note"><a href="/__sandbox__/emails?format=html">All emails</a></p>'
    )
    return page(str(mail["subject"] or "(no subject)"), body, tag="Email outbox", wide=True)
