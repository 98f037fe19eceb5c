"""`POST /__sandbox__/logs`: tests write the tenant log entries the sandbox never produces
itself, and checkpoint paging (`/api/v2/logs?from=&take=`) reads them in write order."""

from __future__ import annotations

import httpx
import pytest

from sandbox import SandboxApp

from .conftest import http_client


@pytest.fixture
def reader(sandbox: SandboxApp, mgmt_token: str) -> httpx.Client:
    return http_client(sandbox, headers={"Authorization": f"Bearer {mgmt_token}"})


def test_written_entries_are_returned_by_checkpoint_paging_in_write_order(
    http: httpx.Client, reader: httpx.Client
) -> None:
    before = reader.get("/api/v2/logs", params={"sort": "date:-1", "per_page": 1}).json()
    last_id = before[0]["log_id"] if before else ""
    written = http.post(
        "/__sandbox__/logs",
        json={
            "entries": [
                {"type": "limit_wc", "description": "Blocked account", "user_name": "a@acme.test"},
                {"type": "api_limit_warning", "details": {"bucket": "global"}},
                {"type": "fu", "client_id": "abc", "ip": "203.0.113.9"},
            ]
        },
    )
    assert written.status_code == 201
    ids = [entry["log_id"] for entry in written.json()]
    assert ids == sorted(ids)

    page = reader.get("/api/v2/logs", params={"from": last_id, "take": 100}).json()
    mine = [entry for entry in page if entry["log_id"] in ids]
    assert [entry["type"] for entry in mine] == ["limit_wc", "api_limit_warning", "fu"]
    assert mine[0]["user_name"] == "a@acme.test"
    assert mine[1]["details"] == {"bucket": "global"}
    assert mine[2]["ip"] == "203.0.113.9"


def test_one_entry_may_be_sent_without_a_list(http: httpx.Client) -> None:
    response = http.post("/__sandbox__/logs", json={"type": "f", "description": "Wrong org"})
    assert response.status_code == 201
    assert response.json()[0]["description"] == "Wrong org"


def test_take_is_capped_at_100_as_auth0_documents(http: httpx.Client, reader: httpx.Client) -> None:
    http.post("/__sandbox__/logs", json={"entries": [{"type": "fp"}] * 120})
    assert len(reader.get("/api/v2/logs", params={"from": "1", "take": 100}).json()) == 100
    assert reader.get("/api/v2/logs", params={"from": "1", "take": 101}).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"description": "no type"},
        {"type": "f", "colour": "red"},
        {"type": "f", "user_name": 3},
        {"type": "f", "details": "text"},
        {"entries": []},
    ],
)
def test_malformed_entries_are_refused(http: httpx.Client, body: dict[str, object]) -> None:
    assert http.post("/__sandbox__/logs", json=body).status_code == 400
