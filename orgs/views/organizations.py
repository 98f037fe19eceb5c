from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from orgs.models import OpState, Organization, OrgStatus, SyncOperation
from orgs.services import ServiceError
from orgs.services.sync_ops import sync_operation_cancel, sync_operation_retry
from orgs.views.access import SESSION_ORG, get_organization_for, staff_required


@staff_required
def organization_list(request: HttpRequest) -> HttpResponse:
    organizations = Organization.objects.exclude(status=OrgStatus.DELETED).annotate(
        open_ops=Count(
            "sync_operations",
            filter=Q(sync_operations__state__in=[OpState.QUEUED, OpState.RUNNING]),
        ),
        failed_ops=Count("sync_operations", filter=Q(sync_operations__state=OpState.FAILED)),
    )
    return render(request, "orgs/organization_list.html", {"organizations": organizations})


@login_required
def my_organization(request: HttpRequest) -> HttpResponse:
    pk = request.session.get(SESSION_ORG)
    if not pk:
        raise Http404
    return redirect("orgs:detail", pk=pk)


@login_required
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    context = {
        "org": org,
        "links": org.organization_connections.select_related("connection"),
        "urls": org.application_urls.select_related("application"),
        "invitations": org.invitations.prefetch_related("roles")[:50],
        "members": org.members.prefetch_related("roles")[:200],
        "operations": org.sync_operations.select_related("depends_on")[:50],
    }
    return render(request, "orgs/organization_detail.html", context)


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
