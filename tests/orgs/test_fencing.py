"""Fencing (orgs.sync.fencing): a worker whose claim is not its own writes nothing."""

from __future__ import annotations

import pytest

from orgs.models import Organization, SyncOperation
from orgs.services.organizations import organization_update
from orgs.sync.fencing import ClaimLost, fenced, guarded_writes, new_fence
from orgs.sync.runner import claim

pytestmark = pytest.mark.django_db


def _claimed_update(token: str) -> SyncOperation:
    acme = Organization.objects.get(name="acme")
    organization_update(actor=None, organization=acme, display_name="Acme Renamed")
    op = SyncOperation.objects.get(kind="organization.update")
    assert claim(op.pk, token)
    return op


def test_guarded_writes_refuse_a_worker_whose_claim_was_taken_over(demo: None) -> None:
    op = _claimed_update("worker-2")

    with fenced(new_fence(op.pk, "worker-1")), pytest.raises(ClaimLost), guarded_writes():
        Organization.objects.filter(name="acme").update(display_name="Stale")

    assert Organization.objects.get(name="acme").display_name == "Acme Renamed"


def test_guarded_writes_apply_while_the_claim_is_ours(demo: None) -> None:
    op = _claimed_update("worker-1")

    with fenced(new_fence(op.pk, "worker-1")), guarded_writes():
        Organization.objects.filter(name="acme").update(display_name="Written")

    assert Organization.objects.get(name="acme").display_name == "Written"


def test_the_check_before_a_write_refuses_a_claim_that_is_not_ours(demo: None) -> None:
    op = _claimed_update("worker-2")

    with pytest.raises(ClaimLost):
        new_fence(op.pk, "worker-1").check()
