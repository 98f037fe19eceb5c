"""Exports of an organization's users, against the live sandbox tenant: Auth0 export jobs
per connection, shared connections filtered to the organization's members, the file as
CSV or a JSON array, a restart that keeps its job, failures in plain words, the pages
(live progress, download, retry, continue) and who may see them, expiry."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orgs.key_rotation import rotate_field
from orgs.models import AuditEvent, Connection, Organization, OrganizationConnection
from orgs.secrets import decrypt_bytes
from orgs.services.errors import ServiceError
from orgs.usermigration.export_files import COLUMNS
from orgs.usermigration.export_tasks import advance_user_export
from orgs.usermigration.exports import (
    EXPORT_TASK,
    expire_old_exports,
    export_file,
    export_request,
)
from orgs.usermigration.models import ExportStatus, UserExport
from sandbox.seed import stable_id, stable_user_id
from sandbox.state import Connection as SandboxConnection
from sandbox.state import User as SandboxUser
from sandbox.state import iso
from tests.conftest import log_in
from tests.factories import ConnectionFactory, UserFactory
from tests.orgs.engine import published_tasks

pytestmark = pytest.mark.django_db

SHARED = "Username-Password-Authentication"
OWNED = "acme-db"
OWNED_ID = stable_id("con", OWNED)
ACME_ADMIN, ACME_MEMBER = "admin@acme.test", "member@acme.test"
ALICE, BOB = "auth0|acme-db-alice", "auth0|acme-db-bob"
ALICE_HASH = "$2b$10$aliceSecretHashValueThatMustNeverLeakXXXXXXXXXXXXXXXXX"


# --- fixtures and helpers ---------------------------------------------------------------


@pytest.fixture
def export_tenant(imported_tenant: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The imported demo tenant whose export jobs finish as soon as they are read."""
    monkeypatch.setattr(imported_tenant.app.config, "job_queue_seconds", 0.0)
    monkeypatch.setattr(imported_tenant.app.config, "job_user_seconds", 0.0)
    return imported_tenant


@pytest.fixture
def slow_jobs(export_tenant: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Export jobs that wait a minute in Auth0's queue (until a test says otherwise)."""
    monkeypatch.setattr(export_tenant.app.config, "job_queue_seconds", 60.0)
    return export_tenant


@pytest.fixture
def acme(export_tenant: Any) -> Organization:
    return Organization.objects.get(name="acme")


@pytest.fixture
def acme_db(export_tenant: Any, acme: Organization) -> Connection:
    """A database connection acme owns, with two users (one blocked, one with a hash)."""
    state, now = export_tenant.app.state, iso(time.time())
    with state.lock:
        state.connections[OWNED_ID] = SandboxConnection(
            id=OWNED_ID, name=OWNED, strategy="auth0", realms=[OWNED], created_at=now
        )
        state.users[ALICE] = SandboxUser(
            user_id=ALICE,
            connection=OWNED,
            email="alice@acme.test",
            email_verified=True,
            password_hash=ALICE_HASH,
            name='=HYPERLINK("http://evil.test")',
            given_name="Alice",
            family_name="Liddell",
            nickname="alice",
            created_at=now,
            last_login=now,
            logins_count=3,
        )
        state.users[BOB] = SandboxUser(
            user_id=BOB, connection=OWNED, email="bob@acme.test", blocked=True, created_at=now
        )
    return ConnectionFactory(name=OWNED, strategy="auth0", organization=acme, auth0_id=OWNED_ID)


@pytest.fixture
def export_staff(export_tenant: Any) -> Any:
    return UserFactory(sub="auth0|export-staff", email="export-staff@portal.test", is_staff=True)


@pytest.fixture
def export_acme_admin(export_tenant: Any) -> Any:
    return UserFactory(sub=stable_user_id(ACME_ADMIN), email=ACME_ADMIN)


@pytest.fixture
def export_globex_admin(export_tenant: Any) -> Any:
    return UserFactory(sub=stable_user_id("admin@globex.test"), email="admin@globex.test")


def run_export(export: UserExport, passes: int = 20) -> UserExport:
    """Run the task's passes (as a worker would, without a broker) until it finishes."""
    for _ in range(passes):
        if advance_user_export(export.pk) is None:
            break
    else:
        raise AssertionError("the export did not finish")
    export.refresh_from_db()
    return export


def sandbox_export_jobs(tenant: Any) -> list[Any]:
    with tenant.app.state.lock:
        return [job for job in tenant.app.state.ns("jobs").values() if job.type == "users_export"]


def csv_rows(export: UserExport) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(export_file(export).decode("utf-8"))))


