"""Exports of an organization's users: ask for one, watch it live, download the file.

Staff and the organization's own customer admin see these pages
(`get_organization_for`); anyone else gets a 404. An export's page is its progress while
it runs and its download once ready, so coming back to the same URL always shows where
it is.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from orgs.models import Organization
from orgs.services.errors import ServiceError
from orgs.usermigration.export_files import COLUMNS
from orgs.usermigration.exports import (
    export_continue,
    export_download,
    export_request,
    export_retry,
    exported_connections,
    is_stalled,
)
from orgs.usermigration.models import ExportFormat, ExportStatus, UserExport
from orgs.views.access import get_organization_for
from orgs.views.tabs import render_tab
from orgs.views.timeline import POLL_EVERY
from portal.forms import PortalForm

# Exports live beside migrations on the organization's "Migrations" tab.
TAB = "usermigration:index"
LISTED_EXPORTS = 20
JOB_STATES = {
    "waiting": "Not started yet",
    "pending": "Waiting in Auth0's queue",
    "processing": "Exporting",
    "completed": "Exported, being read",
    "downloaded": "Done",
    "failed": "Failed",
}
CONTENT_TYPES = {ExportFormat.CSV: "text/csv; charset=utf-8", ExportFormat.JSON: "application/json"}


class ExportRequestForm(PortalForm):
    file_format = forms.ChoiceField(
        label="File format",
        choices=ExportFormat.choices,
        initial=ExportFormat.CSV,
        widget=forms.RadioSelect,
        help_text="CSV opens in a spreadsheet; JSON is one array of users, for programs.",
        error_messages={"required": "Choose CSV or JSON."},
    )


def _export_for(request: HttpRequest, pk: int, export_id: int) -> tuple[Organization, UserExport]:
    org = get_organization_for(request, pk)
    export = get_object_or_404(
        UserExport.objects.select_related("requested_by").defer("file_encrypted"),
        pk=export_id,
        organization=org,
    )
    return org, export


def _detail_url(export: UserExport) -> str:
    return reverse("usermigration:export_detail", args=[export.organization_id, export.pk])


def recent_exports(org: Organization) -> list[UserExport]:
    """What templates/usermigration/partials/export_list.html lists (as `exports`)."""
    exports = org.user_exports.select_related("requested_by").defer("file_encrypted")
    return list(exports[:LISTED_EXPORTS])


@login_required
def export_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The request form: the format, and what the file includes, in plain words."""
    org = get_organization_for(request, pk)
    form = ExportRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            export = export_request(
                actor=request.user,  # type: ignore[arg-type]
                organization=org,
                file_format=form.cleaned_data["file_format"],
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            return redirect(_detail_url(export))
    context = {
        "form": form,
        "connections": exported_connections(org),
        "columns": COLUMNS,
        "keep_days": settings.USER_EXPORT_KEEP_DAYS,
        "exports": recent_exports(org),
    }
    return render_tab(request, org, TAB, "usermigration/export_new.html", context)


@login_required
def export_detail(request: HttpRequest, pk: int, export_id: int) -> HttpResponse:
    org, export = _export_for(request, pk, export_id)
    return render_tab(
        request, org, TAB, "usermigration/export_detail.html", _status_context(request, export)
    )


@login_required
def export_status(request: HttpRequest, pk: int, export_id: int) -> HttpResponse:
    """The live part alone, for htmx to swap in every 2 s while the export runs."""
    _org, export = _export_for(request, pk, export_id)
    return render(
        request, "usermigration/partials/export_status.html", _status_context(request, export)
    )


@login_required
def export_file_download(request: HttpRequest, pk: int, export_id: int) -> HttpResponse:
    org, export = _export_for(request, pk, export_id)
    try:
        data = export_download(actor=request.user, export=export)  # type: ignore[arg-type]
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_detail_url(export))
    day = (export.finished_at or export.created_at).date().isoformat()
    response = HttpResponse(data, content_type=CONTENT_TYPES[ExportFormat(export.file_format)])
    response["Content-Disposition"] = (
        f'attachment; filename="{org.name}-users-{day}.{export.file_format}"'
    )
    response["Cache-Control"] = "no-store"  # personal data: never kept by a cache
    return response


@require_POST
@login_required
def export_retry_view(request: HttpRequest, pk: int, export_id: int) -> HttpResponse:
    """Try again: a new export like the failed one."""
    _org, export = _export_for(request, pk, export_id)
    try:
        fresh = export_retry(actor=request.user, export=export)  # type: ignore[arg-type]
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_detail_url(export))
    messages.success(request, "Exporting the users again.")
    return redirect(_detail_url(fresh))


@require_POST
@login_required
def export_continue_view(request: HttpRequest, pk: int, export_id: int) -> HttpResponse:
    """Continue a stalled export from the jobs it has already started."""
    _org, export = _export_for(request, pk, export_id)
    try:
        export_continue(actor=request.user, export=export)  # type: ignore[arg-type]
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The export carries on where it stopped.")
    return redirect(_detail_url(export))


def _status_context(request: HttpRequest, export: UserExport) -> dict[str, Any]:
    exporting = export.status == ExportStatus.EXPORTING
    return {
        "export": export,
        "jobs": [_job_row(entry) for entry in export.jobs],
        "stalled": is_stalled(export),
        "show_details": request.user.is_staff,
        "status_url": reverse(
            "usermigration:export_status", args=[export.organization_id, export.pk]
        ),
        "poll_every": POLL_EVERY if exporting else "",
    }


def _job_row(entry: dict[str, Any]) -> dict[str, Any]:
    status = str(entry.get("status", ""))
    done = status == "downloaded"
    percentage = 100 if done else entry.get("percentage_done")
    return {
        "connection": entry.get("connection", ""),
        "shared": bool(entry.get("shared")),
        "state": JOB_STATES.get(status, status),
        "status": status,
        "percentage": percentage if isinstance(percentage, int) else None,
        "time_left": _time_left(entry.get("time_left_seconds")) if not done else "",
        "details": entry.get("details", ""),
    }


def _time_left(seconds: Any) -> str:
    if not isinstance(seconds, int) or seconds <= 0:
        return ""
    if seconds < 60:
        return "less than a minute left"
    minutes = round(seconds / 60)
    return f"about {minutes} minute{'' if minutes == 1 else 's'} left"
