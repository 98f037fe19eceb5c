"""The migration's task against the live sandbox: jobs, their results, members, links,
and resuming after a worker stopped."""

from __future__ import annotations

from typing import Any

import bcrypt
import pytest
from django.core import mail

from orgs.auth0.operations import jobs
from orgs.models import Member
from orgs.secrets import decrypt_options
from orgs.usermigration.chunking import job_file
from orgs.usermigration.models import (
    ChunkStatus,
    MigrationChunk,
    MigrationRow,
    MigrationStatus,
    RowStatus,
    UserMigration,
)
from tests.usermigration.migration_support import (
    confirm,
    fast_jobs,
    own_connection,
    own_db_org,
    run_passes,
    sandbox_jobs,
    upload_json,
)

__all__ = ["fast_jobs", "own_db_org"]  # fixtures, imported for pytest

pytestmark = pytest.mark.django_db

MEMBER_ADDS = "POST /api/v2/organizations/{id}/members"
PASSWORD = "old password from the legacy store"


def bcrypt_user(email: str, **extra: Any) -> dict[str, Any]:
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    custom = {"algorithm": "bcrypt", "hash": {"value": hashed, "encoding": "utf8"}}
    return {"email": email, "email_verified": True, "custom_password_hash": custom, **extra}


def sandbox_members(tenant: Any, org_auth0_id: str) -> dict[str, Any]:
    return dict(tenant.app.state.organizations[org_auth0_id].members)


def test_imported_users_become_members_with_the_chosen_roles(tenant: Any, own_db_org: Any) -> None:
    migration = upload_json(
        own_db_org,
        [bcrypt_user("ann@initech.test", name="Ann"), {"email": "bob@initech.test"}],
    )
    assert migration.ready_rows == 2
    confirm(migration, roles=["org-member"])
    run_passes(migration.pk)

    migration.refresh_from_db()
    assert migration.status == MigrationStatus.FINISHED
    rows = {row.email: row for row in migration.rows.all()}
    assert {row.status for row in rows.values()} == {RowStatus.IMPORTED}
    members = sandbox_members(tenant, own_db_org.auth0_id)
    for row in rows.values():
        assert row.auth0_user_id in members
        assert tenant.app.state.users[row.auth0_user_id].email == row.email
        member = Member.objects.get(organization=own_db_org, user_id=row.auth0_user_id)
        assert member.role_names() == ["org-member"]
    assert [job.type for job in sandbox_jobs(tenant)] == ["users_import"]


def test_a_user_without_a_hash_gets_one_password_link_and_no_password(
    tenant: Any, own_db_org: Any
) -> None:
    migration = upload_json(own_db_org, [bcrypt_user("ann@initech.test"), {"email": "bob@x.test"}])
    confirm(migration)
    run_passes(migration.pk)
    run_passes(migration.pk)  # a second run mails nothing again

    assert [message.to for message in mail.outbox] == [["bob@x.test"]]
    assert "Choose your password" in mail.outbox[0].alternatives[0][0]
    bob = migration.rows.get(email="bob@x.test")
    assert bob.link_mailed_at is not None
    assert not tenant.app.state.users[bob.auth0_user_id].password_hash


def test_rows_without_a_hash_can_be_left_out(tenant: Any, own_db_org: Any) -> None:
    migration = upload_json(own_db_org, [bcrypt_user("ann@initech.test"), {"email": "bob@x.test"}])
    confirm(migration, links=False)
    run_passes(migration.pk)

    bob = migration.rows.get(email="bob@x.test")
    assert bob.status == RowStatus.INVALID
    assert "chose not to import" in bob.errors[-1]["message"]
    assert mail.outbox == []