# --- the file -------------------------------------------------------------------------


def test_a_csv_export_has_every_owned_user_and_only_the_members_of_shared_connections(
    acme: Organization, acme_db: Connection, export_staff: Any
) -> None:
    export = run_export(export_request(actor=export_staff, organization=acme, file_format="csv"))

    assert export.status == ExportStatus.READY
    text = export_file(export).decode("utf-8")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = {row["email"]: row for row in csv_rows(export)}
    # The shared connection's users of globex and of the staff organization are left out.
    assert set(rows) == {"alice@acme.test", "bob@acme.test", ACME_ADMIN, ACME_MEMBER}
    assert export.row_count == 4
    alice = rows["alice@acme.test"]
    assert alice["connection"] == OWNED
    assert alice["given_name"] == "Alice"
    assert alice["logins_count"] == "3"
    assert alice["email_verified"] == "true"
    assert alice["name"].startswith("'=")  # a spreadsheet does not run it as a formula
    assert rows["bob@acme.test"]["blocked"] == "true"
    assert rows[ACME_ADMIN]["connection"] == SHARED
    assert rows[ACME_ADMIN]["blocked"] == "false"


def test_a_json_export_is_one_array_with_the_values_typed(
    acme: Organization, acme_db: Connection, export_staff: Any
) -> None:
    export = run_export(export_request(actor=export_staff, organization=acme, file_format="json"))

    users = json.loads(export_file(export))
    assert isinstance(users, list)
    by_id = {user["user_id"]: user for user in users}
    assert set(by_id[ALICE]) == set(COLUMNS)
    assert by_id[ALICE]["logins_count"] == 3
    assert by_id[ALICE]["email_verified"] is True
    assert by_id[BOB]["blocked"] is True
    assert by_id[stable_user_id(ACME_MEMBER)]["connection"] == SHARED


def test_another_organization_gets_only_its_own_members_of_the_shared_connection(
    export_tenant: Any, export_staff: Any
) -> None:
    globex = Organization.objects.get(name="globex")
    export = run_export(export_request(actor=export_staff, organization=globex, file_format="csv"))

    emails = {row["email"] for row in csv_rows(export)}
    assert emails == {"admin@globex.test", "member@globex.test"}


def test_a_connection_both_owned_and_enabled_is_exported_once_and_each_user_once(
    export_tenant: Any, acme: Organization, acme_db: Connection, export_staff: Any
) -> None:
    OrganizationConnection.objects.create(organization=acme, connection=acme_db)

    export = run_export(export_request(actor=export_staff, organization=acme, file_format="csv"))

    assert [entry["connection"] for entry in export.jobs] == [OWNED, SHARED]
    ids = [row["user_id"] for row in csv_rows(export)]
    assert sorted(ids) == sorted(set(ids))
    assert len(sandbox_export_jobs(export_tenant)) == 2


def test_the_file_never_holds_a_password_hash(
    export_tenant: Any, acme: Organization, acme_db: Connection, export_staff: Any
) -> None:
    with export_tenant.app.state.lock:
        hashes = [
            u.password_hash for u in export_tenant.app.state.users.values() if u.password_hash
        ]
    assert ALICE_HASH in hashes and len(hashes) > 1
    for file_format in ("csv", "json"):
        export = run_export(
            export_request(actor=export_staff, organization=acme, file_format=file_format)
        )
        data = export_file(export).decode("utf-8")
        assert not [found for found in hashes if found in data]
        assert "password_hash" not in data
        # Kept encrypted: the stored row does not hold the users in clear either.
        assert "alice@acme.test" not in export.file_encrypted


