"""The user migration pages, through Django's test client: the Migrations tab, the upload,
a CSV's column mapping, the report and its confirmation, the live progress, the results
CSV, discard, and who may see any of it. The organization and its connection live in the
sandbox tenant, so the check and the import run as a worker would run them."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from orgs.models import Connection, Organization, OrganizationConnection, Role
from orgs.usermigration.models import MigrationStatus, UserMigration
from orgs.usermigration.views.migrations import EXAMPLE_CSV
from portal.access import ADMIN_ROLE
from tests.conftest import log_in
from tests.factories import MemberFactory, OrganizationFactory, UserFactory
from tests.usermigration.migration_support import fast_jobs, own_db_org, run_passes

__all__ = ["fast_jobs", "own_db_org"]  # fixtures, imported for pytest

pytestmark = pytest.mark.django_db

USERS = [
    {"email": "ada@initech.test", "given_name": "Ada", "email_verified": True},
    {"email": "grace@initech.test", "name": "Grace Hopper"},
    {"email": "not an address", "given_name": "Nobody"},
]


def _admin_of(org: Organization, email: str) -> Any:
    user = UserFactory(sub=f"auth0|{org.name}-admin", email=email)
    role = Role.objects.get(name=ADMIN_ROLE)
    MemberFactory(organization=org, user_id=user.sub, email=user.email).roles.add(role)
    return user


@pytest.fixture
def admin_client(own_db_org: Organization) -> Client:
    """The organization's own customer admin, signed in and pinned to it."""
    return log_in(Client(), _admin_of(own_db_org, "boss@initech.test"), own_db_org)


@pytest.fixture
def staff_client(db: None) -> Client:
    return log_in(
        Client(), UserFactory(sub="auth0|staff", email="staff@portal.test", is_staff=True)
    )


def _url(name: str, org: Organization, migration: UserMigration | None = None) -> str:
    args = [org.pk] if migration is None else [org.pk, migration.pk]
    return reverse(f"usermigration:{name}", args=args)


def _upload(client: Client, org: Organization, name: str, content: bytes, **extra: str) -> Any:
    data = {"file": SimpleUploadedFile(name, content), "existing": "report", **extra}
    return client.post(_url("new", org), data)


def _uploaded_json(client: Client, org: Organization) -> UserMigration:
    response = _upload(client, org, "users.json", json.dumps(USERS).encode())
    migration = UserMigration.objects.get(organization=org)
    assert response.status_code == 302
    assert response["Location"] == _url("detail", org, migration)
    return migration


def _checked(client: Client, org: Organization) -> UserMigration:
    migration = _uploaded_json(client, org)
    run_passes(migration.pk)
    migration.refresh_from_db()
    assert migration.status == MigrationStatus.CHECKED, migration.problem
    return migration


def _text(response: Any) -> str:
    return response.content.decode()


# -- the tab and the upload -----------------------------------------------------------------


def test_the_tab_offers_import_and_export_and_lists_migrations(
    admin_client: Client, own_db_org: Organization
) -> None:
    migration = _uploaded_json(admin_client, own_db_org)
    response = admin_client.get(_url("index", own_db_org))
    page = _text(response)
    assert response.status_code == 200
    assert 'aria-current="page">Migrations</a>' in page
    assert f'href="{_url("new", own_db_org)}"' in page
    assert f'href="{reverse("usermigration:export_new", args=[own_db_org.pk])}"' in page
    assert f'href="{_url("detail", own_db_org, migration)}">users.json</a>' in page
    assert "boss@initech.test" in page


def test_a_json_file_is_checked_and_its_report_lists_the_rows_with_problems(
    admin_client: Client, own_db_org: Organization
) -> None:
    migration = _uploaded_json(admin_client, own_db_org)
    checking = _text(admin_client.get(_url("detail", own_db_org, migration)))
    assert "Checking the file against the users already in" in checking
    assert 'hx-trigger="every 2s"' in checking

    run_passes(migration.pk)
    # The check's poll sends the browser on to the report once it is ready.
    poll = admin_client.get(_url("status", own_db_org, migration) + "?shown=checking")
    assert poll["HX-Redirect"] == _url("detail", own_db_org, migration)

    report = _text(admin_client.get(_url("detail", own_db_org, migration)))
    assert "Check the report before importing" in report
    assert 'id="row-3"' in report and "not an address" in report
    assert "Import 2 users" in report
    assert "1 user in the file has problems" in report
    assert "<code>email</code>: 1 user</a>" in report  # the kinds of problem
    assert 'hx-trigger="every' not in report


