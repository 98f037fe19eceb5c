"""The organization's audit trail tab: its audit events, newest first, in words (who,
when, what, on what, and before → after for a change), secrets redacted
(orgs.audit_words, shared with the staff audit log and its CSV)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse

from orgs.audit_words import action_words, changed_fields, other_details
from orgs.models import AuditEvent
from orgs.views.access import get_organization_for
from orgs.views.tabs import render_tab

EVENTS_PER_PAGE = 50
EMPTY = "(empty)"


def shown(value: Any) -> str:
    """A detail's value as text: "yes" for True, lists joined, nested keys in words."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(shown(item) for item in value) or EMPTY
    if isinstance(value, dict):
        pairs = (f"{str(key).replace('_', ' ')}: {shown(item)}" for key, item in value.items())
        return "; ".join(pairs) or EMPTY
    return str(value)


def event_row(event: AuditEvent) -> dict[str, Any]:
    return {
        "event": event,
        "words": action_words(event.action),
        "changes": [
            (field, shown(before), shown(after))
            for field, before, after in changed_fields(event.details)
        ],
        "details": [(label, shown(value)) for label, value in other_details(event.details)],
    }


@login_required
def organization_audit(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    events = org.audit_events.order_by("-created_at", "-pk")
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [event_row(event) for event in page.object_list]
    return render_tab(
        request, org, "orgs:audit", "orgs/detail/audit.html", {"page": page, "rows": rows}
    )
