"""Issue 7, items 6 to 8: removals never wait on unrelated failures, children start when
their parent does (or end when it never will), the sweeper resends what it takes back,
and one change waiting is one operation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from orgs.models import Member, OpState, Organization, SyncOperation
from orgs.services.members import member_remove, member_role_assign
from orgs.services.organizations import (
    organization_create,
    organization_delete,
    organization_update,
)
from orgs.services.sync_ops import sync_operation_cancel
from orgs.sync import runner
from orgs.sync.outbox import record_operation
from orgs.sync.sweeper import sweep
from tests.orgs.engine import drain, published_operations, sent_ops
from tests.orgs.services import remote_org, staff_user

pytestmark = pytest.mark.django_db


def _member(email: str) -> Member:
    return Member.objects.get(organization__name="acme", email=email)


def test_a_removal_runs_even_when_an_earlier_change_to_the_member_failed(
    imported_tenant: Any,
) -> None:
    member = _member("member@acme.test")
    imported_tenant.add_fault(
        action="status", status=400, method="POST", path=r"/members/[^/]+/roles$", times=1
    )
    member_role_assign(actor=None, member=member, role_name="org-admin")
    drain()
    failed = SyncOperation.objects.get(kind="member.sync_roles")
    assert failed.state == OpState.FAILED

    member_remove(actor=staff_user(), member=member)
    removal = SyncOperation.objects.get(kind="member.remove")
    assert removal.depends_on_id is None
    sync_operation_cancel(actor=staff_user(), operation=failed)
    drain()

    removal.refresh_from_db()
    assert removal.state == OpState.SUCCEEDED
    remote = remote_org(imported_tenant.state(), "acme")
    assert remote is not None and member.user_id not in remote["members"]


def test_a_child_recorded_while_its_parent_runs_starts_when_the_parent_succeeds(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    org = organization_create(actor=None, name="initech", display_name="Initech")
    drain()
    # A parent held running by a worker: an update of another organization.
    parent = organization_update(
        actor=None, organization=Organization.objects.get(name="acme"), display_name="Acme 2"
    )
    parent_op = SyncOperation.objects.get(kind="organization.update", target_id=parent.pk)
    assert runner.claim(parent_op.pk, "worker-a")
    parent_op.refresh_from_db()

    with django_capture_on_commit_callbacks() as recorded:
        child = record_operation(
            kind="organization.update", target=org, organization=org, depends_on=parent_op
        )
    assert runner._record_success(parent_op, "worker-a", {}) == "succeeded"
    # The parent's own pass ran before the child existed for it; the child's check after
    # its commit sees the parent done and sends it.
    assert sent_ops(recorded) == [child.pk]


def test_the_sweeper_resends_an_operation_it_takes_back_in_the_same_sweep(
    imported_tenant: Any,
) -> None:
    org = organization_create(actor=None, name="initech", display_name="Initech")
    op = SyncOperation.objects.get(kind="organization.create", target_id=org.pk)
    assert runner.claim(op.pk, "dead-worker")
    SyncOperation.objects.filter(pk=op.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    with published_operations() as sent:
        result = sweep()

    assert result["recovered"] == 1
    assert op.pk in [op_id for op_id, _queue in sent]


def test_children_of_a_create_skipped_because_the_organization_was_deleted_end_at_once(
    imported_tenant: Any,
) -> None:
    org = organization_create(
        actor=None, name="initech", display_name="Initech", first_admin_email="a@initech.test"
    )
    organization_delete(actor=None, organization=org, confirm_name="initech")

    outcomes = drain()

    assert "retrying" not in outcomes
    for child in SyncOperation.objects.exclude(kind__startswith="organization."):
        assert child.state == OpState.CANCELLED, (child.kind, child.state)
        assert child.attempts == 0
        assert "deleted before it was created" in child.last_error
    assert remote_org(imported_tenant.state(), "initech") is None


def test_a_change_submitted_twice_while_queued_records_one_operation(
    imported_tenant: Any,
) -> None:
    acme = Organization.objects.get(name="acme")
    for _ in range(2):  # a double-clicked Save
        organization_update(actor=staff_user(), organization=acme, display_name="Acme Two")

    assert SyncOperation.objects.filter(kind="organization.update").count() == 1
    drain()
    remote = remote_org(imported_tenant.state(), "acme")
    assert remote is not None and remote["display_name"] == "Acme Two"


def test_removed_metadata_keys_accumulate_when_changes_merge(imported_tenant: Any) -> None:
    acme = Organization.objects.get(name="acme")
    organization_update(actor=None, organization=acme, metadata={"a": "1", "b": "2"})
    drain()
    organization_update(actor=None, organization=acme, metadata={"b": "2"})
    organization_update(actor=None, organization=acme, metadata={})

    [queued] = SyncOperation.objects.filter(kind="organization.update", state=OpState.QUEUED)
    assert queued.payload["removed_keys"] == ["a", "b"]
    drain()
    remote = remote_org(imported_tenant.state(), "acme")
    assert remote is not None and set(remote["metadata"]) == {"portal_id"}
