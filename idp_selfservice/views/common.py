"""What the wizard's pages share: the tab they render in, the acting user, the words for a
setup's state, and the page frame of a step ("Step N of 6: ...", back to the task list)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import reverse

from idp_selfservice import services
from idp_selfservice.models import SetupState, SsoSetup
from idp_selfservice.providers import Provider
from orgs.views.tabs import render_tab
from portal.models import User

TAB = "idp_selfservice:index"
STEPS = 6
READ_METHODS = ("GET", "HEAD")


def actor(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) else None


def refuse_method(request: HttpRequest, allowed: tuple[str, ...]) -> HttpResponse | None:
    """405 for another method; called after the access check, so a person who may not
    see the page gets its 404 whatever the method."""
    if request.method in allowed:
        return None
    return HttpResponseNotAllowed(list(allowed))


def setup_title(setup: SsoSetup, provider: Provider) -> str:
    if setup.replaces is not None:
        return f"Draft changes to {provider.name} ({setup.replaces.connection_name})"
    return f"{provider.name} ({setup.connection_name})"


def state_words(setup: SsoSetup) -> str:
    """Where the setup stands, as the organization's people read it."""
    if setup.state == SetupState.ACTIVE:
        return "On: members sign in through it"
    if setup.state == SetupState.DISABLED:
        return "Turned off: nobody signs in through it"
    if setup.state == SetupState.TESTED:
        return "Tested: ready to turn on" if setup.replaces is None else "Tested: ready to swap in"
    if setup.state == SetupState.SWAPPED:
        return "Swapped in: these changes are live"
    if setup.state == SetupState.DELETED:
        return "Deleted"
    if setup.connection is None:
        return "Draft: waiting for your identity provider's details"
    return "Draft: waiting for a test sign-in that passes"


def locked_reason(setup: SsoSetup) -> str:
    """Why steps 3 and 4 cannot change this setup ("" when they can)."""
    if setup.state in (SetupState.ACTIVE, SetupState.DISABLED):
        return (
            "This connection is in use, so it is not changed here: edit it as a draft copy, "
            "test the copy, then swap it in."
        )
    if setup.state in (SetupState.SWAPPED, SetupState.DELETED):
        return "This setup is finished and cannot be changed."
    return ""


def render_step(
    request: HttpRequest,
    setup: SsoSetup,
    template: str,
    context: dict[str, Any],
    *,
    step: int,
    title: str,
    status: int = 200,
) -> HttpResponse:
    """A step's page: "Step N of 6: title", with the way back to the task list."""
    provider = services.provider_of(setup)
    org = setup.organization
    frame = {
        "setup": setup,
        "provider": provider,
        "step": step,
        "steps": STEPS,
        "step_title": title,
        "setup_title": setup_title(setup, provider),
        "setup_url": reverse("idp_selfservice:setup", args=[org.pk, setup.pk]),
        "edit_url": reverse("idp_selfservice:edit", args=[org.pk, setup.pk]),
    }
    return render_tab(request, org, TAB, template, {**frame, **context}, status=status)
