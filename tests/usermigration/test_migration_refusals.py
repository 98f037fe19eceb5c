"""What a migration refuses: an organization on the shared database connection, and the
addresses of other organizations when the connection is the organization's own."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orgs.models import Connection, Domain, Organization
from orgs.services.errors import ServiceError
from orgs.usermigration import foreign, targets
from orgs.usermigration.mapping import CsvMapping
from orgs.usermigration.models import MigrationStatus, RowStatus
from orgs.usermigration.upload import migration_map, migration_upload
from tests.factories import MemberFactory, OrganizationFactory
from tests.usermigration.migration_support import (
    confirm,
    fast_jobs,
    own_connection,
    own_db_org,
    run_passes,
    upload_json,
)

__all__ = ["fast_jobs", "own_db_org"]  # fixtures, imported for pytest

pytestmark = pytest.mark.django_db


def test_an_organization_on_the_shared_database_connection_cannot_import(
    imported_tenant: Any,
) -> None:
    acme = Organization.objects.get(name="acme")
    shared = Connection.objects.get(organization__isnull=True, strategy="auth0")
    assert targets.import_targets(acme).refusal == targets.SHARED_ONLY
    with pytest.raises(ServiceError) as refused:
        migration_upload(
            actor=None,
            organization=acme,
            connection=shared,
            file_name="users.json",
            data=b'[{"email": "someone@acme.test"}]',
            upsert=False,
        )
    assert refused.value.message == targets.SHARED_ONLY
    assert not acme.user_migrations.exists()


def test_another_organizations_connection_is_refused(tenant: Any, own_db_org: Any) -> None:
    other = OrganizationFactory(name="hooli")
    with pytest.raises(ServiceError) as refused:
        migration_upload(
            actor=None,
            organization=other,
            connection=own_connection(own_db_org),
            file_name="users.json",
            data=b'[{"email": "someone@hooli.test"}]',
            upsert=False,
        )
    assert refused.value.field == "connection"


def test_addresses_of_other_organizations_are_refused_row_by_row(
    tenant: Any, own_db_org: Any
) -> None:
    globex = OrganizationFactory(name="umbrella")
    MemberFactory(organization=globex, email="Pat@Umbrella-Partner.test")
    Domain.objects.create(
        organization=globex, domain="umbrella.test", verification_token="t", status="verified"
    )
    migration = upload_json(
        own_db_org,
        [
            {"email": "pat@umbrella-partner.test"},
            {"email": "kim@umbrella.test"},
            {"email": "lee@eu.umbrella.test"},
            {"email": "ann@initech.test"},
        ],
    )
    messages = {row.email: [e["message"] for e in row.errors] for row in migration.rows.all()}
    assert messages == {
        "pat@umbrella-partner.test": [foreign.MEMBER_ELSEWHERE],
        "kim@umbrella.test": ["umbrella.test is a verified domain of another organization."],
        "lee@eu.umbrella.test": ["umbrella.test is a verified domain of another organization."],
        "ann@initech.test": [],
    }
    assert "Umbrella" not in json.dumps(messages)  # never names the other organization
    assert migration.ready_rows == 1


def test_a_file_of_only_other_organizations_people_cannot_be_confirmed(
    tenant: Any, own_db_org: Any
) -> None:
    MemberFactory(organization=OrganizationFactory(name="hooli"), email="gavin@hooli.test")
    migration = upload_json(own_db_org, [{"email": "gavin@hooli.test"}])
    with pytest.raises(ServiceError) as refused:
        confirm(migration)
    assert "No row is ready" in refused.value.message
    migration.refresh_from_db()
    assert migration.status == MigrationStatus.CHECKED


def test_a_csv_goes_through_its_mapping_to_the_report(tenant: Any, own_db_org: Any) -> None:
    data = (
        b"Email,First name,Last name,Password,Algorithm\r\n"
        b"ann@initech.test,Ann,Smith,$2b$04$abcdefghijklmnopqrstuOe1XmzqM2K2bLvXUJ8uAyCmfQnhv9xJW,bcrypt\r\n"
        b"not-an-address,Bob,Jones,,\r\n"
    )
    migration = migration_upload(
        actor=None,
        organization=own_db_org,
        connection=own_connection(own_db_org),
        file_name="legacy.csv",
        data=data,
        upsert=False,
    )
    assert migration.status == MigrationStatus.MAPPING
    mapping = CsvMapping(
        columns={
            "email": "Email",
            "given_name": "First name",
            "family_name": "Last name",
            "password_hash_value": "Password",
            "password_algorithm": "Algorithm",
        }
    )
    migration_map(actor=None, migration=migration, mapping=mapping)
    run_passes(migration.pk)
    migration.refresh_from_db()
    assert migration.status == MigrationStatus.CHECKED
    assert not migration.upload_encrypted  # the file is gone once its rows are read
    rows = {row.number: row for row in migration.rows.all()}
    assert rows[2].status == RowStatus.READY and rows[2].name == "Ann Smith"
    assert rows[3].status == RowStatus.INVALID
    assert rows[3].errors[0]["field"] == "email"


def test_a_csv_reports_problems_by_its_own_column_names() -> None:
    from orgs.usermigration.field_words import WHOLE_FILE_ALGORITHM, field_words
    from orgs.usermigration.models import UserMigration

    columns = {"email": "E-mail", "password_hash_value": "Hash", "app_metadata_json": "Extra"}
    csv_file = UserMigration(source_format="csv", mapping=CsvMapping(columns=columns).to_json())
    assert field_words(csv_file, "email") == "E-mail"
    assert field_words(csv_file, "custom_password_hash.hash.value") == "Hash"
    assert field_words(csv_file, "app_metadata.plan") == "Extra"
    with_algorithm = CsvMapping(columns=columns, algorithm="sha256").to_json()
    csv_file.mapping = with_algorithm
    assert field_words(csv_file, "custom_password_hash.algorithm") == WHOLE_FILE_ALGORITHM
    json_file = UserMigration(source_format="json")
    assert field_words(json_file, "custom_password_hash.hash.value") == (
        "custom_password_hash.hash.value"
    )


def test_a_key_rotation_re_encrypts_the_file_and_the_rows(
    tenant: Any, own_db_org: Any, settings: Any
) -> None:
    from orgs.key_rotation import rotate_all
    from orgs.secrets import decrypt_bytes, decrypt_options
    from orgs.usermigration.models import MigrationRow, UserMigration

    settings.FIELD_ENCRYPTION_KEYS = ["old-key"]
    ready = upload_json(own_db_org, [{"email": "ann@initech.test", "name": "Ann"}])
    waiting = migration_upload(
        actor=None,
        organization=own_db_org,
        connection=own_connection(own_db_org),
        file_name="later.csv",
        data=b"Email\r\nbob@initech.test\r\n",
        upsert=False,
    )

    settings.FIELD_ENCRYPTION_KEYS = ["new-key", "old-key"]
    counts = {count.label: count.rotated for count in rotate_all(dry_run=False)}
    assert counts["usermigration.UserMigration.upload_encrypted"] == 1, counts
    assert counts["usermigration.MigrationRow.payload_encrypted"] == 1, counts

    settings.FIELD_ENCRYPTION_KEYS = ["new-key"]
    waiting.refresh_from_db()
    assert decrypt_bytes(waiting.upload_encrypted).startswith(b"Email")
    row = MigrationRow.objects.get(migration=ready)
    assert decrypt_options(row.payload_encrypted)["email"] == "ann@initech.test"
    assert UserMigration.objects.count() == 2
