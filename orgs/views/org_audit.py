"""The organization's audit trail tab: its audit events, newest first, in words (who,
when, what, on what, and before → after for a change), secrets redacted
(orgs.audit_words, shared with the staff audit log and its CSV)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from orgs.audit_words import action_words, changed_fields, other_details
from orgs.forms.filters import AuditFilterForm
from orgs.models import AuditEvent, Organization
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


class OrganizationAuditFilterForm(AuditFilterForm):
    """The staff audit log's filters (what, who, from, to) within one organization."""

    organization = None  # type: ignore[assignment]


def _filtered(org: Organization, form: AuditFilterForm) -> QuerySet[AuditEvent]:
    filters = form.valid_filters()
    events = org.audit_events.order_by("-created_at", "-pk")
    if filters.get("actor"):
        events = events.filter(actor_label__icontains=filters["actor"])
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("date_from"):
        events = events.filter(created_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        events = events.filter(created_at__date__lte=filters["date_to"])
    return events


@login_required
def organization_audit(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff and the organization's own administrators (get_organization_for)."""
    org = get_organization_for(request, pk)
    form = OrganizationAuditFilterForm(request.GET)
    events = _filtered(org, form)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [event_row(event) for event in page.object_list]
    context = {"page": page, "rows": rows, "form": form, "filtered": bool(form.valid_filters())}
    return render_tab(request, org, "orgs:audit", "orgs/detail/audit.html", context)


@login_required
def organization_audit_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The filtered trail as the staff audit log's CSV (same columns, same redaction)."""
    # The staff log's writer (private there; imported late: audit_log imports this module).
    from orgs.views.audit_log import _csv_lines as csv_lines

    org = get_organization_for(request, pk)
    events = _filtered(org, OrganizationAuditFilterForm(request.GET)).select_related("organization")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(csv_lines(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{org.name}-{stamp}.csv"'
    return response
