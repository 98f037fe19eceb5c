"""The staff operations queue: who may open it and act on it, what it lists by default,
its filters, the oldest wait per lane, and bulk retry and cancel (cancel confirmed first),
including operations that belong to no organization."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orgs.models import OpState, Organization, Origin, Priority, SyncOperation
from orgs.views.operations_queue import age_words
from tests.conftest import People, log_in
from tests.orgs.engine import sent_ops

pytestmark = pytest.mark.django_db

_keys = itertools.count()


def _op(
    org: Organization | None,
    state: str = OpState.FAILED,
    *,
    kind: str = "organization.update",
    priority: str = Priority.INTERACTIVE,
    origin: str = Origin.STAFF,
    age: timedelta | None = None,
) -> SyncOperation:
    op = SyncOperation.objects.create(
        kind=kind,
        organization=org,
        target_type="organization" if org else "connection",
        target_id=org.pk if org else 1,
        target_key=f"test:{next(_keys)}",
        idempotency_key=f"queue-test-{next(_keys)}",
        state=state,
        priority=priority,
        origin=origin,
        attempts=3 if state == OpState.FAILED else 0,
        last_error="Auth0 400: bad" if state == OpState.FAILED else "",
        last_error_code="400" if state == OpState.FAILED else "",
    )
    if age is not None:  # created_at is auto_now_add: set it afterwards
        SyncOperation.objects.filter(pk=op.pk).update(created_at=timezone.now() - age)
    return op


def _page(client: Client, url: str = "/orgs/operations/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _shown_ids(page: str) -> list[int]:
    return [int(part.split('"')[0]) for part in page.split('<tr id="op-')[1:]]


def _state(op: SyncOperation) -> str:
    op.refresh_from_db()
    return op.state


# --- who may open it and act on it ----------------------------------------------------------

URLS = ["/orgs/operations/", "/orgs/operations/live/"]
ACTIONS = ["/orgs/operations/retry/", "/orgs/operations/cancel/"]


def test_staff_open_the_queue(client: Client, people: People) -> None:
    _op(people.organization)
    log_in(client, people.staff)
    page = _page(client)
    assert "<h1>Operations</h1>" in page and "Retry selected" in page and "Cancel selected" in page
    for label in ("State", "Lane", "Change", "Organization", "Started by"):
        assert f">{label}</label>" in page


@pytest.mark.parametrize("url", URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, people: People, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("url", URLS)
def test_a_customer_admin_gets_404(client: Client, people: People, url: str) -> None:
    log_in(client, people.org_admin, people.organization)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", URLS)
def test_a_plain_member_gets_404(client: Client, people: People, url: str) -> None:
    log_in(client, people.org_member)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ACTIONS)
def test_a_customer_admin_cannot_act_in_bulk_even_on_their_own_work(
    client: Client, people: People, url: str
) -> None:
    op = _op(people.organization, origin=Origin.CUSTOMER)
    log_in(client, people.org_admin, people.organization)
    assert client.post(url, {"operation": [op.pk], "confirmed": "yes"}).status_code == 404
    assert _state(op) == OpState.FAILED


@pytest.mark.parametrize("url", ACTIONS)
def test_anonymous_visitors_cannot_act_in_bulk(client: Client, people: People, url: str) -> None:
    op = _op(people.organization)
    response = client.post(url, {"operation": [op.pk], "confirmed": "yes"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert _state(op) == OpState.FAILED


# --- what it lists ---------------------------------------------------------------------


def test_by_default_it_lists_what_still_needs_the_engine_or_a_person(
    client: Client, people: People
) -> None:
    shown = [_op(people.organization, state) for state in (OpState.QUEUED, OpState.RUNNING)] + [
        _op(people.other_organization, OpState.FAILED)
    ]
    _op(people.organization, OpState.SUCCEEDED)
    _op(people.organization, OpState.CANCELLED)
    log_in(client, people.staff)
    page = _page(client)
    assert sorted(_shown_ids(page)) == sorted(op.pk for op in shown)
    assert "Update the organization&#x27;s name, branding or metadata" in page  # in words
    assert f'href="/orgs/{people.other_organization.pk}/">Globex</a>' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=succeeded", ["done"]),
        ("state=all", ["failed", "bulk", "customer", "tenant", "done", "connection"]),
        ("lane=bulk", ["bulk"]),
        ("kind=organization_connection.sync", ["connection"]),
        ("origin=customer", ["customer"]),
        ("organization=GLOB", ["customer"]),
        ("state=queued&lane=interactive", ["tenant", "connection"]),
    ],
)
def test_the_filters_narrow_the_queue(
    client: Client, people: People, query: str, expected: list[str]
) -> None:
    acme, globex = people.organization, people.other_organization
    ops = {
        "failed": _op(acme),
        "bulk": _op(acme, OpState.QUEUED, priority=Priority.BULK),
        "customer": _op(globex, origin=Origin.CUSTOMER),
        "tenant": _op(None, OpState.QUEUED),
        "done": _op(acme, OpState.SUCCEEDED),
        "connection": _op(acme, OpState.QUEUED, kind="organization_connection.sync"),
    }
    log_in(client, people.staff)
    shown = _shown_ids(_page(client, f"/orgs/operations/?{query}"))
    assert sorted(shown) == sorted(ops[name].pk for name in expected)


def test_the_kind_filter_offers_kinds_in_words(client: Client, people: People) -> None:
    log_in(client, people.staff)
    page = _page(client)
    assert '<option value="invitation.send">Invite someone</option>' in page


def test_an_empty_queue_says_so(client: Client, people: People) -> None:
    _op(people.organization, OpState.SUCCEEDED)
    log_in(client, people.staff)
    page = _page(client)
    assert "Nothing is waiting: every change has reached Auth0 or was cancelled." in page
    assert "Retry selected" not in page


def test_the_oldest_wait_of_each_lane_is_shown(client: Client, people: People) -> None:
    _op(people.organization, OpState.QUEUED, age=timedelta(minutes=10, seconds=5))
    _op(people.organization, OpState.QUEUED, age=timedelta(minutes=1))
    _op(people.organization, OpState.FAILED, age=timedelta(days=3))  # not waiting
    log_in(client, people.staff)
    page = _page(client)
    assert "<strong>Oldest waiting:</strong> interactive 10 min, bulk none</p>" in page
    _op(people.organization, OpState.QUEUED, priority=Priority.BULK, age=timedelta(hours=2))
    assert "interactive 10 min, bulk 2 h" in _page(client)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(3, "3 s"), (59.9, "59 s"), (120, "2 min"), (7200, "2 h"), (86400, "1 day"), (3e5, "3 days")],
)
def test_ages_are_said_in_the_largest_unit_that_fits(seconds: float, words: str) -> None:
    assert age_words(seconds) == words


def test_only_queued_and_failed_rows_get_a_tick_box(client: Client, people: People) -> None:
    failed, queued = _op(people.organization), _op(people.organization, OpState.QUEUED)
    running = _op(people.organization, OpState.RUNNING)
    log_in(client, people.staff)
    page = _page(client)
    for op in (failed, queued):
        assert f'form="bulk-operations" id="select-op-{op.pk}"' in page
        assert (
            f'<label class="visually-hidden" for="select-op-{op.pk}">Select #{op.pk}</label>'
            in page
        )
    assert f'id="select-op-{running.pk}"' not in page
    assert '<form id="bulk-operations"' in page


def test_the_live_partial_polls_while_something_is_open_and_keeps_the_filters(
    client: Client, people: People
) -> None:
    _op(people.organization, OpState.QUEUED)
    log_in(client, people.staff)
    live = _page(client, "/orgs/operations/live/?lane=interactive")
    assert 'hx-get="/orgs/operations/live/?lane=interactive"' in live
    assert 'hx-trigger="every 2s"' in live
    assert 'id="oldest-waiting" class="oldest-waiting" hx-swap-oob="true"' in live
    assert "<html" not in live
    _op(people.organization, OpState.QUEUED).delete()
    SyncOperation.objects.update(state=OpState.FAILED)
    assert "hx-trigger" not in _page(client, "/orgs/operations/live/")  # settled: stops


def test_a_page_costs_the_same_queries_with_5_or_50_operations(
    client: Client, people: People
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _page(client)
        return len(captured.captured_queries)

    for _ in range(5):
        _op(people.organization)
    log_in(client, people.staff)
    _page(client)
    few = queries()
    for _ in range(45):
        _op(people.other_organization, OpState.QUEUED)
    assert queries() == few


# --- Retry selected ----------------------------------------------------------------------


def _messages(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_retry_selected_retries_each_failed_operation_and_says_what_it_could_not(
    client: Client, people: People, django_capture_on_commit_callbacks: Any
) -> None:
    failed = [_op(people.organization) for _ in range(3)]
    queued = _op(people.other_organization, OpState.QUEUED)
    log_in(client, people.staff)
    chosen = [op.pk for op in [*failed, queued]]
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/orgs/operations/retry/", {"operation": chosen, "filters": "lane=interactive"}
        )
    assert response.status_code == 302
    assert response["Location"] == "/orgs/operations/?lane=interactive"
    assert [_state(op) for op in failed] == [OpState.QUEUED] * 3
    assert sorted(sent_ops(callbacks)) == sorted(op.pk for op in failed)
    page = client.get(response["Location"])
    assert _messages(page) == [
        f"3 retried; 1 could not be: #{queued.pk}: "
        "Only failed operations can be retried; this one is queued."
    ]


def test_retry_with_nothing_ticked_asks_for_a_tick(client: Client, people: People) -> None:
    log_in(client, people.staff)
    response = client.post("/orgs/operations/retry/", follow=True)
    assert _messages(response) == ["Tick at least one operation to retry."]


def test_an_operation_of_no_organization_is_listed_and_retried_in_bulk(
    client: Client, people: People
) -> None:
    tenant_op = _op(None)
    log_in(client, people.staff)
    page = _page(client)
    assert f'<tr id="op-{tenant_op.pk}">' in page and '<span class="muted">tenant</span>' in page
    response = client.post("/orgs/operations/retry/", {"operation": tenant_op.pk}, follow=True)
    assert _messages(response) == ["1 retried."]
    assert _state(tenant_op) == OpState.QUEUED


def test_a_tenant_operation_has_no_row_buttons_and_no_org_url_answers(
    client: Client, people: People
) -> None:
    tenant_op = _op(None)
    log_in(client, people.staff)
    row = _page(client).split(f'<tr id="op-{tenant_op.pk}">')[1].split("</tr>")[0]
    assert "operation_action" not in row and "/retry/" not in row  # the bulk form acts on it
    assert client.post(f"/orgs/0/operations/{tenant_op.pk}/retry/").status_code == 404
    assert _state(tenant_op) == OpState.FAILED


# --- Cancel selected -----------------------------------------------------------------------


def test_cancel_selected_asks_first_and_changes_nothing(client: Client, people: People) -> None:
    ops = [_op(people.organization, OpState.QUEUED), _op(people.organization)]
    running = _op(people.other_organization, OpState.RUNNING)
    log_in(client, people.staff)
    response = client.post(
        "/orgs/operations/cancel/",
        {"operation": [op.pk for op in [*ops, running]], "filters": "state=all"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "<h1>Cancel 3 operations?</h1>" in page
    assert "Yes, cancel 3 operations" in page
    assert f"#{running.pk} " in page and "running, so it cannot be cancelled" in page
    ids = ",".join(str(op.pk) for op in [*ops, running])
    assert f'name="operations" value="{ids}"' in page
    assert 'name="confirmed" value="yes"' in page
    assert 'href="/orgs/operations/?state=all">Cancel</a>' in page
    assert [_state(op) for op in ops] == [OpState.QUEUED, OpState.FAILED]


def test_confirmed_cancel_cancels_each_and_says_what_it_could_not(
    client: Client, people: People
) -> None:
    ops = [_op(people.organization, OpState.QUEUED), _op(None)]
    running = _op(people.other_organization, OpState.RUNNING)
    log_in(client, people.staff)
    ids = ",".join(str(op.pk) for op in [*ops, running])
    response = client.post(
        "/orgs/operations/cancel/", {"operations": ids, "confirmed": "yes"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/orgs/operations/"
    assert [_state(op) for op in ops] == [OpState.CANCELLED] * 2
    assert _state(running) == OpState.RUNNING
    assert _messages(response) == [
        f"2 cancelled; 1 could not be: #{running.pk}: A running operation cannot be cancelled."
    ]


def test_cancel_of_operations_that_are_gone_says_so(client: Client, people: People) -> None:
    log_in(client, people.staff)
    response = client.post("/orgs/operations/cancel/", {"operation": [999999]}, follow=True)
    assert _messages(response) == ["None of the ticked operations exists any more."]
    response = client.post(
        "/orgs/operations/cancel/", {"operations": "999999", "confirmed": "yes"}, follow=True
    )
    assert _messages(response) == ["None cancelled; 1 could not be: #999999: It no longer exists."]


def test_ticks_that_are_no_ids_are_ignored_not_an_error(client: Client, people: People) -> None:
    op = _op(people.organization)
    log_in(client, people.staff)
    junk = {"operation": ["abc", "9" * 40, "", str(op.pk)], "operations": "1e3,,-4"}
    response = client.post("/orgs/operations/retry/", junk, follow=True)
    assert _messages(response) == ["1 retried."]
