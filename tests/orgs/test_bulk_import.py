"""The bulk import pages: upload, report, confirm, live progress, runs list, CSVs; staff
only, everything else a 404 or a redirect to sign in."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orgs.bulk.csvfile import example_csv
from orgs.bulk_tasks import run_bulk_provisioning
from orgs.models import Application, BulkRun, BulkRunStatus, OpState, Organization, SyncOperation
from tests.conftest import People, log_in
from tests.factories import ApplicationFactory, ConnectionFactory, UserFactory
from tests.orgs.engine import drain
from tests.orgs.test_bulk_run import published_bulk_tasks

pytestmark = pytest.mark.django_db

HEADER = "name,display_name,membership_model,admin_email,callback_urls"
FILE = "\n".join(
    [
        HEADER,
        "initech,Initech,shared_db,boss@initech.test,https://initech.example.com/callback",
        "hooli,Hooli,enterprise,,",
        "acme,Acme again,shared_db,,",  # taken by the people fixture's Acme
    ]
)


@pytest.fixture
def app(people: People) -> Application:
    ConnectionFactory()  # the shared database connection shared_db organizations use
    return ApplicationFactory(client_id="demo-app", name="Demo SaaS App")


def _upload(client: Client, app: Application, content: str | bytes, name: str = "orgs.csv") -> Any:
    data = content.encode() if isinstance(content, str) else content
    upload = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post("/orgs/bulk/new/", {"file": upload, "application": app.pk})


def _run(client: Client, app: Application, content: str = FILE) -> BulkRun:
    response = _upload(client, app, content)
    assert response.status_code == 302, response.content.decode()
    run = BulkRun.objects.get()
    assert response["Location"] == f"/orgs/bulk/{run.pk}/"
    return run


# -- upload -------------------------------------------------------------------------------


def test_staff_see_the_upload_form_and_the_format(
    client: Client, people: People, app: Application
) -> None:
    log_in(client, people.staff)
    response = client.get("/orgs/bulk/new/")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'for="id_file">CSV file:</label>' in page and 'enctype="multipart/form-data"' in page
    assert "Check the file" in page and "Download the example CSV" in page
    assert f'<option value="{app.pk}" selected>Demo SaaS App</option>' in page
    assert 'href="/orgs/bulk/"' in page and ">Bulk import</a>" in page  # the nav link


def test_the_example_csv_downloads(client: Client, people: People) -> None:
    log_in(client, people.staff)
    response = client.get("/orgs/bulk/example.csv")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode() == example_csv()


def test_a_good_upload_stores_the_report_and_shows_problems_first(
    client: Client, people: People, app: Application
) -> None:
    log_in(client, people.staff)
    run = _run(client, app)

    response = client.get(f"/orgs/bulk/{run.pk}/")

    page = response.content.decode()
    assert "2 ready, 1 with problems" in page
    assert '<button class="btn" type="submit">Create 2 organizations</button>' in page
    assert page.index("Rows with problems") < page.index("Show the 2 ready rows")
    assert "An organization named &#x27;acme&#x27; already exists." in page
    assert 'data-label="Problems"' in page and "Upload a corrected file" in page
    assert not Organization.objects.filter(name__in=["initech", "hooli"]).exists()
    assert run.uploaded_by == people.staff and run.application == app


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("orgs.csv", "display_name,colour\nA,red\n", "Unknown columns: colour."),
        ("orgs.csv", "name,membership_model\na,shared_db\n", "Missing columns: display_name."),
        ("orgs.xlsx", "display_name,membership_model\nA,shared_db\n", "Choose a .csv file"),
        ("orgs.csv", b"PK\x03\x04 workbook", "This is an Excel workbook"),
        ("orgs.csv", b"display_name,membership_model\nCaf\xe9,shared_db\n", "not UTF-8"),
        ("orgs.csv", b"\xff\xfe\xfa", "not UTF-8"),
    ],
)
def test_an_unusable_file_shows_the_error_summary_and_stores_nothing(
    client: Client, people: People, app: Application, name: str, content: Any, message: str
) -> None:
    log_in(client, people.staff)
    response = _upload(client, app, content, name=name)

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and '<a href="#id_file">' in page
    assert message.replace("'", "&#x27;") in page
    assert not BulkRun.objects.exists()


def test_a_file_over_one_megabyte_is_refused(
    client: Client, people: People, app: Application
) -> None:
    log_in(client, people.staff)
    big = HEADER + "\n" + ("x" * 1024 + "\n") * 1025

    response = _upload(client, app, big)

    assert "larger than 1 MB" in response.content.decode()
    assert not BulkRun.objects.exists()


def test_more_than_a_thousand_rows_are_refused(
    client: Client, people: People, app: Application
) -> None:
    log_in(client, people.staff)
    rows = [f"org-{n},Org {n},enterprise,," for n in range(1001)]

    response = _upload(client, app, "\n".join([HEADER, *rows]))

    assert "the limit is 1,000 per file" in response.content.decode()
    assert not BulkRun.objects.exists()


def test_admin_invitations_need_an_application_that_can_invite(
    client: Client, people: People, app: Application
) -> None:
    log_in(client, people.staff)
    no_login = ApplicationFactory(client_id="m2m", name="Backend", initiate_login_uri="")

    response = _upload(client, no_login, FILE)

    page = response.content.decode()
    assert '<a href="#id_application">Backend cannot send the admin invitations' in page
    assert not BulkRun.objects.exists()


# -- confirm and progress -----------------------------------------------------------------


def test_the_confirmation_page_says_what_will_happen(
    client: Client, people: People, app: Application
) -> None:
    log_in(client, people.staff)
    run = _run(client, app)

    page = client.get(f"/orgs/bulk/{run.pk}/confirm/").content.decode()

    assert "Create 2 organizations?" in page and "1 row(s) with problems will be skipped" in page
    assert f'action="/orgs/bulk/{run.pk}/confirm/"' in page


def test_confirming_starts_the_run_once(
    client: Client, people: People, app: Application, django_capture_on_commit_callbacks: Any
) -> None:
    log_in(client, people.staff)
    run = _run(client, app)

    with published_bulk_tasks() as sent, django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/orgs/bulk/{run.pk}/confirm/")
        again = client.post(f"/orgs/bulk/{run.pk}/confirm/", follow=True)

    assert response.status_code == 302 and response["Location"] == f"/orgs/bulk/{run.pk}/"
    assert sent == [(run.pk, "auth0-bulk")]
    assert "being created already" in again.content.decode()
    run.refresh_from_db()
    assert run.status == BulkRunStatus.CREATING and run.confirmed_by == people.staff


def test_the_progress_page_polls_until_every_operation_settled(
    client: Client, people: People, app: Application, django_capture_on_commit_callbacks: Any
) -> None:
    log_in(client, people.staff)
    run = _run(client, app)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/orgs/bulk/{run.pk}/confirm/")
    run_bulk_provisioning(run.pk)

    page = client.get(f"/orgs/bulk/{run.pk}/").content.decode()
    assert f'hx-get="/orgs/bulk/{run.pk}/live/" hx-trigger="every 2s"' in page
    assert "2 queued" in page and "0 done" in page and "1 skipped" in page
    assert 'id="bulk-eta"' in page and "Download results (CSV)" in page

    SyncOperation.objects.filter(organization__bulk_rows__run=run).update(state=OpState.SUCCEEDED)
    live = client.get(f"/orgs/bulk/{run.pk}/live/").content.decode()
    assert live.lstrip().startswith('<div id="bulk-progress"')
    assert "hx-trigger" not in live and "2 done" in live and ">Finished<" in live
    assert '<progress id="bulk-progress-bar" max="2" value="2">' in live


def test_failed_rows_are_listed_with_readable_reasons_and_links(
    client: Client, people: People, app: Application, django_capture_on_commit_callbacks: Any
) -> None:
    log_in(client, people.staff)
    run = _run(client, app)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/orgs/bulk/{run.pk}/confirm/")
    run_bulk_provisioning(run.pk)
    hooli = Organization.objects.get(name="hooli")
    SyncOperation.objects.filter(organization=hooli).update(
        state=OpState.FAILED, last_error="Auth0 403: insufficient_scope", last_error_code="403"
    )

    page = client.get(f"/orgs/bulk/{run.pk}/live/").content.decode()

    assert "1 failed" in page and "Failed rows (1)" in page
    assert "not allowed to make this change" in page and "insufficient_scope" not in page
    assert f'href="/orgs/{hooli.pk}/"' in page


def test_the_progress_partial_takes_the_same_queries_for_any_run_size(
    client: Client, people: People, app: Application, django_capture_on_commit_callbacks: Any
) -> None:
    log_in(client, people.staff)

    def queries_for(rows: int) -> int:
        lines = [f"size{rows}-{n},Org {n},enterprise,," for n in range(rows)]
        response = _upload(client, app, "\n".join([HEADER, *lines]))
        run = BulkRun.objects.get(pk=int(response["Location"].split("/")[-2]))
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/orgs/bulk/{run.pk}/confirm/")
        run_bulk_provisioning(run.pk)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/orgs/bulk/{run.pk}/live/").status_code == 200
        return len(queries)

    assert queries_for(2) == queries_for(20)


def test_the_results_csv_has_a_line_per_row(
    client: Client, people: People, app: Application, django_capture_on_commit_callbacks: Any
) -> None:
    log_in(client, people.staff)
    run = _run(client, app, FILE + "\n=cmd,=HYPERLINK(1),enterprise,,")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/orgs/bulk/{run.pk}/confirm/")
    run_bulk_provisioning(run.pk)

    response = client.get(f"/orgs/bulk/{run.pk}/results.csv")

    assert response["Content-Disposition"] == (
        f'attachment; filename="bulk-import-{run.pk}-results.csv"'
    )
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == ["row", "name", "display_name", "outcome", "organization_url", "errors"]
    initech = Organization.objects.get(name="initech")
    assert lines[1] == [
        "2",
        "initech",
        "Initech",
        "queued",
        f"{settings.PORTAL_BASE_URL}/orgs/{initech.pk}/",
        "",
    ]
    assert lines[3][3] == "skipped"
    assert lines[3][5] == "name: An organization named 'acme' already exists."
    assert lines[4][1:3] == ["'=cmd", "'=HYPERLINK(1)"]  # never a formula in a spreadsheet


def test_the_runs_list_shows_who_when_what_and_how_far(
    client: Client, people: People, app: Application
) -> None:
    log_in(client, people.staff)
    run = _run(client, app)

    page = client.get("/orgs/bulk/").content.decode()

    assert f'href="/orgs/bulk/{run.pk}/">orgs.csv</a>' in page
    assert "staff@portal.test" in page and "Waiting for confirmation" in page
    assert "(1 with problems)" in page and 'data-label="State"' in page


# -- who may --------------------------------------------------------------------------------

PAGES = [
    "/orgs/bulk/",
    "/orgs/bulk/new/",
    "/orgs/bulk/example.csv",
    "/orgs/bulk/{run}/",
    "/orgs/bulk/{run}/live/",
    "/orgs/bulk/{run}/confirm/",
    "/orgs/bulk/{run}/results.csv",
]


@pytest.fixture
def run(people: People, app: Application) -> BulkRun:
    return BulkRun.objects.create(file_name="x.csv", application=app, total_rows=1, ready_rows=1)


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, run: BulkRun, url: str) -> None:
    response = client.get(url.format(run=run.pk))

    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("who", ["org_admin", "org_member", "outsider"])
@pytest.mark.parametrize("url", PAGES)
def test_customers_get_404_everywhere(
    client: Client, people: People, run: BulkRun, url: str, who: str
) -> None:
    user = getattr(people, who)
    pinned = {"org_admin": people.organization, "outsider": people.other_organization}.get(who)
    log_in(client, user, pinned)

    assert client.get(url.format(run=run.pk)).status_code == 404


def test_a_customer_admin_cannot_confirm_a_run(
    client: Client, people: People, run: BulkRun
) -> None:
    log_in(client, people.org_admin, people.organization)

    assert client.post(f"/orgs/bulk/{run.pk}/confirm/").status_code == 404
    run.refresh_from_db()
    assert run.status == BulkRunStatus.CHECKED


def test_an_unknown_run_is_a_404(client: Client, people: People) -> None:
    log_in(client, people.staff)

    assert client.get("/orgs/bulk/999999/").status_code == 404


# -- the browser journey's run, against the sandbox -----------------------------------------


def test_fifty_rows_with_two_bad_ones_reach_48_done(
    client: Client, imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    staff = UserFactory(sub="auth0|staff-bulk", email="staff@portal.test", is_staff=True)
    log_in(client, staff)
    lines = [
        f"journey-{n:02d},Journey {n:02d},shared_db,,https://j{n}.example.com/cb" for n in range(48)
    ]
    lines[10:10] = ["Not Valid!,Broken,shared_db,,", "journey-03,Repeated,shared_db,,"]
    app = Application.objects.get(client_id="sandbox-demo-app")

    run = _run(client, app, "\n".join([HEADER, *lines]))
    report = client.get(f"/orgs/bulk/{run.pk}/").content.decode()
    assert "48 ready, 2 with problems" in report and "Create 48 organizations" in report
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/orgs/bulk/{run.pk}/confirm/")
    run_bulk_provisioning(run.pk)
    assert set(drain()) == {"succeeded"}

    page = client.get(f"/orgs/bulk/{run.pk}/").content.decode()
    assert '<span class="badge badge-ok" id="bulk-count-done">48 done</span>' in page
    assert "0 failed" in page and "2 skipped" in page and "hx-trigger" not in page