def test_a_csv_file_goes_to_its_column_mapping_with_a_preview(
    admin_client: Client, own_db_org: Organization
) -> None:
    response = _upload(admin_client, own_db_org, "users.csv", EXAMPLE_CSV.encode())
    migration = UserMigration.objects.get(organization=own_db_org)
    assert migration.status == MigrationStatus.MAPPING
    assert response["Location"] == _url("mapping", own_db_org, migration)

    page = _text(admin_client.get(_url("mapping", own_db_org, migration)))
    assert "grace@example.com" in page and "Hopper" in page  # the preview
    assert '<option value="email" selected>email</option>' in page  # the guess

    columns = {
        "email": "email",
        "given_name": "given_name",
        "family_name": "family_name",
        "email_verified": "email_verified",
        "password_hash_value": "password_hash",
        "password_algorithm": "hash_algorithm",
    }
    hashing = {"hash_encoding": "hex", "salt_encoding": "utf8", "salt_position": "suffix"}
    mapped = admin_client.post(_url("mapping", own_db_org, migration), {**columns, **hashing})
    assert mapped["Location"] == _url("detail", own_db_org, migration)
    migration.refresh_from_db()
    assert migration.status == MigrationStatus.CHECKING
    run_passes(migration.pk)
    migration.refresh_from_db()
    assert migration.status == MigrationStatus.CHECKED
    assert (migration.total_rows, migration.ready_rows) == (3, 3)


def test_a_mapping_with_problems_is_shown_in_an_error_summary(
    admin_client: Client, own_db_org: Organization
) -> None:
    _upload(admin_client, own_db_org, "users.csv", EXAMPLE_CSV.encode())
    migration = UserMigration.objects.get(organization=own_db_org)
    response = admin_client.post(
        _url("mapping", own_db_org, migration),
        {"password_hash_value": "password_hash", "hash_encoding": "hex",
         "salt_encoding": "utf8", "salt_position": "suffix"},
    )  # fmt: skip
    page = _text(response)
    assert response.status_code == 400
    assert "There is a problem" in page
    assert 'href="#id_email">Choose the column that holds the email addresses.' in page
    assert "Say which algorithm made the password hashes" in page
    migration.refresh_from_db()
    assert migration.status == MigrationStatus.MAPPING


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("users.json", b'{"email": "a@b.test"}', "not a list of users"),
        ("users.json", b"[]", "empty list"),
        ("users.txt", b"email\na@b.test\n", "Choose a .json or .csv file"),
        ("users.csv", b"email\n", "a header row but no users"),
    ],
)
def test_a_file_that_cannot_be_read_is_an_error_summary_not_a_500(
    admin_client: Client, own_db_org: Organization, name: str, content: bytes, message: str
) -> None:
    response = _upload(admin_client, own_db_org, name, content)
    page = _text(response)
    assert response.status_code == 400
    assert "There is a problem" in page and message in page
    assert 'href="#id_file"' in page
    assert not UserMigration.objects.exists()


def test_the_example_csv_is_the_documented_one(
    admin_client: Client, own_db_org: Organization
) -> None:
    response = admin_client.get(_url("example", own_db_org))
    documented = Path(settings.BASE_DIR, "docs", "user-migration-example.csv").read_text()
    assert response.content.decode() == documented == EXAMPLE_CSV
    assert 'filename="user-migration-example.csv"' in response["Content-Disposition"]


# -- confirm, progress, results, discard ------------------------------------------------------


def test_confirming_imports_the_users_and_the_progress_shows_it_live(
    admin_client: Client, own_db_org: Organization
) -> None:
    migration = _checked(admin_client, own_db_org)
    response = admin_client.post(
        _url("confirm", own_db_org, migration), {"roles": ["org-member"], "without_hash": "link"}
    )
    assert response.status_code == 302
    migration.refresh_from_db()
    assert migration.status == MigrationStatus.IMPORTING
    assert [role.name for role in migration.roles.all()] == ["org-member"]

    live = _text(admin_client.get(_url("status", own_db_org, migration) + "?shown=importing"))
    assert 'hx-trigger="every 2s"' in live and "Time left:" in live
    assert 'id="job-1"' in live

    run_passes(migration.pk)
    finished = _text(admin_client.get(_url("status", own_db_org, migration) + "?shown=importing"))
    assert "hx-trigger" not in finished  # a finished page stops asking
    assert "2 imported" in finished and "1 left out (problems in the file)" in finished

    results = admin_client.get(_url("results", own_db_org, migration))
    assert results["Content-Disposition"] == (
        f'attachment; filename="initech-migration-{migration.pk}-results.csv"'
    )
    lines = list(csv.DictReader(io.StringIO(b"".join(results.streaming_content).decode())))
    assert {line["email"]: line["outcome"] for line in lines} == {
        "ada@initech.test": "imported",
        "grace@initech.test": "imported",
        "not an address": "not sent (problems in the file)",
    }


