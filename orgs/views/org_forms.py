"""Create and edit an organization (staff): the forms, the short name's live availability
check, and the branding preview both forms show (updated as you type by static/js/portal.js)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from orgs.forms.organizations import (
    OrganizationCreateForm,
    OrganizationDetailsForm,
    OrganizationEditForm,
)
from orgs.models import Organization
from orgs.services import ServiceError
from orgs.services.organizations import (
    EditConflict,
    organization_name_problem,
    organization_provision,
    organization_update,
)
from orgs.views.access import get_organization_for, staff_required
from portal.models import User

_hex_colour = re.compile(r"^#[0-9a-fA-F]{6}$")
# The preview's stand-ins for Auth0's defaults when no colours are given.
DEFAULT_PRIMARY, DEFAULT_BACKGROUND = "#3b4cca", "#f6f7fb"


@staff_required
def create_organization(request: HttpRequest) -> HttpResponse:
    form = OrganizationCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            org = organization_provision(actor=_person(request), **form.provision_arguments())
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f"{org} is being set up in Auth0: its progress shows below.")
            return redirect("orgs:detail", pk=org.pk)
    return _render_form(request, form, None)


@staff_required
def edit_organization(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    if request.method != "POST":
        return _render_form(request, OrganizationEditForm.opened(org), org)
    form = OrganizationEditForm(request.POST)
    if form.is_valid():
        changes = form.changes(org)
        if not changes:
            messages.info(request, "Nothing changed, so nothing was saved.")
            return redirect("orgs:detail", pk=org.pk)
        try:
            org = organization_update(
                actor=_person(request),
                organization=org,
                expected_version=form.cleaned_data["version"],
                **changes,
            )
        except EditConflict as conflict:
            form = _conflicted_form(org, conflict)
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f"Saved. The change to {org} is on its way to Auth0.")
            return redirect("orgs:detail", pk=org.pk)
    return _render_form(request, form, org)


def _conflicted_form(org: Organization, conflict: EditConflict) -> OrganizationEditForm:
    """The form again with the values someone else saved, and who changed what on top."""
    org.refresh_from_db()
    form = OrganizationEditForm.current(org)
    form.is_valid()
    form.add_error(None, conflict.message)
    return form


@staff_required
def check_organization_name(request: HttpRequest) -> HttpResponse:
    """The short name's availability, as a fragment for the form's live region (htmx)."""
    name = request.GET.get("name", "").strip().lower()
    problem = organization_name_problem(name) if name else ""
    return render(request, "orgs/partials/form_name_check.html", {"name": name, "problem": problem})


def _render_form(
    request: HttpRequest, form: OrganizationDetailsForm, org: Organization | None
) -> HttpResponse:
    cancel_url = reverse("orgs:detail", args=[org.pk]) if org else reverse("orgs:list")
    return render(
        request,
        "orgs/organization_form.html",
        {"form": form, "org": org, "preview": branding_preview(form), "cancel_url": cancel_url},
    )


def branding_preview(form: OrganizationDetailsForm) -> dict[str, str]:
    """What the preview card shows: only values that pass the rules are styled in, so a
    half-typed colour or an http logo never reaches the page's CSS or an <img>."""
    primary = _valid_colour(form["primary_color"].value())
    background = _valid_colour(form["page_background_color"].value())
    logo = str(form["logo_url"].value() or "").strip()
    return {
        "name": str(form["display_name"].value() or "").strip() or "Your organization",
        "logo_url": logo if logo.startswith("https://") and '"' not in logo else "",
        "primary": primary or DEFAULT_PRIMARY,
        "background": background or DEFAULT_BACKGROUND,
        "button_text": readable_text_on(primary or DEFAULT_PRIMARY),
    }


def _valid_colour(value: object) -> str:
    text = str(value or "").strip()
    return text.lower() if _hex_colour.match(text) else ""


def readable_text_on(colour: str) -> str:
    """Black or white, whichever reads better on `colour` (WCAG relative luminance);
    static/js/portal.js makes the same choice as you type."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#111111" if luminance > 0.179 else "#ffffff"


def _person(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # staff_required: signed in
    return user
