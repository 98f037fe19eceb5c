"""User migration pages: the organization's Migrations tab, the upload, a CSV's column
mapping, and a migration's page, which is whatever it needs now (the check while the file
is compared with the connection, the report and confirmation, then the live progress), so
coming back to the same URL always shows where it is.

Staff and the organization's own customer admin see these pages (`get_organization_for`);
anyone else gets a 404, and so does a migration of another organization. Every change
goes through the services (orgs/usermigration/); a refusal is shown as an error summary on
the page the person was on."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from orgs.models import Organization
from orgs.secrets import decrypt_bytes
from orgs.services.errors import ServiceError
from orgs.usermigration import reading
from orgs.usermigration.actions import (
    migration_continue,
    migration_retry_failed_jobs,
    migration_stop,
)
from orgs.usermigration.confirm import migration_confirm
from orgs.usermigration.forms import ConfirmForm, MappingForm, MigrationUploadForm
from orgs.usermigration.mapping import guess_mapping, mapping_problems
from orgs.usermigration.models import MigrationStatus, RowStatus, UserMigration
from orgs.usermigration.results import results_lines
from orgs.usermigration.targets import import_targets
from orgs.usermigration.upload import migration_discard, migration_map, migration_upload
from orgs.usermigration.views import panels
from orgs.usermigration.views.exports import recent_exports
from orgs.views.access import get_organization_for
from orgs.views.tabs import render_tab
from portal.confirm import Confirmation, render_confirmation
from portal.models import User

TAB = "usermigration:index"
MIGRATIONS_PER_PAGE = 25
PREVIEW_ROWS = 3
PREVIEW_CHARACTERS = 40
REFUSED = 400

# The example the upload page offers (docs/user-migration-example.csv holds the same).
EXAMPLE_CSV = (
    "email,given_name,family_name,email_verified,password_hash,hash_algorithm\n"
    "ada@example.com,Ada,Lovelace,true,"
    "$2b$10$CTdFCusL1EeGkraPMevjW.7OLEQ1PG2tPbP2ETv32XIvvBnP2tPi2,bcrypt\n"
    "grace@example.com,Grace,Hopper,true,"
    "3c7cd32603ac7d34b4dea52c9ae17ecd825068b41645b8bc980437d529f9ab0e,sha256\n"
    "alan@example.com,Alan,Turing,false,,\n"
)


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _migration_for(
    request: HttpRequest, pk: int, migration_id: int
) -> tuple[Organization, UserMigration]:
    org = get_organization_for(request, pk)
    migration = get_object_or_404(
        # The stored file (up to 100 MB) is read only where it is needed (the mapping).
        UserMigration.objects.select_related("connection", "uploaded_by", "confirmed_by").defer(
            "upload_encrypted"
        ),
        pk=migration_id,
        organization=org,
    )
    return org, migration


def _detail_url(migration: UserMigration) -> str:
    return reverse("usermigration:detail", args=[migration.organization_id, migration.pk])


# -- the tab ------------------------------------------------------------------------------


@login_required
def migration_index(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    migrations = (
        org.user_migrations.select_related("connection", "uploaded_by")
        .defer("upload_encrypted")
        .exclude(status=MigrationStatus.DISCARDED)
        .annotate(
            imported_count=Count(
                "rows", filter=Q(rows__status__in=[RowStatus.IMPORTED, RowStatus.UPDATED])
            ),
            failed_count=Count("rows", filter=Q(rows__status=RowStatus.FAILED)),
        )
        .order_by("-created_at", "-pk")
    )
    page = Paginator(migrations, MIGRATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "refusal": import_targets(org).refusal,
        "exports": recent_exports(org),
    }
    return render_tab(request, org, TAB, "usermigration/index.html", context)


@login_required
def migration_example(request: HttpRequest, pk: int) -> HttpResponse:
    get_organization_for(request, pk)
    response = HttpResponse(EXAMPLE_CSV, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="user-migration-example.csv"'
    return response


# -- upload and mapping -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def migration_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a file; a JSON one is checked at once, a CSV goes on to its column mapping."""
    org = get_organization_for(request, pk)
    targets = import_targets(org)
    if targets.refusal:
        status = 403 if request.method == "POST" else 200
        context = {"refusal": targets.refusal, "form": None}
        return render_tab(request, org, TAB, "usermigration/new.html", context, status=status)
    form = MigrationUploadForm(
        request.POST or None, request.FILES or None, connections=targets.connections
    )
    if request.method == "POST" and form.is_valid():
        migration = _upload(request, org, form)
        if migration is not None:
            if migration.status == MigrationStatus.MAPPING:
                return redirect("usermigration:mapping", pk=org.pk, migration_id=migration.pk)
            return redirect(_detail_url(migration))
    status = REFUSED if form.errors else 200
    return render_tab(request, org, TAB, "usermigration/new.html", {"form": form}, status=status)


