"""The staff operations queue: every operation across organizations that still needs the
engine or a person (queued, running, failed) by default, filtered by state, lane, kind,
organization and origin; how long the oldest queued operation of each lane has waited;
and "Retry selected" / "Cancel selected" over ticked rows.

The table is the shared live one (orgs.views.timeline), polling this page's own partial
while anything shown is open. Cancelling several is confirmed first: the button posts the
ticked ids here, which answers with a confirmation page that posts them back confirmed."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Min, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from orgs.forms.filters import ANY_STATE, OperationFilterForm
from orgs.models import UNSETTLED_STATES, OpState, Priority, SyncOperation
from orgs.services.sync_ops import BulkOutcome, sync_operations_cancel, sync_operations_retry
from orgs.sync.describe import describe_operations
from orgs.views.access import staff_required
from orgs.views.timeline import timeline_context
from portal.confirm import Confirmation, render_confirmation
from portal.models import User

OPERATIONS_PER_PAGE = 50
# The id of the bulk form the table's checkboxes belong to (they sit inside the table,
# beside the rows' own forms, so they name their form instead of being inside it).
BULK_FORM = "bulk-operations"
# On the cancel confirmation, at most this many operations are named one by one.
NAMED_ON_CONFIRMATION = 20


@staff_required
def operations_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "orgs/operations_queue.html", _queue_context(request))


@staff_required
def operations_queue_live(request: HttpRequest) -> HttpResponse:
    """The table (and the oldest-waiting line, out of band) for htmx to swap in."""
    return render(request, "orgs/partials/list_operations_live.html", _queue_context(request))


def _queue_context(request: HttpRequest) -> dict[str, Any]:
    form = OperationFilterForm(request.GET)
    filters = form.valid_filters()
    operations = _filtered_operations(filters).select_related("organization", "depends_on")
    page: Page[SyncOperation] = Paginator(operations, OPERATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.urlencode()
    live_url = reverse("orgs:operations_live") + (f"?{query}" if query else "")
    return {
        **timeline_context(page.object_list, live_url=live_url, show_organization=True),
        "selectable": BULK_FORM,
        "form": form,
        "page": page,
        "filtered": bool(filters),
        "filters_query": query,
        "oldest_waiting": oldest_waiting(),
    }


def _filtered_operations(filters: dict[str, Any]) -> QuerySet[SyncOperation]:
    operations = SyncOperation.objects.order_by("-created_at", "-pk")
    state = filters.get("state")
    if not state:
        operations = operations.filter(state__in=UNSETTLED_STATES)
    elif state != ANY_STATE:
        operations = operations.filter(state=state)
    if filters.get("lane"):
        operations = operations.filter(priority=filters["lane"])
    if filters.get("kind"):
        operations = operations.filter(kind=filters["kind"])
    if filters.get("origin"):
        operations = operations.filter(origin=filters["origin"])
    if filters.get("organization"):
        text = filters["organization"]
        operations = operations.filter(
            Q(organization__name__icontains=text) | Q(organization__display_name__icontains=text)
        )
    return operations


def oldest_waiting() -> list[tuple[str, str]]:
    """(lane, how long its oldest queued operation has waited), both lanes, one query."""
    oldest = dict(
        SyncOperation.objects.filter(state=OpState.QUEUED)
        .order_by()
        .values("priority")
        .annotate(since=Min("created_at"))
        .values_list("priority", "since")
    )
    now = timezone.now()
    return [
        (
            str(label).lower(),
            age_words((now - oldest[lane]).total_seconds()) if lane in oldest else "none",
        )
        for lane, label in Priority.choices
    ]


def age_words(seconds: float) -> str:
    """3 s, 2 min, 5 h, 3 days: the largest unit that fits, rounded down."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''}"


# --- Retry selected / Cancel selected ------------------------------------------------


@require_POST
@staff_required
def operations_retry(request: HttpRequest) -> HttpResponse:
    selected = _selected_ids(request)
    if selected:
        outcome = sync_operations_retry(actor=cast(User, request.user), operation_ids=selected)
        _tell(request, outcome, "retried")
    else:
        messages.error(request, "Tick at least one operation to retry.")
    return _back_to_queue(request)


