"""The organization's History tab: every version of its configuration (who, when, what
changed), two versions compared in words, one version in full, and "Restore this
version" behind a confirmation listing the changes it records.

Staff and the organization's own customer admin see the history (get_organization_for).
Restoring is staff-only: a version holds the organization's settings (display name,
branding, metadata), which only staff may change, and a customer admin's partial restore
would leave a configuration that matches no version."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from orgs.audit_words import action_words
from orgs.forms.history import CompareVersionsForm, version_choices
from orgs.history.diff import FLAG_WORDS, describe_changes, summary
from orgs.history.restore import plan_restore, restore_version
from orgs.history.snapshot import FLAG_FIELDS, Snapshot, application_urls_of, empty_snapshot
from orgs.models import Organization, OrganizationVersion
from orgs.models.applications import UrlKind
from orgs.repository import views as repository_views
from orgs.repository.mode import repository_mode
from orgs.services import ServiceError
from orgs.views.access import get_organization_for, staff_required
from orgs.views.tabs import render_tab
from portal.confirm import Confirmation, render_confirmation
from portal.models import User

TAB = "orgs:history"
VERSIONS_PER_PAGE = 25


@login_required
def organization_history(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    if repository_mode():  # versions are the repository's commits (orgs.repository.views)
        return repository_views.organization_history(request, org)
    versions = org.versions.select_related("event").order_by("-number")
    page = Paginator(versions, VERSIONS_PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    previous = _version_before(org, shown[-1]) if shown else None
    rows = []
    for index, version in enumerate(shown):
        older = shown[index + 1] if index + 1 < len(shown) else previous
        rows.append(
            {
                "version": version,
                "action": action_words(version.event.action) if version.event else "",
                "summary": summary(_changes(older, version)),
            }
        )
    choices = _choices(org)
    initial = {"newer": choices[0][0], "older": choices[1][0]} if len(choices) > 1 else {}
    form = CompareVersionsForm(initial=initial, choices=choices)
    context = {"page": page, "rows": rows, "form": form, "can_compare": len(choices) > 1}
    return render_tab(request, org, TAB, "orgs/detail/history.html", context)


@login_required
def history_compare(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    form = CompareVersionsForm(request.GET, choices=_choices(org))
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        numbers = (form.cleaned_data["older"], form.cleaned_data["newer"])
        found = {v.number: v for v in org.versions.filter(number__in=numbers)}
        older, newer = found[numbers[0]], found[numbers[1]]
        context.update(
            older=older, newer=newer, changes=describe_changes(older.snapshot, newer.snapshot)
        )
    return render_tab(request, org, TAB, "orgs/detail/history_compare.html", context)


@login_required
def history_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    version = _version(org, number)
    context: dict[str, Any] = {
        "version": version,
        "configuration": readable_configuration(version.snapshot),
        "changes": _changes(_version_before(org, version), version),
        "restorable": "",
        "restore_changes": [],
    }
    if request.user.is_staff:
        try:
            context["restore_changes"] = plan_restore(org, version).changes
        except ServiceError as exc:
            context["restorable"] = exc.message
    return render_tab(request, org, TAB, "orgs/detail/history_version.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def history_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """GET: the changes restoring the version records; POST: record them."""
    org = get_organization_for(request, pk)
    version = _version(org, number)
    back = reverse("orgs:history_version", args=[org.pk, number])
    try:
        plan = plan_restore(org, version)
        if request.method != "POST":
            return render_confirmation(request, _confirmation(org, version, plan.changes, back))
        restored = restore_version(
            actor=cast(User, request.user), organization=org, version=version
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        f"Restoring version {number}: its changes are recorded as version {restored.number} "
        "and go to Auth0 now (see Activity).",
    )
    return redirect(TAB, pk=org.pk)


def _confirmation(
    org: Organization, version: OrganizationVersion, changes: list[str], back: str
) -> Confirmation:
    return Confirmation(
        title=f"Restore version {version.number} of {org.display_name}?",
        action_url=reverse("orgs:history_restore", args=[org.pk, version.number]),
        button=f"Restore version {version.number}",
        cancel_url=back,
        impact=(
            *changes,
            "Each change is recorded and sent to Auth0 like any other, and the result becomes "
            "a new version: restoring the current version afterwards undoes it.",
        ),
    )


def _version(org: Organization, number: int) -> OrganizationVersion:
    version = org.versions.select_related("event").filter(number=number).first()
    if version is None:
        raise Http404
    return version


def _version_before(org: Organization, version: OrganizationVersion) -> OrganizationVersion | None:
    return org.versions.filter(number__lt=version.number).order_by("-number").first()


def _changes(older: OrganizationVersion | None, newer: OrganizationVersion) -> list[str]:
    before = older.snapshot if older is not None else empty_snapshot(newer.snapshot.get("name", ""))
    return describe_changes(before, newer.snapshot)


def _choices(org: Organization) -> list[tuple[int, str]]:
    return version_choices(
        list(org.versions.order_by("-number").values_list("number", "created_at"))
    )


def readable_configuration(snapshot: Snapshot) -> dict[str, Any]:
    """A snapshot as the version page shows it: settings, connections with their flags in
    words, and URLs by application."""
    branding = snapshot.get("branding", {})
    connections = [
        {
            "name": name,
            "flags": ", ".join(FLAG_WORDS[f] for f in FLAG_FIELDS if flags.get(f)) or "none",
        }
        for name, flags in sorted(snapshot.get("connections", {}).items())
    ]
    labels = dict(UrlKind.choices)
    urls = [
        {"application": entry.get("name") or client_id, "kind": labels.get(kind, kind), "url": url}
        for client_id, entry in sorted(snapshot.get("application_urls", {}).items())
        for kind, values in application_urls_of(entry).items()
        for url in values
    ]
    return {
        "display_name": snapshot.get("display_name", ""),
        "logo_url": branding.get("logo_url", ""),
        "primary_color": branding.get("primary_color", ""),
        "page_background_color": branding.get("page_background_color", ""),
        "metadata": sorted(snapshot.get("metadata", {}).items()),
        "connections": connections,
        "urls": urls,
    }
