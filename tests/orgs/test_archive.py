"""Archiving old succeeded operations (orgs.sync.archive), its beat task, and what the
organization page says about archived ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from orgs.models import ArchivedOperation, OpState, Origin, Priority, SyncOperation
from orgs.sync.archive import archive_operations
from tests.conftest import People, log_in

pytestmark = pytest.mark.django_db


def _op(
    org: Any,
    state: str,
    *,
    days_ago: int | None,
    depends_on: SyncOperation | None = None,
    kind: str = "organization.update",
) -> SyncOperation:
    op = SyncOperation.objects.create(
        kind=kind,
        organization=org,
        target_type="organization",
        target_id=org.pk,
        idempotency_key=f"k-{SyncOperation.objects.count()}",
        state=state,
        payload={"display_name": "A large wish"},
        result={"auth0_id": "org_x"},
        attempts=2,
        origin=Origin.STAFF,
        priority=Priority.BULK,
        depends_on=depends_on,
    )
    if days_ago is not None:
        finished = timezone.now() - timedelta(days=days_ago)
        SyncOperation.objects.filter(pk=op.pk).update(
            finished_at=finished, created_at=finished - timedelta(seconds=5)
        )
    op.refresh_from_db()
    return op


def _live_ids() -> set[int]:
    return set(SyncOperation.objects.values_list("pk", flat=True))


def test_it_moves_old_succeeded_operations_and_keeps_their_history(people: People) -> None:
    old = _op(people.organization, OpState.SUCCEEDED, days_ago=91)
    assert archive_operations() == 1
    assert not SyncOperation.objects.filter(pk=old.pk).exists()
    archived = ArchivedOperation.objects.get(operation_id=old.pk)
    assert (archived.kind, archived.organization_id) == (old.kind, people.organization.pk)
    assert (archived.target_type, archived.target_id) == ("organization", people.organization.pk)
    assert (archived.priority, archived.origin, archived.attempts) == ("bulk", "staff", 2)
    assert (archived.created_at, archived.finished_at) == (old.created_at, old.finished_at)


def test_it_keeps_recent_and_unfinished_or_unsuccessful_operations(people: People) -> None:
    org = people.organization
    kept = {
        _op(org, OpState.SUCCEEDED, days_ago=89).pk,
        _op(org, OpState.QUEUED, days_ago=None).pk,
        _op(org, OpState.RUNNING, days_ago=None).pk,
        _op(org, OpState.FAILED, days_ago=200).pk,
        _op(org, OpState.CANCELLED, days_ago=200).pk,
        _op(org, OpState.SUCCEEDED, days_ago=None).pk,  # no finished_at: not known to be old
    }
    assert archive_operations() == 0
    assert _live_ids() == kept
    assert not ArchivedOperation.objects.exists()


def test_it_keeps_an_operation_an_open_one_still_depends_on(people: People) -> None:
    org = people.organization
    awaited = _op(org, OpState.SUCCEEDED, days_ago=120, kind="organization.create")
    child = _op(org, OpState.QUEUED, days_ago=None, depends_on=awaited)
    done_parent = _op(org, OpState.SUCCEEDED, days_ago=120, kind="organization.create")
    done_child = _op(org, OpState.SUCCEEDED, days_ago=120, depends_on=done_parent)
    assert archive_operations() == 2
    assert _live_ids() == {awaited.pk, child.pk}
    child.refresh_from_db()
    assert child.depends_on_id == awaited.pk
    assert set(ArchivedOperation.objects.values_list("operation_id", flat=True)) == {
        done_parent.pk,
        done_child.pk,
    }


def test_running_it_again_moves_nothing_more(people: People) -> None:
    for _ in range(3):
        _op(people.organization, OpState.SUCCEEDED, days_ago=100)
    kept = _op(people.organization, OpState.FAILED, days_ago=100)
    assert archive_operations() == 3
    assert archive_operations() == 0
    assert ArchivedOperation.objects.count() == 3
    assert _live_ids() == {kept.pk}


def test_it_works_through_every_batch(people: People) -> None:
    for _ in range(7):
        _op(people.organization, OpState.SUCCEEDED, days_ago=100)
    assert archive_operations(batch_size=2) == 7
    assert not SyncOperation.objects.exists()
    assert ArchivedOperation.objects.count() == 7


def test_the_age_comes_from_the_setting(people: People, settings: Any) -> None:
    settings.SYNC_ARCHIVE_DAYS = 10
    _op(people.organization, OpState.SUCCEEDED, days_ago=11)
    _op(people.organization, OpState.SUCCEEDED, days_ago=9)
    assert archive_operations() == 1


def test_beat_runs_the_archive_daily_on_the_default_queue(people: People) -> None:
    from orgs.tasks import archive_sync_operations

    entry = next(
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "orgs.tasks.archive_sync_operations"
    )
    assert entry["schedule"] == 24 * 3600 and entry["options"]["queue"] == "default"
    assert archive_sync_operations.queue == "default" and archive_sync_operations.ignore_result
    _op(people.organization, OpState.SUCCEEDED, days_ago=100)
    assert archive_sync_operations() == 1  # the task body, run in-process


def test_the_organization_page_says_how_many_older_operations_were_archived(
    client: Client, people: People
) -> None:
    live = _op(people.organization, OpState.FAILED, days_ago=1)
    for _ in range(2):
        _op(people.organization, OpState.SUCCEEDED, days_ago=100)
    _op(people.other_organization, OpState.SUCCEEDED, days_ago=100)
    archive_operations()
    log_in(client, people.staff)
    content = client.get(f"/orgs/{people.organization.pk}/").content.decode()
    assert "2 older operations archived." in content
    assert f'id="op-{live.pk}"' in content
    other = client.get(f"/orgs/{people.other_organization.pk}/").content.decode()
    assert "1 older operation archived." in other and "No recent changes." in other


def test_an_organization_with_nothing_archived_says_nothing_about_it(
    client: Client, people: People
) -> None:
    log_in(client, people.staff)
    content = client.get(f"/orgs/{people.organization.pk}/").content.decode()
    assert "archived" not in content and "Nothing sent yet." in content
