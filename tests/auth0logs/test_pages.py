"""The staff page of the Auth0 log archive (auth0logs:list) and its exports: staff only,
the search, pages, CSV and JSON lines of the searched entries, and the scan's charts."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from orgs.auth0logs.models import Auth0LogEntry, LogArchiveCheckpoint
from tests.conftest import People, log_in

pytestmark = pytest.mark.django_db

URL = "/ops/auth0-logs/"


def entry(log_id: str, log_type: str, *, hours_ago: float = 1, **fields: Any) -> Auth0LogEntry:
    raw = {"log_id": log_id, "type": log_type, **fields}
    return Auth0LogEntry.objects.create(
        log_id=log_id,
        type=log_type,
        date=timezone.now() - timedelta(hours=hours_ago),
        raw=raw,
        **fields,
    )


@pytest.fixture
def archive(db: None) -> None:
    entry("900001", "api_limit", route="GET /organizations", description="Rate limit exceeded")
    entry("900002", "fapi", client_id="cli_batch", client_name="Batch job", route="GET /users/{id}")
    entry("900003", "fp", user_name="ann@acme.test", ip="203.0.113.5", description="Wrong password")
    entry("900004", "s", user_name="bob@acme.test", hours_ago=30)
    entry("900005", "limit_wc", user_name='=HYPERLINK("http://evil")', hours_ago=50)


@pytest.fixture
def staff(client: Client, people: People) -> Client:
    return log_in(client, people.staff)


def test_anonymous_people_are_sent_to_log_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("path", [URL, f"{URL}export.csv", f"{URL}export.jsonl"])
def test_it_is_hidden_from_customer_admins(client: Client, people: People, path: str) -> None:
    log_in(client, people.org_admin, people.organization)
    assert client.get(path).status_code == 404


def test_staff_see_the_entries_newest_first(staff: Client, archive: None) -> None:
    response = staff.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "5 entries" in html
    assert html.index("Wrong password") < html.index("bob@acme.test")
    assert 'class="table-stack"' in html
    assert 'data-label="Type"' in html


@pytest.mark.parametrize(
    ("query", "found", "not_found"),
    [
        ({"type": "fp"}, "ann@acme.test", "bob@acme.test"),
        ({"type": "failed_login"}, "ann@acme.test", "Batch job"),
        ({"type": "login_limit"}, "HYPERLINK", "ann@acme.test"),
        ({"client": "batch"}, "Batch job", "ann@acme.test"),
        ({"user": "bob@"}, "bob@acme.test", "ann@acme.test"),
        ({"q": "203.0.113"}, "ann@acme.test", "bob@acme.test"),
        ({"q": "/users/"}, "Batch job", "ann@acme.test"),
    ],
)
def test_the_search_narrows_the_entries(
    staff: Client, archive: None, query: dict[str, str], found: str, not_found: str
) -> None:
    html = staff.get(URL, query).content.decode()
    entries = html[html.index('id="entries-heading"') :]
    assert found in entries
    assert not_found not in entries


def test_the_date_range_narrows_the_entries_and_the_charts(staff: Client, archive: None) -> None:
    today = timezone.now().date()
    html = staff.get(URL, {"date_from": today.isoformat(), "date_to": today.isoformat()}).content
    text = html.decode()
    assert "bob@acme.test" not in text[text.index('id="entries-heading"') :]
    assert "per hour" in text


def test_an_end_before_the_start_is_explained(staff: Client, archive: None) -> None:
    html = staff.get(URL, {"date_from": "2026-05-10", "date_to": "2026-05-01"}).content.decode()
    assert "There is a problem" in html
    assert "The end date must be the same as or after the start date." in html


def test_entries_are_paginated(staff: Client) -> None:
    for n in range(55):
        entry(f"{n:06d}", "fapi", hours_ago=n / 10)
    first = staff.get(URL).content.decode()
    assert "1–50 of 55 entries" in first
    second = staff.get(URL, {"page": 2}).content.decode()
    assert "51–55 of 55 entries" in second


def test_the_charts_are_inline_svg_with_names_and_numbers(staff: Client, archive: None) -> None:
    html = staff.get(URL).content.decode()
    assert '<script src="http' not in html
    assert '<svg viewBox="0 0 600 220"' in html
    assert 'role="img" aria-labelledby="chart-rate_limit-title chart-rate_limit-desc"' in html
    assert '<title id="chart-rate_limit-title">Rate limits reached</title>' in html
    assert "1 event in all" in html
    assert "Show the numbers" in html
    # Busiest routes and applications.
    assert "<code>GET /organizations</code>" in html
    assert "Batch job" in html


def test_the_archive_status_is_shown_in_words(staff: Client, archive: None) -> None:
    LogArchiveCheckpoint.objects.create(
        last_log_id="900005",
        last_run_at=timezone.now(),
        last_run_stored=5,
        last_error="Auth0's rate limit was reached; the next run carries on from the same place.",
        last_error_detail="Auth0 429 too_many_requests: Global limit has been reached",
    )
    html = staff.get(URL).content.decode()
    assert "5 new entries" in html
    assert "the next run carries on" in html
    assert "Details for support" in html


def test_the_csv_export_holds_every_searched_entry(staff: Client, archive: None) -> None:
    response = staff.get(f"{URL}export.csv", {"type": "failed_login"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["log_id"] for row in rows] == ["900003"]
    assert rows[0]["user_name"] == "ann@acme.test"
    assert rows[0]["ip"] == "203.0.113.5"


def test_the_csv_export_defuses_spreadsheet_formulas(staff: Client, archive: None) -> None:
    response = staff.get(f"{URL}export.csv", {"type": "limit_wc"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["user_name"].startswith("'=")


def test_the_json_lines_export_holds_each_whole_event(staff: Client, archive: None) -> None:
    response = staff.get(f"{URL}export.jsonl")
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = b"".join(response.streaming_content).decode().splitlines()
    events = [json.loads(line) for line in lines]
    assert len(events) == 5
    assert {event["log_id"] for event in events} == {f"90000{n}" for n in range(1, 6)}
    assert next(e for e in events if e["log_id"] == "900002")["client_name"] == "Batch job"