@require_POST
@staff_required
def operations_cancel(request: HttpRequest) -> HttpResponse:
    """The ticked operations: first a confirmation naming them, then (posted back with
    `confirmed`) each cancelled, whatever state it reached meanwhile re-checked by the
    service."""
    selected = _selected_ids(request)
    if not selected:
        messages.error(request, "Tick at least one operation to cancel.")
        return _back_to_queue(request)
    if request.POST.get("confirmed") != "yes":
        operations = list(
            SyncOperation.objects.filter(pk__in=selected)
            .select_related("organization")
            .order_by("pk")
        )
        if not operations:
            messages.error(request, "None of the ticked operations exists any more.")
            return _back_to_queue(request)
        return render_confirmation(request, _cancel_confirmation(request, operations))
    outcome = sync_operations_cancel(actor=cast(User, request.user), operation_ids=selected)
    _tell(request, outcome, "cancelled")
    return _back_to_queue(request)


def _selected_ids(request: HttpRequest) -> list[int]:
    """Ticked boxes post `operation` once each; the confirmation posts them back as one
    comma-separated `operations`."""
    values = [*request.POST.getlist("operation"), *request.POST.get("operations", "").split(",")]
    # At most 18 digits: a longer number is no id, and would overflow the database's integer.
    ids = (value.strip() for value in values)
    return sorted({int(value) for value in ids if value.isdigit() and len(value) <= 18})


def _filters_query(request: HttpRequest) -> str:
    """The queue's filters the person came from, re-encoded so only a query string can
    come out of it."""
    return QueryDict(request.POST.get("filters", "")).urlencode()


def _back_to_queue(request: HttpRequest) -> HttpResponse:
    query = _filters_query(request)
    return redirect(reverse("orgs:operations") + (f"?{query}" if query else ""))


def _cancel_confirmation(request: HttpRequest, operations: list[SyncOperation]) -> Confirmation:
    count = len(operations)
    noun = f"{count} operation{'s' if count != 1 else ''}"
    query = _filters_query(request)
    return Confirmation(
        title=f"Cancel {noun}?",
        action_url=reverse("orgs:operations_cancel"),
        button=f"Yes, cancel {noun}",
        cancel_url=reverse("orgs:operations") + (f"?{query}" if query else ""),
        impact=_cancel_impact(operations),
        hidden={
            "operations": ",".join(str(op.pk) for op in operations),
            "confirmed": "yes",
            "filters": query,
        },
    )


def _cancel_impact(operations: list[SyncOperation]) -> list[str]:
    words = describe_operations(operations[:NAMED_ON_CONFIRMATION])
    lines = []
    for op in operations[:NAMED_ON_CONFIRMATION]:
        where = f" ({op.organization})" if op.organization_id else " (tenant)"
        line = f"#{op.pk} {words[op.pk]}{where}"
        if op.state not in (OpState.QUEUED, OpState.FAILED):
            line += f": {op.get_state_display().lower()}, so it cannot be cancelled"
        lines.append(line)
    if len(operations) > NAMED_ON_CONFIRMATION:
        lines.append(f"and {len(operations) - NAMED_ON_CONFIRMATION} more.")
    lines.append(
        "What they already changed in Auth0 stays. Changes waiting for one of them either "
        "end with it or go ahead on their own."
    )
    return lines


def _tell(request: HttpRequest, outcome: BulkOutcome, verb: str) -> None:
    """One message for the lot: "3 retried; 1 could not be: #12: <reason>"."""
    done = f"{len(outcome.done)} {verb}" if outcome.done else f"None {verb}"
    if not outcome.refused:
        messages.success(request, f"{done}.")
        return
    reasons = "; ".join(f"#{pk}: {reason}" for pk, reason in outcome.refused)
    could_not = f"{len(outcome.refused)} could not be"
    messages.warning(request, f"{done}; {could_not}: {reasons}")