def _upload(
    request: HttpRequest, org: Organization, form: MigrationUploadForm
) -> UserMigration | None:
    upload = form.cleaned_data["file"]
    connection = form.chosen_connection()
    if connection is None:  # import_targets found none; the page already said why
        form.add_error(None, "This organization has no database connection to import into.")
        return None
    try:
        return migration_upload(
            actor=_actor(request),
            organization=org,
            connection=connection,
            file_name=upload.name,  # the browser's base name, shown escaped
            data=upload.read(),
            upsert=form.upsert(),
        )
    except ServiceError as exc:
        form.add_service_error(exc)
        return None


@require_http_methods(["GET", "POST"])
@login_required
def migration_mapping(request: HttpRequest, pk: int, migration_id: int) -> HttpResponse:
    """Say which column of a CSV holds what; the rows are then read and checked."""
    org, migration = _migration_for(request, pk, migration_id)
    if migration.status != MigrationStatus.MAPPING:
        return redirect(_detail_url(migration))
    csv_file = reading.read_csv(decrypt_bytes(migration.upload_encrypted))
    form = MappingForm(
        request.POST or None, headers=csv_file.headers, guess=guess_mapping(csv_file.headers)
    )
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        for field, message in mapping_problems(mapping, csv_file.headers):
            form.add_error(field if field in form.fields else None, message)
        if not form.errors:
            try:
                migration_map(actor=_actor(request), migration=migration, mapping=mapping)
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                return redirect(_detail_url(migration))
    context = {
        "migration": migration,
        "form": form,
        "preview": _preview(csv_file),
        "preview_numbers": range(1, min(PREVIEW_ROWS, len(csv_file.rows)) + 1),
    }
    status = REFUSED if form.errors else 200
    return render_tab(request, org, TAB, "usermigration/mapping.html", context, status=status)


def _preview(csv_file: reading.CsvFile) -> list[dict[str, Any]]:
    """Each header with its first rows' cells (shortened), to recognise what it holds."""
    rows = csv_file.rows[:PREVIEW_ROWS]
    return [
        {"header": header, "cells": [_shortened(row.get(header) or "") for row in rows]}
        for header in csv_file.headers
    ]


def _shortened(cell: str) -> str:
    cell = cell.strip()
    return cell if len(cell) <= PREVIEW_CHARACTERS else cell[: PREVIEW_CHARACTERS - 1] + "…"


# -- a migration's page ---------------------------------------------------------------------


@login_required
def migration_detail(request: HttpRequest, pk: int, migration_id: int) -> HttpResponse:
    org, migration = _migration_for(request, pk, migration_id)
    if migration.status == MigrationStatus.MAPPING:
        return redirect("usermigration:mapping", pk=org.pk, migration_id=migration.pk)
    return _render_detail(request, org, migration)


def _render_detail(
    request: HttpRequest,
    org: Organization,
    migration: UserMigration,
    *,
    confirm_form: ConfirmForm | None = None,
    action_error: str = "",
) -> HttpResponse:
    context: dict[str, Any] = {"migration": migration, "action_error": action_error}
    if migration.status == MigrationStatus.CHECKED:
        context |= panels.report_context(request, migration, confirm_form)
    else:
        context |= panels.live_context(migration)
    failed = bool(action_error) or bool(confirm_form and confirm_form.errors)
    status = REFUSED if failed else 200
    return render_tab(request, org, TAB, "usermigration/detail.html", context, status=status)


@login_required
def migration_status(request: HttpRequest, pk: int, migration_id: int) -> HttpResponse:
    """The live part alone, for htmx to swap in every 2 s. When the migration has moved on
    to another kind of page (the check became the report), the whole page is loaded."""
    org, migration = _migration_for(request, pk, migration_id)
    shown = request.GET.get("shown", "")
    if not panels.same_panel(shown, MigrationStatus(migration.status)):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = _detail_url(migration)
        return response
    template = (
        "usermigration/partials/progress.html"
        if migration.status in panels.PROGRESS
        else "usermigration/partials/checking.html"
    )
    return render(request, template, {"org": org, **panels.live_context(migration)})


