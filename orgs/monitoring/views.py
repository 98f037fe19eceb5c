"""The staff operations dashboard (`/ops/`): alerts, the sync backlog per lane, workers
and queues, tenant checks, the Auth0 log scan, certificates and domains, the synthetic
sign-in, and where to follow Auth0. Staff only; everyone else gets a 404.

Two actions: "Retry all failed in this lane" (confirmed first when it would retry more
than a few) and "Run the checks now" (queues the tenant checks task)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from orgs.models import OpState, Priority, SyncOperation
from orgs.monitoring.dashboard import dashboard
from orgs.monitoring.tasks import run_tenant_checks
from orgs.services.sync_ops import BulkOutcome, sync_operations_retry_lane
from orgs.views.access import staff_required
from portal.confirm import Confirmation, render_confirmation
from portal.models import User

# Retrying more failed operations than this at once is confirmed first: a lane's worth of
# retries sends that many calls to Auth0 again, and their errors may not be fixed yet.
RETRY_WITHOUT_CONFIRMATION = 3


@staff_required
def ops_dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "monitoring/dashboard.html", dashboard())


@require_POST
@staff_required
def retry_failed_in_lane(request: HttpRequest) -> HttpResponse:
    lane = request.POST.get("lane", "")
    if lane not in Priority.values:
        messages.error(request, "Choose the interactive or the bulk lane.")
        return _back("sync-backlog")
    label = Priority(lane).label.lower()
    failed = SyncOperation.objects.filter(state=OpState.FAILED, priority=lane).count()
    if not failed:
        messages.error(
            request, f"There is nothing to retry: no operation of the {label} lane is failed."
        )
        return _back("sync-backlog")
    if failed > RETRY_WITHOUT_CONFIRMATION and request.POST.get("confirmed") != "yes":
        return render_confirmation(request, _retry_confirmation(lane, label, failed))
    outcome = sync_operations_retry_lane(actor=cast(User, request.user), lane=lane)
    _tell(request, outcome, label)
    return _back("sync-backlog")


def _retry_confirmation(lane: str, label: str, failed: int) -> Confirmation:
    noun = f"{failed} failed operation{'s' if failed != 1 else ''}"
    return Confirmation(
        title=f"Retry {noun} of the {label} lane?",
        action_url=reverse("ops:retry_lane"),
        button=f"Yes, retry {noun}",
        cancel_url=reverse("ops:dashboard") + "#sync-backlog",
        impact=[
            f"Each of the {noun} is queued again from its first attempt and sent to "
            "Auth0 by the workers.",
            "An operation that failed because of its data (a 400) or a missing scope (a "
            "403) fails again until that is fixed: read the errors on the Operations list "
            "first.",
            "Each retry is recorded in the audit log under your name.",
        ],
        danger=False,
        hidden={"lane": lane, "confirmed": "yes"},
    )


def _tell(request: HttpRequest, outcome: BulkOutcome, label: str) -> None:
    done = len(outcome.done)
    retried = f"{done} failed operation{'s' if done != 1 else ''} of the {label} lane"
    if not outcome.refused:
        messages.success(request, f"{retried} queued again.")
        return
    reasons = "; ".join(f"#{pk}: {reason}" for pk, reason in outcome.refused)
    messages.warning(
        request, f"{retried} queued again; {len(outcome.refused)} could not be: {reasons}"
    )


@require_POST
@staff_required
def run_checks_now(request: HttpRequest) -> HttpResponse:
    # After commit, like every task the portal sends (the view runs outside a transaction
    # unless ATOMIC_REQUESTS is set, in which case it waits for the commit).
    transaction.on_commit(run_tenant_checks.delay)
    messages.success(
        request,
        "The tenant checks are queued: their answers replace these within a minute "
        "(reload the page).",
    )
    return _back("tenant-checks")


def _back(panel: str) -> HttpResponse:
    return redirect(reverse("ops:dashboard") + f"#{panel}")
