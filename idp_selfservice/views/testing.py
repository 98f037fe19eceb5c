"""Step 5, the test sign-in: the page that explains it and waits for it, the start (which
opens the IdP in a new tab), the portal callback's hand-off for test sign-ins, and the
result page with everything that came back.

The callback (portal/login.py) hands a request here when this session holds a pending
test whose state matches: the admin stays signed in as themselves, the tested user is
never logged in, and the admin's own pending login (if any) is left alone.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from idp_selfservice import services, testing
from idp_selfservice.access import get_setup_for
from idp_selfservice.models import SetupState, SsoSetup, SsoTest, TestOutcome
from orgs.services.errors import ServiceError
from orgs.views.tabs import render_tab
from orgs.views.timeline import timeline_context
from portal import oidc
from portal.link_access import link_scope
from portal.models import User

TAB = "idp_selfservice:index"
LISTED_TESTS = 10
LISTED_OPERATIONS = 10
# How long a tab that opened a test waits for the test to start in the other tab.
AWAIT_START_FOR = 120


def _actor(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) else None


@link_scope("sso")
def test_page(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    """The explanation, the start button (or why not yet), the latest outcome (live while
    a test is pending) and the earlier tests."""
    setup = get_setup_for(request, org_pk, setup_pk)
    part = request.GET.get("part")
    if part == "latest":
        context = _latest_context(setup, awaiting=_awaiting(request))
        response = render(request, "idp_selfservice/test_latest.html", context)
        if not context["waiting"]:
            # The outcome is in: the page refreshes itself once (templates/orgs/detail/
            # base.html), so the tests so far and the start button's words follow.
            response["HX-Trigger"] = "operationsSettled"
        return response
    if part == "operations":
        return _operations_partial(request, setup)
    tests = list(setup.tests.select_related("started_by")[:LISTED_TESTS])
    context = {
        "setup": setup,
        "provider": services.provider_of(setup),
        "refusal": testing.refusal_to_start(setup),
        "tests": tests,
        **_latest_context(setup, tests[0] if tests else None),
        **_operations_context(setup),
    }
    return render_tab(request, setup.organization, TAB, "idp_selfservice/test.html", context)


def _latest_context(
    setup: SsoSetup, latest: SsoTest | None = None, awaiting: tuple[int, int] | None = None
) -> dict[str, Any]:
    """The latest test, polled while it is pending. `awaiting` (after, until): this tab
    has just opened a test in another tab (static/js/portal.js), so it keeps polling
    until a test newer than `after` exists, or the `until` moment has passed."""
    latest = latest or setup.tests.select_related("started_by").first()
    latest_url = _test_url(setup) + "?part=latest"
    newest = latest.pk if latest else 0
    not_started = awaiting is not None and newest <= awaiting[0] and time.time() < awaiting[1]
    if not_started and awaiting is not None:
        latest_url += f"&after={awaiting[0]}&until={awaiting[1]}"
    return {
        "setup": setup,
        "org": setup.organization,
        "latest": latest,
        "not_started": not_started,
        "waiting": not_started or testing.is_waiting(latest),
        "latest_url": latest_url,
        "await_url": f"{_test_url(setup)}?part=latest&after={newest}",
        "next_step": _next_step(setup, latest) if latest else None,
    }


def _awaiting(request: HttpRequest) -> tuple[int, int] | None:
    """(after, until) from the query, or None when this tab is not waiting for a start.
    The first poll has no `until`: the wait is bounded from then, by the server's clock."""
    after, until = request.GET.get("after", ""), request.GET.get("until", "")
    if not after.isdigit():
        return None
    return int(after), int(until) if until.isdigit() else int(time.time()) + AWAIT_START_FOR


def _operations_context(setup: SsoSetup) -> dict[str, Any]:
    operations = testing.connection_operations(setup)[:LISTED_OPERATIONS]
    context = timeline_context(operations, live_url=_test_url(setup) + "?part=operations")
    context["sending"] = testing.waiting_operations(setup).exists()
    return context


