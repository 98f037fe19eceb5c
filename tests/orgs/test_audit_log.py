"""The staff audit log and its CSV export: who may open them, filters, before and after in
words, and secrets that never appear on the page or in the file."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from orgs.models import AuditEvent, Organization, OrgStatus
from tests.conftest import People, log_in

pytestmark = pytest.mark.django_db

SECRET = "hunter2-very-secret"


def _event(
    action: str,
    *,
    org: Organization | None = None,
    actor: str = "staff@portal.test",
    target: str = "",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    event = AuditEvent.objects.create(
        actor_label=actor, organization=org, action=action, target=target, details=details or {}
    )
    if at is not None:  # created_at is auto_now_add: set it afterwards
        AuditEvent.objects.filter(pk=event.pk).update(created_at=at)
        event.refresh_from_db()
    return event


def _page(client: Client, url: str = "/orgs/audit/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _shown_ids(page: str) -> list[int]:
    return [int(part.split('"')[0]) for part in page.split('<tr id="event-')[1:]]


def _csv_rows(client: Client, url: str = "/orgs/audit/export.csv") -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200 and response.streaming
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(text)))


# --- who may open it -----------------------------------------------------------------


def test_staff_open_the_audit_log(client: Client, people: People) -> None:
    _event("organization.suspend", org=people.organization, target="acme")
    log_in(client, people.staff)
    page = _page(client)
    assert "Suspended the organization" in page and "staff@portal.test" in page
    for label in ("Organization", "Who", "What", "From", "To"):
        assert f">{label}</label>" in page
    assert 'href="/orgs/audit/export.csv"' in page and "Download CSV" in page


@pytest.mark.parametrize("url", ["/orgs/audit/", "/orgs/audit/export.csv"])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, people: People, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("url", ["/orgs/audit/", "/orgs/audit/export.csv"])
def test_a_customer_admin_gets_404(client: Client, people: People, url: str) -> None:
    log_in(client, people.org_admin, people.organization)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/orgs/audit/", "/orgs/audit/export.csv"])
def test_a_plain_member_gets_404(client: Client, people: People, url: str) -> None:
    log_in(client, people.org_member)
    assert client.get(url).status_code == 404


# --- what a row says --------------------------------------------------------------------


def test_events_are_newest_first(client: Client, people: People) -> None:
    old = _event("organization.create", at=datetime(2026, 1, 1, tzinfo=UTC))
    new = _event("organization.update", at=datetime(2026, 3, 1, tzinfo=UTC))
    log_in(client, people.staff)
    assert _shown_ids(_page(client)) == [new.pk, old.pk]


def test_a_change_shows_before_and_after(client: Client, people: People) -> None:
    _event(
        "organization.update",
        org=people.organization,
        target="acme",
        details={"changed": {"display_name": ["Acme", "Acme Corp"]}, "version": 4},
    )
    log_in(client, people.staff)
    page = _page(client)
    assert "<dt>Display name</dt>" in page
    assert "<del>Acme</del>" in page and "<ins>Acme Corp</ins>" in page
    assert "<dt>Version</dt>" in page and "<dd>4</dd>" in page
    assert f'href="/orgs/{people.organization.pk}/audit/"' in page


def test_a_deleted_organization_is_named_without_a_link(client: Client, people: People) -> None:
    Organization.objects.filter(pk=people.other_organization.pk).update(status=OrgStatus.DELETED)
    _event("organization.delete", org=people.other_organization, target="globex")
    log_in(client, people.staff)
    page = _page(client)
    assert "Globex <span" in page and "(deleted)" in page
    assert f'href="/orgs/{people.other_organization.pk}/audit/"' not in page


def _secret_event(org: Organization) -> AuditEvent:
    return _event(
        "connection.create",
        org=org,
        target="acme-sso",
        details={
            "client_secret": SECRET,
            "options": {"api_key": SECRET, "domain": "sso.acme.test"},
            "changed": {"password": [SECRET, SECRET + "2"]},
        },
    )


def test_secrets_never_appear_on_the_page(client: Client, people: People) -> None:
    _secret_event(people.organization)
    log_in(client, people.staff)
    page = _page(client)
    assert SECRET not in page
    assert "[redacted]" in page and "sso.acme.test" in page


# --- filters --------------------------------------------------------------------------


def _three_events(people: People) -> tuple[AuditEvent, AuditEvent, AuditEvent]:
    return (
        _event(
            "organization.suspend",
            org=people.organization,
            actor="staff@portal.test",
            at=datetime(2026, 1, 10, 12, tzinfo=UTC),
        ),
        _event(
            "invitation.create",
            org=people.other_organization,
            actor="admin@globex.test",
            at=datetime(2026, 2, 10, 12, tzinfo=UTC),
        ),
        _event("tenant.import", actor="system", at=datetime(2026, 3, 10, 12, tzinfo=UTC)),
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("organization=ACM", [0]),
        ("organization=globex", [1]),
        ("actor=globex.test", [1]),
        ("action=tenant.import", [2]),
        ("date_from=2026-02-10", [2, 1]),
        ("date_to=2026-02-10", [1, 0]),
        ("date_from=2026-01-11&date_to=2026-03-09", [1]),
    ],
)
def test_the_filters_narrow_the_log(
    client: Client, people: People, query: str, expected: list[int]
) -> None:
    events = _three_events(people)
    log_in(client, people.staff)
    assert _shown_ids(_page(client, f"/orgs/audit/?{query}")) == [events[i].pk for i in expected]


def test_the_action_filter_offers_actions_in_words(client: Client, people: People) -> None:
    log_in(client, people.staff)
    page = _page(client)
    assert '<option value="organization.suspend">Suspended the organization</option>' in page


def test_an_end_before_the_start_is_explained(client: Client, people: People) -> None:
    events = _three_events(people)
    log_in(client, people.staff)
    page = _page(client, "/orgs/audit/?date_from=2026-03-01&date_to=2026-01-01")
    assert "There is a problem" in page
    assert "The end date must be the same as or after the start date." in page
    assert _shown_ids(page) == [events[2].pk]  # the start date still applies


def test_no_match_says_what_to_do(client: Client, people: People) -> None:
    _three_events(people)
    log_in(client, people.staff)
    page = _page(client, "/orgs/audit/?actor=nobody")
    assert "No change matches the filters chosen." in page and "show every change" in page


def test_the_csv_link_and_the_pages_keep_the_filters(client: Client, people: People) -> None:
    for _ in range(51):
        _event("organization.update", actor="staff@portal.test")
    log_in(client, people.staff)
    page = _page(client, "/orgs/audit/?actor=staff")
    assert 'href="/orgs/audit/export.csv?actor=staff"' in page
    assert 'href="?actor=staff&amp;page=2"' in page
    second = _page(client, "/orgs/audit/?actor=staff&page=2")
    assert 'href="/orgs/audit/export.csv?actor=staff"' in second  # every page, not one


# --- the CSV --------------------------------------------------------------------------


def test_the_csv_is_an_attachment_with_one_line_per_event(client: Client, people: People) -> None:
    _three_events(people)
    log_in(client, people.staff)
    response = client.get("/orgs/audit/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    rows = _csv_rows(client)
    assert rows[0] == ["time", "actor", "organization", "action", "target", "details"]
    assert [row[3] for row in rows[1:]] == [
        "Imported the tenant",
        "Invited someone",
        "Suspended the organization",
    ]
    assert rows[1][0] == "2026-03-10T12:00:00+00:00" and rows[1][2] == ""
    assert rows[3][1:3] == ["staff@portal.test", "acme"]


def test_the_csv_has_the_filtered_events_only(client: Client, people: People) -> None:
    events = _three_events(people)
    log_in(client, people.staff)
    rows = _csv_rows(client, "/orgs/audit/export.csv?organization=globex")
    assert len(rows) == 2 and rows[1][0] == events[1].created_at.isoformat()


def test_the_csv_never_carries_a_secret(client: Client, people: People) -> None:
    _secret_event(people.organization)
    log_in(client, people.staff)
    rows = _csv_rows(client)
    assert SECRET not in json.dumps(rows)
    details = json.loads(rows[1][5])
    assert details["client_secret"] == "[redacted]"
    assert details["options"] == {"api_key": "[redacted]", "domain": "sso.acme.test"}
    assert details["changed"]["password"] == "[redacted]"


def test_the_csv_defuses_cells_a_spreadsheet_would_run(client: Client, people: People) -> None:
    _event("organization.update", actor="=HYPERLINK(1)", target="@SUM(1)")
    log_in(client, people.staff)
    row = _csv_rows(client)[1]
    assert row[1] == "'=HYPERLINK(1)" and row[4] == "'@SUM(1)"
