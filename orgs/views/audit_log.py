"""The staff audit log: every AuditEvent, newest first, filtered by organization, person,
action and day; and the same filtered set as a CSV file, streamed row by row so an export
of the whole history never sits in memory. Both say what the organization's audit trail
tab says (orgs.audit_words, through orgs.views.org_audit.event_row), secrets redacted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from orgs.audit_words import action_words, redacted
from orgs.forms.filters import AuditFilterForm
from orgs.models import AuditEvent, OrgStatus
from orgs.views.access import staff_required
from orgs.views.org_audit import event_row
from portal.spreadsheets import csv_lines

EVENTS_PER_PAGE = 50
CSV_COLUMNS = ("time", "actor", "organization", "action", "target", "details")
_EXPORT_CHUNK = 2000


@staff_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    filters = form.valid_filters()
    events = _filtered_events(filters).select_related("organization")
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "rows": [event_row(event) for event in page.object_list],
        "filtered": bool(filters),
        "deleted": OrgStatus.DELETED,
    }
    return render(request, "orgs/audit_log.html", context)


# staff_required is typed for HttpResponse; a streamed response passes through it the same.
@staff_required  # type: ignore[arg-type]
def audit_log_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered events as CSV: time (ISO 8601, UTC), actor, organization, action in
    words, target and the details as JSON, redacted like the page."""
    filters = AuditFilterForm(request.GET).valid_filters()
    events = _filtered_events(filters).select_related("organization")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(_csv_lines(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response


def _filtered_events(filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.order_by("-created_at", "-pk")
    if filters.get("organization"):
        text = filters["organization"]
        events = events.filter(
            Q(organization__name__icontains=text) | Q(organization__display_name__icontains=text)
        )
    if filters.get("actor"):
        events = events.filter(actor_label__icontains=filters["actor"])
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("date_from"):
        events = events.filter(created_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        events = events.filter(created_at__date__lte=filters["date_to"])
    return events


def _csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    cells = (_csv_cells(event) for event in events.iterator(chunk_size=_EXPORT_CHUNK))
    return csv_lines(CSV_COLUMNS, cells)


def _csv_cells(event: AuditEvent) -> list[str]:
    organization = event.organization
    return [
        event.created_at.astimezone(UTC).isoformat(),
        event.actor_label,
        organization.name if organization is not None else "",
        action_words(event.action),
        event.target,
        json.dumps(redacted(event.details or {}), sort_keys=True, default=str),
    ]
