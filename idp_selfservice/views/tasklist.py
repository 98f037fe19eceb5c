"""A setup's task list (GOV.UK's task list pattern): the six steps, each with its status,
and the connection's operations live, so a person sees "Create connection ... done"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from idp_selfservice import certificate_watch, services
from idp_selfservice.access import get_setup_for
from idp_selfservice.models import SetupState, SsoSetup, TestOutcome
from idp_selfservice.providers import ADFS_FAMILY, Provider
from idp_selfservice.views.common import (
    READ_METHODS,
    TAB,
    refuse_method,
    setup_title,
    state_words,
)
from orgs.models import SyncOperation
from orgs.views.tabs import render_tab
from orgs.views.timeline import timeline_context
from portal.link_access import link_or_login_required

LISTED_OPERATIONS = 20

NOT_STARTED = "Not started"
COMPLETED = "Completed"
CANNOT_START = "Cannot start yet"
IN_PROGRESS = "In progress"
PASSED = "Passed"
FAILED = "Failed"
# GOV.UK: a coloured tag for what needs doing, plain text for what is done or waits.
STATUS_CLASS = {
    NOT_STARTED: "badge badge-info",
    IN_PROGRESS: "badge badge-info",
    FAILED: "badge badge-bad",
    PASSED: "badge badge-ok",
    COMPLETED: "task-done",
    CANNOT_START: "task-waiting",
}


@dataclass(frozen=True)
class Task:
    number: int
    title: str
    status: str
    url: str | None = None  # None: not a link (the step cannot start yet)
    hint: str = ""

    @property
    def status_class(self) -> str:
        return STATUS_CLASS[self.status]


@link_or_login_required("sso")
def setup_page(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    refused = refuse_method(request, READ_METHODS)
    if refused:
        return refused
    if request.GET.get("part") == "operations":
        return _operations_partial(request, setup)
    provider = services.provider_of(setup)
    context = {
        "setup": setup,
        "provider": provider,
        "setup_title": setup_title(setup, provider),
        "state_words": state_words(setup),
        "tasks": tasks_for(setup, provider),
        "certificate_health": certificate_watch.known_certificate_health(setup),
        **_operations_context(setup),
    }
    return render_tab(request, setup.organization, TAB, "idp_selfservice/setup.html", context)


def tasks_for(setup: SsoSetup, provider: Provider) -> list[Task]:
    org_pk, pk = setup.organization_id, setup.pk
    has_details = setup.connection is not None

    def url(name: str) -> str:
        return reverse(f"idp_selfservice:{name}", args=[org_pk, pk])

    idp = provider.name
    return [
        Task(1, "Pick your identity provider", COMPLETED, hint=idp),
        Task(
            2,
            f"Create the app in {idp}",
            COMPLETED if has_details else NOT_STARTED,
            url("create_app"),
        ),
        Task(
            3,
            f"Tell us about {idp}",
            COMPLETED if has_details else NOT_STARTED,
            url("found") if has_details else url("details"),
            _details_hint(setup),
        ),
        _mapping_task(setup, provider, url("mapping")),
        _test_task(setup),
        _turn_on_task(setup),
    ]


def _details_hint(setup: SsoSetup) -> str:
    summary = setup.idp_summary
    found = summary.get("entity_id") or summary.get("issuer") or ""
    return f"{setup.get_source_display()}: {found}" if found else ""


def _mapping_task(setup: SsoSetup, provider: Provider, url: str) -> Task:
    title = "Attribute mapping"
    if setup.connection is None:
        return Task(4, title, CANNOT_START, hint="After step 3.")
    if provider.family == ADFS_FAMILY:
        return Task(4, title, COMPLETED, url, "ADFS sends the standard claims; nothing to map.")
    return Task(4, title, COMPLETED, url, f"{provider.name}'s usual attribute names are set.")


def _test_task(setup: SsoSetup) -> Task:
    title = "Test sign-in"
    if setup.connection is None:
        return Task(5, title, CANNOT_START, hint="After step 3.")
    link = reverse("idp_selfservice:test", args=[setup.organization_id, setup.pk])
    if setup.has_passed_test:
        return Task(5, title, PASSED, link)
    latest = setup.tests.first()
    if latest is None:
        return Task(5, title, NOT_STARTED, link)
    if latest.outcome == TestOutcome.PENDING:
        return Task(5, title, IN_PROGRESS, link, "Waiting for the sign-in to come back.")
    if latest.outcome == TestOutcome.FAILED:
        return Task(5, title, FAILED, link, latest.reason)
    return Task(5, title, NOT_STARTED, link, "The details changed since the last test.")


def _turn_on_task(setup: SsoSetup) -> Task:
    if setup.replaces is not None:
        title, name = f"Swap the changes into {setup.replaces.connection_name}", "swap"
    else:
        title, name = "Turn it on", "activate"
    link = reverse(f"idp_selfservice:{name}", args=[setup.organization_id, setup.pk])
    if setup.state == SetupState.ACTIVE:
        return Task(6, title, COMPLETED, link, "Members sign in through it.")
    if setup.state == SetupState.SWAPPED:
        return Task(6, title, COMPLETED, None, "These changes are live.")
    if setup.state == SetupState.DISABLED:
        return Task(6, title, NOT_STARTED, link, "It was turned off; turn it back on here.")
    if setup.state == SetupState.TESTED:
        return Task(6, title, NOT_STARTED, link)
    return Task(6, title, CANNOT_START, hint="After a test sign-in that passes.")


# --- the connection's operations, live -------------------------------------------------------


def setup_operations(setup: SsoSetup) -> Any:
    """The operations that put this setup's connection in Auth0: the connection itself,
    its link to the organization and the applications enabled on it."""
    connection = setup.connection
    if connection is None:
        return SyncOperation.objects.none()
    return (
        SyncOperation.objects.filter(organization_id=setup.organization_id)
        .filter(
            Q(target_type="connection", target_id=connection.pk)
            | Q(payload__connection_id=connection.pk)
        )
        .select_related("depends_on", "organization")
        .order_by("-created_at", "-id")
    )


def _operations_context(setup: SsoSetup) -> dict[str, Any]:
    live_url = reverse("idp_selfservice:setup", args=[setup.organization_id, setup.pk])
    return timeline_context(
        setup_operations(setup)[:LISTED_OPERATIONS], live_url=live_url + "?part=operations"
    )


def _operations_partial(request: HttpRequest, setup: SsoSetup) -> HttpResponse:
    context = _operations_context(setup)
    response = render(request, "elements/operations_table.html", context)
    if not context["open_count"]:
        # Settled: the page refreshes itself once (templates/orgs/detail/base.html), so the
        # steps' statuses follow.
        response["HX-Trigger"] = "operationsSettled"
    return response