# -- the changes ----------------------------------------------------------------------------


@require_POST
@login_required
def migration_confirm_view(request: HttpRequest, pk: int, migration_id: int) -> HttpResponse:
    org, migration = _migration_for(request, pk, migration_id)
    if migration.status != MigrationStatus.CHECKED:
        return redirect(_detail_url(migration))
    without_hash = migration.rows.filter(status=RowStatus.READY, needs_password_link=True)
    form = ConfirmForm(request.POST, rows_without_hash=without_hash.count())
    if form.is_valid():
        try:
            confirmed = migration_confirm(
                actor=_actor(request),
                migration=migration,
                role_names=form.role_names(),
                send_password_links=form.send_password_links(),
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f"Importing {panels.users(confirmed.ready_rows)}.")
            return redirect(_detail_url(migration))
    return _render_detail(request, org, migration, confirm_form=form)


@require_http_methods(["GET", "POST"])
@login_required
def migration_discard_view(request: HttpRequest, pk: int, migration_id: int) -> HttpResponse:
    """GET: what discarding does; POST: discard."""
    org, migration = _migration_for(request, pk, migration_id)
    if request.method != "POST":
        return render_confirmation(request, _discard_confirmation(migration))
    try:
        migration_discard(actor=_actor(request), migration=migration)
    except ServiceError as exc:
        return _render_detail(request, org, migration, action_error=exc.message)
    messages.success(request, f"Discarded {migration.file_name}: nobody was imported.")
    return redirect(TAB, pk=org.pk)


def _discard_confirmation(migration: UserMigration) -> Confirmation:
    return Confirmation(
        title=f"Discard {migration.file_name}?",
        action_url=reverse("usermigration:discard", args=[migration.organization_id, migration.pk]),
        button="Discard",
        cancel_url=_detail_url(migration),
        impact=[
            "Nobody from the file is imported.",
            "The file's rows and their password hashes are deleted from the portal.",
            "You can upload the file again later.",
        ],
    )


@require_POST
@login_required
def migration_continue_view(request: HttpRequest, pk: int, migration_id: int) -> HttpResponse:
    org, migration = _migration_for(request, pk, migration_id)
    try:
        migration_continue(actor=_actor(request), migration=migration)
    except ServiceError as exc:
        return _render_detail(request, org, migration, action_error=exc.message)
    messages.success(request, "Carrying on where it stopped.")
    return redirect(_detail_url(migration))


@require_POST
@login_required
def migration_retry_view(request: HttpRequest, pk: int, migration_id: int) -> HttpResponse:
    org, migration = _migration_for(request, pk, migration_id)
    try:
        jobs = migration_retry_failed_jobs(actor=_actor(request), migration=migration)
    except ServiceError as exc:
        return _render_detail(request, org, migration, action_error=exc.message)
    messages.success(request, f"Sending {jobs} failed job{'' if jobs == 1 else 's'} again.")
    return redirect(_detail_url(migration))


@require_http_methods(["GET", "POST"])
@login_required
def migration_stop_view(request: HttpRequest, pk: int, migration_id: int) -> HttpResponse:
    """GET: what ending a stopped import does; POST: end it."""
    org, migration = _migration_for(request, pk, migration_id)
    if request.method != "POST":
        return render_confirmation(request, _stop_confirmation(migration))
    try:
        migration_stop(actor=_actor(request), migration=migration)
    except ServiceError as exc:
        return _render_detail(request, org, migration, action_error=exc.message)
    messages.success(request, "The import is ended: the results say what became of each user.")
    return redirect(_detail_url(migration))


def _stop_confirmation(migration: UserMigration) -> Confirmation:
    return Confirmation(
        title=f"End the import of {migration.file_name}?",
        action_url=reverse("usermigration:stop", args=[migration.organization_id, migration.pk]),
        button="End the import",
        cancel_url=_detail_url(migration),
        impact=[
            "Users already imported stay, with what was done for them.",
            "Nothing more is sent to Auth0: users still waiting are not imported.",
            "Users Auth0 had not reported on may be in the connection without being "
            "members; the results CSV marks them.",
            "The file's password hashes are deleted from the portal.",
        ],
    )


@login_required
def migration_results(request: HttpRequest, pk: int, migration_id: int) -> HttpResponse:
    org, migration = _migration_for(request, pk, migration_id)
    response = StreamingHttpResponse(
        results_lines(migration), content_type="text/csv; charset=utf-8"
    )
    file_name = f"{org.name}-migration-{migration.pk}-results.csv"
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
