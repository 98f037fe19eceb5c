"""A bulk run from confirmation to settled: rows created through the services in the bulk
lane, once each, and their progress counted from their operations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orgs.bulk.progress import counts_for_runs, failed_rows, run_counts
from orgs.bulk_tasks import run_bulk_provisioning
from orgs.models import (
    Application,
    AuditEvent,
    BulkRowStatus,
    BulkRun,
    BulkRunStatus,
    OpState,
    Organization,
    Priority,
    SyncOperation,
)
from orgs.services import ServiceError
from orgs.services.bulk import BULK_TASK, bulk_run_confirm, bulk_run_create, bulk_run_execute
from portal.models import User
from tests.factories import OrganizationFactory, UserFactory
from tests.orgs.engine import drain, published_operations, published_tasks

pytestmark = pytest.mark.django_db

HEADER = "name,display_name,membership_model,admin_email,callback_urls"
GOOD = [
    "initech,Initech,shared_db,boss@initech.test,https://initech.example.com/callback",
    "hooli,Hooli,enterprise,,",
    ",Umbrella Research,own_db,,",
]
BAD = [
    "Bad Name!,Bad,shared_db,,",  # invalid name
    "hooli,Hooli again,shared_db,,",  # the second hooli
]


def _file(*lines: str) -> bytes:
    return "\n".join([HEADER, *lines]).encode()


def published_bulk_tasks() -> Any:
    """(run id, queue) of every bulk task published inside the block."""
    return published_tasks(BULK_TASK)


def _staff() -> User:
    return UserFactory(sub="auth0|bulk-staff", email="bulk@portal.test", is_staff=True)


def _confirmed_run(
    content: bytes, capture: Callable[..., Any], application: Application | None = None
) -> BulkRun:
    staff = _staff()
    app = application or Application.objects.get(client_id="sandbox-demo-app")
    run = bulk_run_create(actor=staff, file_name="orgs.csv", content=content, application=app)
    with published_bulk_tasks() as sent, capture(execute=True):
        bulk_run_confirm(actor=staff, run=run)
    assert sent == [(run.pk, "auth0-bulk")]
    run.refresh_from_db()
    return run


def test_confirming_creates_exactly_the_ready_rows_in_the_bulk_lane(
    demo: None, django_capture_on_commit_callbacks: Any
) -> None:
    run = _confirmed_run(_file(*GOOD, *BAD), django_capture_on_commit_callbacks)
    assert run.status == BulkRunStatus.CREATING and run.ready_rows == 3

    with django_capture_on_commit_callbacks() as callbacks:
        assert run_bulk_provisioning(run.pk) is False
    with published_operations() as sent:
        for callback in callbacks:
            callback()

    created = Organization.objects.filter(bulk_rows__run=run)
    assert sorted(created.values_list("name", flat=True)) == [
        "hooli",
        "initech",
        "umbrella-research",
    ]
    ops = SyncOperation.objects.filter(organization__in=created)
    assert ops.count() >= 3 and set(ops.values_list("priority", flat=True)) == {Priority.BULK}
    assert sent and {queue for _op, queue in sent} == {"auth0-bulk"}
    initech = created.get(name="initech")
    assert initech.invitations.get().email == "boss@initech.test"
    assert list(initech.application_urls.values_list("url", flat=True)) == [
        "https://initech.example.com/callback"
    ]
    run.refresh_from_db()
    assert run.status == BulkRunStatus.CREATED and run.finished_creating_at is not None
    statuses = dict(run.rows.values_list("number", "status"))
    assert statuses == {2: "created", 3: "created", 4: "created", 5: "invalid", 6: "invalid"}
    assert AuditEvent.objects.filter(action="bulk_run.confirm", target="orgs.csv").exists()


def test_running_the_task_again_creates_no_organization_twice(
    demo: None, django_capture_on_commit_callbacks: Any
) -> None:
    run = _confirmed_run(_file(*GOOD), django_capture_on_commit_callbacks)
    run_bulk_provisioning(run.pk)
    before = (Organization.objects.count(), SyncOperation.objects.count())

    run_bulk_provisioning(run.pk)  # a redelivery after the run finished
    BulkRun.objects.filter(pk=run.pk).update(status=BulkRunStatus.CREATING)
    run_bulk_provisioning(run.pk)  # a task that died before marking the run created

    assert (Organization.objects.count(), SyncOperation.objects.count()) == before
    assert run.rows.filter(status=BulkRowStatus.CREATED).count() == 3


def test_a_task_out_of_time_stops_after_a_row_and_sends_itself_again(
    demo: None, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _confirmed_run(_file(*GOOD), django_capture_on_commit_callbacks)
    monkeypatch.setattr("orgs.services.bulk.TIME_BUDGET_SECONDS", 0.0)

    with published_bulk_tasks() as sent:
        assert run_bulk_provisioning(run.pk) is True

    assert sent == [(run.pk, "auth0-bulk")]
    assert run.rows.filter(status=BulkRowStatus.CREATED).count() == 1
    run.refresh_from_db()
    assert run.status == BulkRunStatus.CREATING and run.heartbeat_at is not None

    assert bulk_run_execute(run_id=run.pk, time_budget=60) is False
    assert run.rows.filter(status=BulkRowStatus.CREATED).count() == 3


def test_a_row_the_services_refuse_fails_with_their_message_and_the_run_goes_on(
    demo: None, django_capture_on_commit_callbacks: Any
) -> None:
    run = _confirmed_run(_file(*GOOD), django_capture_on_commit_callbacks)
    OrganizationFactory(name="hooli")  # someone took the name after the upload
    late = run.rows.get(number=2)
    late.data["callback_urls"] = ["https://initech.example.com/cb", "not a url"]
    late.save()  # refused half-way: after the organization, at its second URL

    run_bulk_provisioning(run.pk)

    rows = {row.number: row for row in run.rows.all()}
    assert rows[2].status == BulkRowStatus.FAILED and rows[2].organization is None
    assert rows[2].errors == [{"field": "url", "message": "'not a url' is not a valid URL."}]
    assert not Organization.objects.filter(name="initech").exists()  # taken back whole
    assert rows[3].status == BulkRowStatus.FAILED
    assert rows[3].errors[0]["message"] == "An organization named 'hooli' already exists."
    assert rows[4].status == BulkRowStatus.CREATED
    assert run_counts(run).failed == 2
    reasons = {failed.row.number: failed.reasons for failed in failed_rows(run)}
    assert reasons[3] == ["An organization named 'hooli' already exists."]


def test_confirm_refuses_a_run_already_creating_but_continues_a_stalled_one(
    demo: None, django_capture_on_commit_callbacks: Any
) -> None:
    run = _confirmed_run(_file(*GOOD), django_capture_on_commit_callbacks)

    with pytest.raises(ServiceError, match="being created already"):
        bulk_run_confirm(actor=None, run=run)

    BulkRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    with published_bulk_tasks() as sent, django_capture_on_commit_callbacks(execute=True):
        bulk_run_confirm(actor=None, run=run)
    assert sent == [(run.pk, "auth0-bulk")]
    assert AuditEvent.objects.filter(action="bulk_run.confirm").count() == 1

    run_bulk_provisioning(run.pk)
    with pytest.raises(ServiceError, match="were created already"):
        bulk_run_confirm(actor=None, run=run)


def test_a_run_without_ready_rows_cannot_be_confirmed(demo: None) -> None:
    app = Application.objects.get(client_id="sandbox-demo-app")
    run = bulk_run_create(actor=None, file_name="bad.csv", content=_file(BAD[0]), application=app)

    with pytest.raises(ServiceError, match="No row is ready"):
        bulk_run_confirm(actor=None, run=run)


def test_counts_follow_the_operations_of_each_row(
    demo: None, django_capture_on_commit_callbacks: Any
) -> None:
    run = _confirmed_run(_file(*GOOD, *BAD), django_capture_on_commit_callbacks)
    assert run_counts(run).queued == 3 and run_counts(run).skipped == 2
    run_bulk_provisioning(run.pk)
    initech, hooli, umbrella = (
        Organization.objects.get(name=name) for name in ("initech", "hooli", "umbrella-research")
    )

    SyncOperation.objects.filter(organization=initech).update(state=OpState.SUCCEEDED)
    SyncOperation.objects.filter(organization=hooli, kind="organization.create").update(
        state=OpState.RUNNING
    )
    SyncOperation.objects.filter(organization=umbrella, kind="organization.create").update(
        state=OpState.FAILED, last_error="Auth0 400: Bad Request", last_error_code="400"
    )

    counts = run_counts(run)
    assert (counts.queued, counts.running, counts.done, counts.failed) == (0, 1, 1, 1)
    [failed] = failed_rows(run)
    assert failed.row.organization == umbrella
    assert failed.reasons == [
        "Create the organization in Auth0: Auth0 refused the change as invalid."
    ]


def test_counting_many_runs_takes_one_query(
    demo: None, django_capture_on_commit_callbacks: Any
) -> None:
    app = Application.objects.get(client_id="sandbox-demo-app")
    runs = [
        bulk_run_create(actor=None, file_name=f"{n}.csv", content=_file(*GOOD), application=app)
        for n in range(3)
    ]

    with CaptureQueriesContext(connection) as queries:
        counts = counts_for_runs(run.pk for run in runs)

    assert len(queries) == 1
    assert {c.queued for c in counts.values()} == {3}


def test_the_task_is_registered_with_the_worker() -> None:
    from portal.celery import app

    app.loader.import_default_modules()

    assert BULK_TASK in app.tasks
    assert app.tasks[BULK_TASK].queue == "auth0-bulk"


# -- against the sandbox tenant, as a worker would run it ---------------------------------


def test_a_run_reaches_all_done_once_its_operations_ran(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    run = _confirmed_run(_file(*GOOD, *BAD), django_capture_on_commit_callbacks)
    run_bulk_provisioning(run.pk)

    outcomes = drain()

    assert outcomes and set(outcomes) == {"succeeded"}, outcomes
    counts = run_counts(run)
    assert (counts.queued, counts.running, counts.done, counts.failed) == (0, 0, 3, 0)
    state = imported_tenant.state()
    names = {org["name"] for org in state["organizations"].values()}
    assert {"initech", "hooli", "umbrella-research"} <= names
    assert (
        "https://initech.example.com/callback" in state["clients"]["sandbox-demo-app"]["callbacks"]
    )