# --- requests refused, restarts, failures ----------------------------------------------


def test_a_second_export_is_refused_while_one_runs(
    slow_jobs: Any, acme: Organization, export_staff: Any
) -> None:
    export_request(actor=export_staff, organization=acme, file_format="csv")
    with pytest.raises(ServiceError, match="already running"):
        export_request(actor=export_staff, organization=acme, file_format="json")


def test_an_organization_without_connections_in_auth0_has_nothing_to_export(
    export_tenant: Any, export_staff: Any
) -> None:
    acme = Organization.objects.get(name="acme")
    OrganizationConnection.objects.filter(organization=acme).delete()
    with pytest.raises(ServiceError, match="nothing to export"):
        export_request(actor=export_staff, organization=acme, file_format="csv")
    assert not UserExport.objects.exists()


def test_the_request_is_audited_and_sends_its_task_to_the_bulk_lane(
    export_tenant: Any,
    acme: Organization,
    export_staff: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with published_tasks(EXPORT_TASK) as sent, django_capture_on_commit_callbacks(execute=True):
        export = export_request(actor=export_staff, organization=acme, file_format="csv")

    assert sent == [(export.pk, "auth0-bulk")]
    event = AuditEvent.objects.get(action="users.export")
    assert event.organization == acme
    assert event.details["connections"] == [SHARED]


def test_a_restarted_worker_reads_the_job_it_started_instead_of_starting_another(
    slow_jobs: Any, acme: Organization, export_staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = export_request(actor=export_staff, organization=acme, file_format="csv")
    assert advance_user_export(export.pk) is not None  # the job waits in Auth0's queue
    export.refresh_from_db()
    job_id = export.jobs[0]["job_id"]
    assert job_id and export.jobs[0]["status"] == "pending"

    # A new worker (the old one gone, its message redelivered) runs the pass again.
    assert advance_user_export(export.pk) is not None
    export.refresh_from_db()
    assert export.jobs[0]["job_id"] == job_id
    assert len(sandbox_export_jobs(slow_jobs)) == 1

    monkeypatch.setattr(slow_jobs.app.config, "job_queue_seconds", 0.0)
    export = run_export(export)
    assert export.status == ExportStatus.READY
    assert len(sandbox_export_jobs(slow_jobs)) == 1


def test_a_failed_job_fails_the_export_in_plain_words(
    slow_jobs: Any, acme: Organization, export_staff: Any
) -> None:
    export = export_request(actor=export_staff, organization=acme, file_format="csv")
    advance_user_export(export.pk)
    (job,) = sandbox_export_jobs(slow_jobs)
    with slow_jobs.app.state.lock:
        job.settled, job.status, job.status_details = True, "failed", "Internal error (E42)"

    export = run_export(export)

    assert export.status == ExportStatus.FAILED
    assert export.problem == f"Auth0 could not export the users of the connection “{SHARED}”."
    assert export.file_encrypted == ""


def test_auth0_unreachable_for_a_moment_waits_and_carries_on(
    export_tenant: Any, acme: Organization, export_staff: Any
) -> None:
    export_tenant.add_fault(method="POST", path="/jobs/users-exports", status=503, times=1)
    export = export_request(actor=export_staff, organization=acme, file_format="csv")

    wait = advance_user_export(export.pk)

    assert wait is not None and wait > 0
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPORTING
    assert export.problem == "Auth0 could not be reached just now; the export carries on by itself."
    assert run_export(export).status == ExportStatus.READY
    assert export.problem == ""


def test_a_rate_limit_waits_and_carries_on(
    export_tenant: Any, acme: Organization, export_staff: Any
) -> None:
    export_tenant.add_fault(method="GET", path="/jobs/job_", status=429, times=1)
    export = export_request(actor=export_staff, organization=acme, file_format="json")

    assert advance_user_export(export.pk) is not None
    export.refresh_from_db()
    assert "slow down" in export.problem
    assert run_export(export).status == ExportStatus.READY


def test_a_refusal_from_auth0_fails_the_export_without_its_raw_words(
    export_tenant: Any, acme: Organization, export_staff: Any
) -> None:
    export_tenant.add_fault(
        method="POST", path="/jobs/users-exports", status=403, message="Insufficient scope xyz"
    )
    export = run_export(export_request(actor=export_staff, organization=acme, file_format="csv"))

    assert export.status == ExportStatus.FAILED
    assert "read:users" in export.problem
    assert "xyz" not in export.problem


# --- expiry and key rotation ------------------------------------------------------------


def test_an_old_export_is_erased_and_cannot_be_downloaded(
    acme: Organization, export_staff: Any
) -> None:
    export = run_export(export_request(actor=export_staff, organization=acme, file_format="csv"))
    assert export.expires_at is not None
    assert export.expires_at - export.finished_at == timedelta(days=7)  # type: ignore[operator]
    UserExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert expire_old_exports() == 1

    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED
    assert export.file_encrypted == ""
    with pytest.raises(ServiceError, match="expired"):
        export_file(export)


def test_a_key_rotation_re_encrypts_the_file(
    acme: Organization, export_staff: Any, settings: Any
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = ["old-key"]
    export = run_export(export_request(actor=export_staff, organization=acme, file_format="csv"))
    before = export_file(export)

    settings.FIELD_ENCRYPTION_KEYS = ["new-key", "old-key"]
    count = rotate_field(UserExport, "file_encrypted", dry_run=False)

    assert count.rotated == 1
    settings.FIELD_ENCRYPTION_KEYS = ["new-key"]
    export.refresh_from_db()
    assert decrypt_bytes(export.file_encrypted) == before


# --- the pages ------------------------------------------------------------------------


def test_a_customer_admin_asks_for_an_export_and_watches_it_live(
    slow_jobs: Any,
    acme: Organization,
    export_acme_admin: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = log_in(Client(), export_acme_admin, acme)
    page = client.get(reverse("usermigration:export_new", args=[acme.pk]))
    assert page.status_code == 200
    assert "members of Acme Corp" in page.content.decode()
    assert "one JSON array" in page.content.decode()

    response = client.post(
        reverse("usermigration:export_new", args=[acme.pk]), {"file_format": "csv"}
    )
    export = UserExport.objects.get(organization=acme)
    assert response.status_code == 302
    assert response["Location"] == reverse("usermigration:export_detail", args=[acme.pk, export.pk])
    assert export.requested_by == export_acme_admin
    advance_user_export(export.pk)

    status_url = reverse("usermigration:export_status", args=[acme.pk, export.pk])
    live = client.get(status_url).content.decode()
    assert 'hx-trigger="every 2s"' in live
    assert "Waiting in Auth0&#x27;s queue" in live

    monkeypatch.setattr(slow_jobs.app.config, "job_queue_seconds", 0.0)
    run_export(export)
    settled = client.get(status_url).content.decode()
    assert "hx-trigger" not in settled
    assert "Download the file (CSV)" in settled
    detail = client.get(reverse("usermigration:export_detail", args=[acme.pk, export.pk]))
    assert "Download the file (CSV)" in detail.content.decode()


def test_the_download_is_an_attachment_named_for_the_organization_and_audited(
    acme: Organization, export_acme_admin: Any
) -> None:
    export = run_export(
        export_request(actor=export_acme_admin, organization=acme, file_format="json")
    )
    client = log_in(Client(), export_acme_admin, acme)

    response = client.get(reverse("usermigration:export_download", args=[acme.pk, export.pk]))

    day = timezone.now().date().isoformat()
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="acme-users-{day}.json"'
    assert json.loads(response.content)[0]["email"].endswith("@acme.test")
    event = AuditEvent.objects.get(action="users.export_download")
    assert event.actor == export_acme_admin
    assert event.organization == acme


def test_a_failed_export_offers_try_again_which_makes_a_new_export(
    slow_jobs: Any, acme: Organization, export_staff: Any
) -> None:
    export = export_request(actor=export_staff, organization=acme, file_format="json")
    advance_user_export(export.pk)
    (job,) = sandbox_export_jobs(slow_jobs)
    with slow_jobs.app.state.lock:
        job.settled, job.status, job.status_details = True, "failed", "Internal error (E42)"
    run_export(export)
    client = log_in(Client(), export_staff)

    page = client.get(reverse("usermigration:export_detail", args=[acme.pk, export.pk]))
    assert "Try again" in page.content.decode()
    assert "Internal error (E42)" in page.content.decode()  # staff see Auth0's words, folded

    response = client.post(reverse("usermigration:export_retry", args=[acme.pk, export.pk]))

    fresh = UserExport.objects.exclude(pk=export.pk).get()
    assert response["Location"] == reverse("usermigration:export_detail", args=[acme.pk, fresh.pk])
    assert fresh.status == ExportStatus.EXPORTING
    assert fresh.file_format == "json"


def test_a_customer_admin_does_not_see_auth0s_own_words(
    slow_jobs: Any, acme: Organization, export_acme_admin: Any
) -> None:
    export = export_request(actor=export_acme_admin, organization=acme, file_format="csv")
    advance_user_export(export.pk)
    (job,) = sandbox_export_jobs(slow_jobs)
    with slow_jobs.app.state.lock:
        job.settled, job.status, job.status_details = True, "failed", "Internal error (E42)"
    run_export(export)
    client = log_in(Client(), export_acme_admin, acme)

    page = client.get(reverse("usermigration:export_detail", args=[acme.pk, export.pk]))

    assert "could not export the users" in page.content.decode()
    assert "E42" not in page.content.decode()


def test_a_stalled_export_offers_continue_which_sends_its_task_again(
    slow_jobs: Any, acme: Organization, export_staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    export = export_request(actor=export_staff, organization=acme, file_format="csv")
    advance_user_export(export.pk)
    UserExport.objects.filter(pk=export.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=3)
    )
    client = log_in(Client(), export_staff)
    page = client.get(reverse("usermigration:export_detail", args=[acme.pk, export.pk]))
    assert "The export has stopped" in page.content.decode()

    with published_tasks(EXPORT_TASK) as sent, django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("usermigration:export_continue", args=[acme.pk, export.pk]))

    assert sent == [(export.pk, "auth0-bulk")]
    page = client.get(reverse("usermigration:export_detail", args=[acme.pk, export.pk]))
    assert "The export has stopped" not in page.content.decode()


def test_another_organizations_admin_gets_404_on_every_page(
    acme: Organization, export_staff: Any, export_globex_admin: Any
) -> None:
    export = run_export(export_request(actor=export_staff, organization=acme, file_format="csv"))
    globex = Organization.objects.get(name="globex")
    client = log_in(Client(), export_globex_admin, globex)
    args = [acme.pk, export.pk]

    assert client.get(reverse("usermigration:export_new", args=[acme.pk])).status_code == 404
    assert (
        client.post(reverse("usermigration:export_new", args=[acme.pk]), {"file_format": "csv"})
    ).status_code == 404
    for name in ("export_detail", "export_status", "export_download"):
        assert client.get(reverse(f"usermigration:{name}", args=args)).status_code == 404
    for name in ("export_retry", "export_continue"):
        assert client.post(reverse(f"usermigration:{name}", args=args)).status_code == 404
    # Nor through their own organization's URL.
    wrong = reverse("usermigration:export_detail", args=[globex.pk, export.pk])
    assert client.get(wrong).status_code == 404
    assert not AuditEvent.objects.filter(action="users.export_download").exists()
    assert UserExport.objects.count() == 1