def _operations_partial(request: HttpRequest, setup: SsoSetup) -> HttpResponse:
    context = _operations_context(setup)
    response = render(request, "elements/operations_table.html", context)
    if not context["open_count"]:
        # Settled: the page refreshes itself once, so the start button appears
        # (templates/orgs/detail/base.html listens for this).
        response["HX-Trigger"] = "operationsSettled"
    return response


@link_scope("sso")
def test_start(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    """POST (from a form that opens a new tab): record a pending test and send the
    browser to Auth0's authorize URL with this connection and organization."""
    setup = get_setup_for(request, org_pk, setup_pk)
    if request.method != "POST":
        return redirect(_test_url(setup))
    try:
        url = testing.begin(request.session, actor=_actor(request), setup=setup)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_test_url(setup))
    except oidc.LoginError as exc:
        messages.error(request, str(exc))
        return redirect(_test_url(setup))
    return redirect(url)


# --- the callback's hand-off ----------------------------------------------------------------


def is_test_callback(request: HttpRequest) -> bool:
    """Does this callback answer a test sign-in this session started (or finished)?"""
    state = request.GET.get("state", "")
    if not state or not hasattr(request, "session"):
        return False
    session = request.session
    return testing.pending_for(session, state) is not None or (
        testing.finished_for(session, state) is not None
    )


def test_callback(request: HttpRequest) -> HttpResponse:
    """Finish the test and show its result. A replay (or a reload) of the same callback
    finds the state already finished and shows the result again, recording nothing."""
    state = request.GET["state"]
    finished = testing.finished_for(request.session, state)
    if finished is not None:
        return _result_redirect(request, finished)
    pending = testing.take_pending(request.session, state)
    assert pending is not None  # is_test_callback said so
    test = (
        SsoTest.objects.select_related("setup__organization", "setup__connection")
        .filter(pk=int(pending.get("test") or 0))
        .first()
    )
    if test is None:
        messages.error(request, "This test sign-in was removed; start a new one.")
        return redirect("home")
    if test.outcome == TestOutcome.PENDING:
        result = testing.finish(test, request.GET, pending)
        test = services.test_record(actor=_actor(request), test=test, result=result)
    testing.remember_finished(request.session, state, test)
    return _result_redirect(request, test.pk)


def _result_redirect(request: HttpRequest, test_pk: int) -> HttpResponse:
    test = SsoTest.objects.select_related("setup").filter(pk=test_pk).first()
    if test is None:
        return redirect("home")
    setup = test.setup
    return redirect(
        "idp_selfservice:test_result",
        org_pk=setup.organization_id,
        setup_pk=setup.pk,
        test_pk=test.pk,
    )


# --- the result -----------------------------------------------------------------------------


@link_scope("sso")
def test_result(request: HttpRequest, org_pk: int, setup_pk: int, test_pk: int) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    test = get_object_or_404(SsoTest.objects.select_related("started_by"), pk=test_pk, setup=setup)
    context = {
        "setup": setup,
        "provider": services.provider_of(setup),
        "test": test,
        "claim_rows": value_rows(test.claims),
        "attribute_rows": value_rows(test.attributes),
        "next_step": _next_step(setup, test),
    }
    return render_tab(request, setup.organization, TAB, "idp_selfservice/test_result.html", context)


def _next_step(setup: SsoSetup, test: SsoTest) -> tuple[str, str] | None:
    """(label, url) of what to do after a pass: turn it on, or swap the draft in."""
    if test.outcome != TestOutcome.PASSED:
        return None
    args = [setup.organization_id, setup.pk]
    if setup.is_draft_copy and setup.state == SetupState.TESTED:
        return "Continue: swap it in", reverse("idp_selfservice:swap", args=args)
    if setup.state == SetupState.TESTED and not setup.is_draft_copy:
        return "Continue: turn it on", reverse("idp_selfservice:activate", args=args)
    return None


def value_rows(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Name and value of every claim or attribute, arrays joined, objects as JSON."""
    return [(str(name), display_value(values[name])) for name in sorted(values, key=str)]


def display_value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(display_value(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _test_url(setup: SsoSetup) -> str:
    return reverse("idp_selfservice:test", args=[setup.organization_id, setup.pk])
