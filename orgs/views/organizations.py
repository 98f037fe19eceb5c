from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from orgs.models import ArchivedOperation, Organization, SyncOperation
from orgs.services import ServiceError
from orgs.services.sync_ops import sync_operation_cancel, sync_operation_retry
from orgs.views.access import SESSION_ORG, get_organization_for
from orgs.views.next_steps import next_steps_for
from orgs.views.tabs import render_tab
from orgs.views.timeline import timeline_context


@login_required
def my_organization(request: HttpRequest) -> HttpResponse:
    pk = request.session.get(SESSION_ORG)
    if not pk:
        raise Http404
    return redirect("orgs:detail", pk=pk)


@login_required
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The overview tab: details, branding and the latest activity; for the
    organization's customer admin, the setup checklist until it is all done."""
    org = get_organization_for(request, pk)
    context = _operations_context(org)
    if not request.user.is_staff:
        steps = next_steps_for(org, request.user)  # type: ignore[arg-type]
        if not steps.all_done:
            context["next_steps"] = steps
    return render_tab(request, org, "orgs:detail", "orgs/detail/overview.html", context)


@login_required
def organization_activity(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    return render_tab(
        request, org, "orgs:activity", "orgs/detail/activity.html", _operations_context(org)
    )


TIMELINE_LENGTH = 50


def _operations_context(org: Organization) -> dict[str, object]:
    """The live activity timeline, and how many older operations the archive holds
    (orgs.sync.archive moves them out)."""
    operations = org.sync_operations.select_related("depends_on", "organization")
    return {
        **timeline_context(
            operations[:TIMELINE_LENGTH], live_url=reverse("orgs:timeline", args=[org.pk])
        ),
        "archived_operations": ArchivedOperation.objects.filter(organization_id=org.pk).count(),
    }


@login_required
def organization_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline alone, for htmx to swap in while operations are open."""
    org = get_organization_for(request, pk)
    context = _operations_context(org)
    response = render(request, "elements/operations_table.html", context)
    if not context["open_count"]:
        # Everything has settled: the page around the table (status, sync state, the
        # Auth0 id) refreshes itself once (templates/orgs/detail/base.html).
        response["HX-Trigger"] = "operationsSettled"
    return response


@require_POST
@login_required
def operation_action(request: HttpRequest, pk: int, op_id: int, action: str) -> HttpResponse:
    org = get_organization_for(request, pk)
    op = SyncOperation.objects.filter(pk=op_id, organization=org).first()
    if op is None or action not in ("retry", "cancel"):
        raise Http404
    service = sync_operation_retry if action == "retry" else sync_operation_cancel
    try:
        service(actor=request.user, operation=op)  # type: ignore[arg-type]
        messages.success(
            request, f"Operation #{op.pk} {'queued again' if action == 'retry' else 'cancelled'}."
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("orgs:detail", pk=org.pk)
