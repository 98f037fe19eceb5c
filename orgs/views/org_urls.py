"""The organization's application URLs tab: the callback, logout and web-origin URLs the
organization needs on each application, adding one and removing one (after a
confirmation). A removed URL stays listed as "Removing" until Auth0 has dropped it."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from orgs.forms.tabs import ApplicationUrlForm
from orgs.models import ApplicationURL, Organization
from orgs.services import ServiceError
from orgs.services.applications import application_url_add, application_url_remove
from orgs.views.access import get_organization_for
from orgs.views.outcome import report
from orgs.views.tabs import render_tab
from portal.confirm import Confirmation, render_confirmation
from portal.models import User

TAB = "orgs:urls"


@login_required
def organization_urls(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    return _render(request, org, ApplicationUrlForm())


def _render(request: HttpRequest, org: Organization, form: ApplicationUrlForm) -> HttpResponse:
    urls = org.application_urls.select_related("application").order_by(
        "application__name", "kind", "url"
    )
    return render_tab(request, org, TAB, "orgs/detail/urls.html", {"urls": urls, "form": form})


@require_POST
@login_required
def url_add(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    form = ApplicationUrlForm(request.POST)
    if not form.is_valid():
        return _render(request, org, form)
    application = form.cleaned_data["application"]
    try:
        row = application_url_add(
            actor=cast(User, request.user),
            organization=org,
            application=application,
            kind=form.cleaned_data["kind"],
            url=form.cleaned_data["url"],
        )
    except ServiceError as exc:
        form.add_service_error(exc)
        return _render(request, org, form)
    messages.success(
        request, f"Adding {row.url} to {application}. It shows as In sync once Auth0 has it."
    )
    return redirect(TAB, pk=org.pk)


@require_http_methods(["GET", "POST"])
@login_required
def url_remove(request: HttpRequest, pk: int, url_id: int) -> HttpResponse:
    """GET: what removing the URL does; POST: remove it."""
    org = get_organization_for(request, pk)
    urls = org.application_urls.select_related("application", "organization")
    url = urls.filter(pk=url_id).first()
    if url is None:
        raise Http404
    if url.removing:
        messages.info(request, f"{url.url} is being removed already.")
        return redirect(TAB, pk=org.pk)
    if request.method != "POST":
        return render_confirmation(request, _confirmation(org, url))
    report(
        request,
        lambda: application_url_remove(actor=cast(User, request.user), row=url),
        f"Removing {url.url} from {url.application}. "
        "It leaves this list once Auth0 has dropped it.",
    )
    return redirect(TAB, pk=org.pk)


def _confirmation(org: Organization, url: ApplicationURL) -> Confirmation:
    display = url.get_kind_display()
    kind = display[0].lower() + display[1:]  # "callback URL", "web origin"
    return Confirmation(
        title=f"Remove this {kind} from {url.application}?",
        action_url=reverse("orgs:url_remove", args=[org.pk, url.pk]),
        button="Remove URL",
        cancel_url=reverse(TAB, args=[org.pk]),
        impact=(
            f"{url.application} stops accepting {url.url} as a {kind} for {org.display_name}.",
            "If another organization uses the same URL, Auth0 keeps it for them.",
        ),
    )