def test_confirming_with_an_unknown_role_shows_the_error_on_the_report(
    admin_client: Client, own_db_org: Organization
) -> None:
    migration = _checked(admin_client, own_db_org)
    response = admin_client.post(_url("confirm", own_db_org, migration), {"roles": ["nope"]})
    assert response.status_code == 400
    assert "There is a problem" in _text(response)
    migration.refresh_from_db()
    assert migration.status == MigrationStatus.CHECKED


def test_discarding_asks_first_then_drops_the_file(
    admin_client: Client, own_db_org: Organization
) -> None:
    migration = _checked(admin_client, own_db_org)
    asked = admin_client.get(_url("discard", own_db_org, migration))
    assert asked.status_code == 200 and "Nobody from the file is imported." in _text(asked)

    response = admin_client.post(_url("discard", own_db_org, migration))
    assert response["Location"] == _url("index", own_db_org)
    migration.refresh_from_db()
    assert migration.status == MigrationStatus.DISCARDED and not migration.rows.exists()


def test_a_refused_action_is_an_error_summary_on_the_migrations_page(
    admin_client: Client, own_db_org: Organization
) -> None:
    migration = _checked(admin_client, own_db_org)
    response = admin_client.post(_url("retry", own_db_org, migration))
    assert response.status_code == 400
    page = _text(response)
    assert "There is a problem" in page and "No import job of this migration failed." in page
    assert admin_client.post(_url("continue", own_db_org, migration)).status_code == 400


# -- who may use it -----------------------------------------------------------------------


def test_an_organization_on_a_shared_connection_is_told_why_and_cannot_upload(
    staff_client: Client,
) -> None:
    org = OrganizationFactory(name="shared-only-org")
    shared = Connection.objects.create(
        name="Shared-Users", strategy="auth0", auth0_id="con_shared0000000"
    )
    OrganizationConnection.objects.create(organization=org, connection=shared)
    index = _text(staff_client.get(_url("index", org)))
    assert "shares with other organizations" in index
    assert f'href="{_url("new", org)}"' not in index

    response = _upload(staff_client, org, "users.json", json.dumps(USERS).encode())
    assert response.status_code == 403
    assert "shares with other organizations" in _text(response)
    assert not UserMigration.objects.exists()


def test_a_customer_admin_of_another_organization_gets_404_everywhere(
    admin_client: Client, own_db_org: Organization
) -> None:
    migration = _uploaded_json(admin_client, own_db_org)
    globex = OrganizationFactory(name="outsider-org")
    outsider = log_in(Client(), _admin_of(globex, "admin@outsider.test"), globex)
    for name in ("index", "new", "example"):
        assert outsider.get(_url(name, own_db_org)).status_code == 404, name
    for name in ("detail", "mapping", "status", "results", "discard", "stop"):
        assert outsider.get(_url(name, own_db_org, migration)).status_code == 404, name
    for name in ("confirm", "discard", "continue", "retry", "stop"):
        assert outsider.post(_url(name, own_db_org, migration)).status_code == 404, name
    # Nor through its own organization's URLs.
    assert outsider.get(_url("detail", globex, migration)).status_code == 404
    migration.refresh_from_db()
    assert migration.status == MigrationStatus.CHECKING


# -- keyboard and screen readers --------------------------------------------------------------


class _Controls(HTMLParser):
    """The ids of the form controls a person fills in, and the ids labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "label" and found.get("for"):
            self.labelled.add(str(found["for"]))
        hidden = found.get("type") in ("hidden", "submit")
        if tag in ("input", "select", "textarea") and not hidden:
            self.controls.append(str(found.get("id") or found.get("name")))


def _unlabelled(page: str) -> list[str]:
    parser = _Controls()
    parser.feed(page)
    assert parser.controls
    return [control for control in parser.controls if control not in parser.labelled]


def test_every_input_of_every_form_has_a_label(
    admin_client: Client, own_db_org: Organization
) -> None:
    assert _unlabelled(_text(admin_client.get(_url("new", own_db_org)))) == []
    migration = _checked(admin_client, own_db_org)
    assert _unlabelled(_text(admin_client.get(_url("detail", own_db_org, migration)))) == []
    _upload(admin_client, own_db_org, "users.csv", EXAMPLE_CSV.encode())
    mapping = UserMigration.objects.get(status=MigrationStatus.MAPPING)
    assert _unlabelled(_text(admin_client.get(_url("mapping", own_db_org, mapping)))) == []
