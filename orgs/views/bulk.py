"""Bulk provisioning pages (staff only): upload a CSV, read its report, confirm, and watch
the run's progress live; past runs; the example file and a run's results as CSV.

A run's page is its report until it is confirmed and its progress afterwards, so coming
back to the same URL always shows where it is."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from orgs.bulk.csvfile import MAX_BYTES, MAX_ROWS, example_csv
from orgs.bulk.eta import run_eta
from orgs.bulk.progress import counts_for_runs, failed_rows, is_live, run_counts, run_state
from orgs.bulk.results import results_csv
from orgs.models import Application, BulkRowStatus, BulkRun, BulkRunStatus
from orgs.services import ServiceError
from orgs.services.bulk import bulk_run_confirm, bulk_run_create, is_stalled
from orgs.services.invitations import default_application
from orgs.views.access import staff_required
from orgs.views.timeline import POLL_EVERY
from portal.confirm import Confirmation, render_confirmation
from portal.forms import PortalForm

RUNS_PER_PAGE = 25


class BulkUploadForm(PortalForm):
    file = forms.FileField(
        label="CSV file",
        help_text=f"A .csv file of at most {MAX_ROWS:,} organizations and 1 MB.",
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )
    application = forms.ModelChoiceField(
        queryset=Application.objects.order_by("name"),
        label="Application",
        empty_label=None,
        help_text="The application the rows' URLs are added to and the admin invitations use.",
        error_messages={"required": "Choose the application the URLs and invitations use."},
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(
                "Choose a .csv file (in Excel: File > Save As > CSV UTF-8)."
            )
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                "The file is larger than 1 MB: split it into smaller files."
            )
        return upload


def _initial_application(request: HttpRequest) -> Application | None:
    chosen = request.GET.get("application", "")
    if chosen.isdigit():
        found = Application.objects.filter(pk=int(chosen)).first()
        if found is not None:
            return found
    try:
        return default_application()
    except ServiceError:
        return Application.objects.order_by("name").first()


@staff_required
def bulk_new(request: HttpRequest) -> HttpResponse:
    """Upload a file; a readable one is stored as a run and its report shown."""
    if request.method == "POST":
        form = BulkUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = bulk_run_create(
                    actor=request.user,  # type: ignore[arg-type]
                    file_name=upload.name,  # the browser's base name, shown escaped
                    content=upload.read(),
                    application=form.cleaned_data["application"],
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                return redirect("orgs:bulk_run", run_id=run.pk)
    else:
        form = BulkUploadForm(initial={"application": _initial_application(request)})
    return render(request, "orgs/bulk/new.html", {"form": form, "max_rows": f"{MAX_ROWS:,}"})


@staff_required
def bulk_example(request: HttpRequest) -> HttpResponse:
    return _csv_response(example_csv(), "bulk-import-example.csv")


@staff_required
def bulk_runs(request: HttpRequest) -> HttpResponse:
    runs = BulkRun.objects.select_related("uploaded_by").order_by("-created_at", "-pk")
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    counts = counts_for_runs(run.pk for run in page.object_list)
    listed = [
        {"run": run, "counts": counts[run.pk], "state": run_state(run, counts[run.pk])}
        for run in page.object_list
    ]
    return render(request, "orgs/bulk/runs.html", {"page": page, "listed": listed})


@staff_required
def bulk_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """The report while the run waits for confirmation, its progress afterwards."""
    run = get_object_or_404(BulkRun.objects.select_related("uploaded_by", "application"), pk=run_id)
    if run.status == BulkRunStatus.CHECKED:
        return render(request, "orgs/bulk/report.html", _report_context(run))
    return render(request, "orgs/bulk/run.html", _progress_context(run))


@staff_required
def bulk_run_live(request: HttpRequest, run_id: int) -> HttpResponse:
    """The progress panel alone, for htmx to swap in while the run is not finished."""
    run = get_object_or_404(BulkRun, pk=run_id)
    return render(request, "orgs/bulk/progress.html", _progress_context(run))


@staff_required
def bulk_confirm(request: HttpRequest, run_id: int) -> HttpResponse:
    """GET: what confirming does; POST: start creating (or continue a stalled run)."""
    run = get_object_or_404(BulkRun, pk=run_id)
    run_url = reverse("orgs:bulk_run", args=[run.pk])
    if request.method != "POST":
        if run.status != BulkRunStatus.CHECKED or not run.ready_rows:
            return redirect(run_url)
        return render_confirmation(request, _confirmation(run, run_url))
    continuing = run.status == BulkRunStatus.CREATING
    try:
        bulk_run_confirm(actor=request.user, run=run)  # type: ignore[arg-type]
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if continuing:
            messages.success(request, "Creating the organizations again where it stopped.")
        else:
            messages.success(request, f"Creating {_organizations(run.ready_rows)}.")
    return redirect(run_url)


@staff_required
def bulk_results(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(BulkRun, pk=run_id)
    return _csv_response(results_csv(run), f"bulk-import-{run.pk}-results.csv")


# -- helpers --------------------------------------------------------------------------------


def _organizations(count: int) -> str:
    return f"{count} organization{'' if count == 1 else 's'}"


def confirm_button(run: BulkRun) -> str:
    """The confirm button's words: "Create 48 organizations"."""
    return f"Create {_organizations(run.ready_rows)}"


def _confirmation(run: BulkRun, run_url: str) -> Confirmation:
    impact = [
        f"{_organizations(run.ready_rows)} will be created in the portal, then in Auth0.",
        "They are sent in the bulk lane, so people's own changes go first.",
    ]
    if run.problem_rows:
        impact.append(f"{run.problem_rows} row(s) with problems will be skipped.")
    return Confirmation(
        title=f"{confirm_button(run)}?",
        action_url=reverse("orgs:bulk_confirm", args=[run.pk]),
        button=confirm_button(run),
        cancel_url=run_url,
        impact=impact,
        danger=False,
    )


def _report_context(run: BulkRun) -> dict[str, Any]:
    rows = list(run.rows.order_by("number"))
    return {
        "run": run,
        "problem_rows": [row for row in rows if row.status == BulkRowStatus.INVALID],
        "ready_rows": [row for row in rows if row.status != BulkRowStatus.INVALID],
        "confirm_button": confirm_button(run),
        "confirmation": _confirmation(run, reverse("orgs:bulk_run", args=[run.pk])),
    }


def _progress_context(run: BulkRun) -> dict[str, Any]:
    counts = run_counts(run)
    live = is_live(run, counts)
    return {
        "run": run,
        "counts": counts,
        "state": run_state(run, counts),
        "eta": run_eta(run) if live else "",
        "stalled": is_stalled(run),
        "failed_rows": failed_rows(run) if counts.failed else [],
        "live_url": reverse("orgs:bulk_run_live", args=[run.pk]),
        "poll_every": POLL_EVERY if live else "",
    }


def _csv_response(text: str, file_name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