def test_the_file_is_split_into_jobs_no_more_than_two_at_once(
    tenant: Any, own_db_org: Any, fast_jobs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("orgs.usermigration.confirm.job_files", _jobs_of(3))
    migration = upload_json(own_db_org, [bcrypt_user(f"u{i}@initech.test") for i in range(10)])
    confirm(migration)
    assert migration.chunks.count() == 4
    fast_jobs.job_queue_seconds = 3600.0  # jobs stay pending
    from orgs.usermigration.advance import migration_advance

    migration_advance(migration.pk)
    statuses = list(migration.chunks.order_by("number").values_list("status", flat=True))
    assert statuses == ["submitted", "submitted", "ready", "ready"]
    assert len(sandbox_jobs(tenant)) == 2

    fast_jobs.job_queue_seconds = 0.0
    run_passes(migration.pk)
    assert len(sandbox_jobs(tenant)) == 4
    assert migration.rows.filter(status=RowStatus.IMPORTED).count() == 10


def _jobs_of(size: int) -> Any:
    def split(records: list[tuple[int, dict[str, Any]]], max_bytes: int = 0) -> list[list[int]]:
        ids = [row_id for row_id, _ in records]
        return [ids[i : i + size] for i in range(0, len(ids), size)]

    return split


def test_a_worker_restart_sends_no_job_twice_and_adds_no_member_twice(
    tenant: Any, own_db_org: Any, fast_jobs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("orgs.usermigration.confirm.job_files", _jobs_of(2))
    migration = upload_json(own_db_org, [bcrypt_user(f"u{i}@initech.test") for i in range(6)])
    confirm(migration, roles=["org-member"])
    fast_jobs.job_queue_seconds = 3600.0
    from orgs.usermigration.advance import migration_advance

    migration_advance(migration.pk)  # the worker sends two jobs, then stops
    tenant.control("DELETE", "/stats")
    fast_jobs.job_queue_seconds = 0.0
    run_passes(migration.pk)  # a new worker picks it up
    run_passes(migration.pk)  # and a redelivered message runs it once more

    assert len(sandbox_jobs(tenant)) == 3
    assert (
        migration.rows.filter(status=RowStatus.IMPORTED, member_added_at__isnull=False).count() == 6
    )
    assert Member.objects.filter(organization=own_db_org).count() == 6
    calls = tenant.control("GET", "/stats")
    assert _calls(calls, MEMBER_ADDS) == 3, calls["routes"]  # one call per job, never again


def _calls(stats: dict[str, Any], key: str) -> int:
    """How many calls the sandbox counted for "<METHOD> <route template>"."""
    return sum(stats["routes"].get(key, {}).values())


def test_a_job_sent_again_after_a_lost_answer_recognises_its_own_users(
    tenant: Any, own_db_org: Any
) -> None:
    migration = upload_json(own_db_org, [bcrypt_user(f"u{i}@initech.test") for i in range(3)])
    confirm(migration)
    chunk = migration.chunks.get()
    # The dead worker's job reached Auth0; its answer never came back.
    records = [decrypt_options(row.payload_encrypted) for row in chunk.rows.order_by("number")]
    jobs.start_import(
        connection_id=str(own_connection(own_db_org).auth0_id),
        users_file=job_file(records),
        upsert=False,
    )
    MigrationChunk.objects.filter(pk=chunk.pk).update(status=ChunkStatus.SUBMITTING)

    run_passes(migration.pk)

    assert migration.rows.filter(status=RowStatus.IMPORTED).count() == 3
    users = [u for u in tenant.app.state.users.values() if u.email.endswith("@initech.test")]
    assert len(users) == 3  # no duplicate


def test_users_auth0_refuses_are_reported_with_plain_reasons(tenant: Any, own_db_org: Any) -> None:
    migration = upload_json(own_db_org, [bcrypt_user("ann@initech.test"), bcrypt_user("b@x.test")])
    # Someone else creates Ann in the connection between the report and the import.
    jobs.start_import(
        connection_id=str(own_connection(own_db_org).auth0_id),
        users_file=job_file([{"email": "ann@initech.test"}]),
        upsert=False,
    )
    confirm(migration)
    run_passes(migration.pk)

    ann = migration.rows.get(email="ann@initech.test")
    assert ann.status == RowStatus.FAILED
    assert ann.errors == [
        {
            "field": "",
            "message": "Already a user of the connection, so Auth0 did not import them again.",
        }
    ]
    assert migration.rows.get(email="b@x.test").status == RowStatus.IMPORTED


def test_a_job_auth0_refuses_fails_visibly_and_can_be_tried_again(
    tenant: Any, own_db_org: Any
) -> None:
    from orgs.usermigration.actions import migration_retry_failed_jobs

    migration = upload_json(own_db_org, [bcrypt_user("ann@initech.test")])
    confirm(migration)
    rule = tenant.add_fault(method="POST", path="/api/v2/jobs/users-imports", status=400, times=1)
    assert rule
    run_passes(migration.pk)
    migration.refresh_from_db()
    assert migration.status == MigrationStatus.FINISHED
    chunk = migration.chunks.get()
    assert chunk.status == ChunkStatus.FAILED
    ann = migration.rows.get()
    assert ann.status == RowStatus.FAILED and "can be tried again" in ann.errors[0]["message"]

    migration_retry_failed_jobs(actor=None, migration=migration)
    run_passes(migration.pk)
    ann.refresh_from_db()
    assert ann.status == RowStatus.IMPORTED


def test_users_already_in_the_connection_are_refused_or_updated(
    tenant: Any, own_db_org: Any
) -> None:
    connection_id = str(own_connection(own_db_org).auth0_id)
    earlier = jobs.start_import(
        connection_id=connection_id,
        users_file=job_file([{"email": "ann@initech.test", "user_id": "legacy-ann"}]),
        upsert=False,
    )
    assert jobs.read_job(earlier.id).status == "completed"
    refused = upload_json(own_db_org, [bcrypt_user("ann@initech.test")])
    row = refused.rows.get()
    assert row.status == RowStatus.INVALID
    assert "Already a user of initech" in row.errors[0]["message"]

    updated = upload_json(own_db_org, [bcrypt_user("ann@initech.test", name="Ann")], upsert=True)
    assert updated.rows.get().existing_user_id == "auth0|legacy-ann"
    confirm(updated)
    run_passes(updated.pk)
    row = updated.rows.get()
    assert (row.status, row.auth0_user_id) == (RowStatus.UPDATED, "auth0|legacy-ann")
    assert tenant.app.state.users["auth0|legacy-ann"].name == "Ann"


def test_password_hashes_are_erased_once_the_migration_finishes(
    tenant: Any, own_db_org: Any
) -> None:
    migration = upload_json(own_db_org, [bcrypt_user("ann@initech.test")])
    assert migration.rows.get().payload_encrypted
    confirm(migration)
    run_passes(migration.pk)
    assert UserMigration.objects.get(pk=migration.pk).status == MigrationStatus.FINISHED
    assert not migration.rows.exclude(payload_encrypted="").exists()


def test_a_refusal_stops_the_migration_visibly_and_continue_resumes_it(
    tenant: Any, own_db_org: Any
) -> None:
    from orgs.usermigration.actions import migration_continue
    from orgs.usermigration.advance import STOPPED

    migration = upload_json(own_db_org, [bcrypt_user("ann@initech.test")])
    confirm(migration)
    tenant.add_fault(method="GET", path=r"^/api/v2/jobs/job_[0-9a-f]+$", status=403, times=1)
    run_passes(migration.pk)
    migration.refresh_from_db()
    assert (migration.status, migration.problem) == (MigrationStatus.IMPORTING, STOPPED)

    migration_continue(actor=None, migration=migration)
    run_passes(migration.pk)
    migration.refresh_from_db()
    assert (migration.status, migration.problem) == (MigrationStatus.FINISHED, "")
    assert len(sandbox_jobs(tenant)) == 1  # the job was read again, never sent again


def test_idle_files_and_old_failed_jobs_lose_their_users_data(
    tenant: Any, own_db_org: Any, settings: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from orgs.services.errors import ServiceError
    from orgs.usermigration.actions import expire_idle_migrations, migration_retry_failed_jobs

    unconfirmed = upload_json(own_db_org, [bcrypt_user("ann@initech.test")])
    failed = upload_json(own_db_org, [bcrypt_user("bob@initech.test")])
    confirm(failed)
    tenant.add_fault(method="POST", path="/api/v2/jobs/users-imports", status=400, times=1)
    run_passes(failed.pk)
    long_ago = timezone.now() - timedelta(days=settings.USER_MIGRATION_KEEP_DAYS + 1)
    UserMigration.objects.filter(pk=unconfirmed.pk).update(created_at=long_ago)
    assert expire_idle_migrations() == 1  # the finished one is not old enough yet
    UserMigration.objects.filter(pk=failed.pk).update(finished_at=long_ago)
    assert expire_idle_migrations() == 1

    unconfirmed.refresh_from_db()
    assert unconfirmed.status == MigrationStatus.DISCARDED
    assert not MigrationRow.objects.exclude(payload_encrypted="").exists()
    with pytest.raises(ServiceError, match="erased"):
        migration_retry_failed_jobs(actor=None, migration=failed)


def test_a_stopped_import_can_be_ended_from_its_page(
    tenant: Any, own_db_org: Any, client: Any
) -> None:
    from django.urls import reverse

    from orgs.usermigration.actions import STOPPED_BY_PERSON
    from tests.factories import UserFactory

    migration = upload_json(own_db_org, [bcrypt_user("ann@initech.test")])
    confirm(migration)
    tenant.add_fault(method="GET", path=r"^/api/v2/jobs/job_[0-9a-f]+$", status=403)
    run_passes(migration.pk)
    client.force_login(UserFactory(is_staff=True))
    detail = reverse("usermigration:detail", args=[own_db_org.pk, migration.pk])
    assert "End the import instead" in client.get(detail).content.decode()
    stop = reverse("usermigration:stop", args=[own_db_org.pk, migration.pk])
    asked = client.get(stop).content.decode()
    assert "End the import of users.json?" in asked and "password hashes" in asked

    assert client.post(stop).status_code == 302
    migration.refresh_from_db()
    assert migration.status == MigrationStatus.FINISHED
    ann = migration.rows.get()
    assert (ann.status, ann.errors[0]["message"]) == (RowStatus.FAILED, STOPPED_BY_PERSON)
    assert not migration.rows.exclude(payload_encrypted="").exists()
    assert client.post(stop).status_code == 400  # finished: nothing to end
