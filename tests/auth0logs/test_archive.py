"""The Auth0 log archive's pull (orgs.auth0logs.archive) against the live sandbox: from
the oldest event on the first run, only new events afterwards, and neither a gap nor a
duplicate whatever stops a run (a failed page, a 429, a crash while storing a page)."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.auth0logs import archive
from orgs.auth0logs.archive import FAILED, OVERTAKEN, RATE_LIMITED, archive_logs, checkpoint
from orgs.auth0logs.models import Auth0LogEntry, LogArchiveCheckpoint
from orgs.auth0logs.tasks import archive_auth0_logs
from tests.auth0logs.conftest import tenant_log_ids, write_entries

pytestmark = pytest.mark.django_db

LOGS_PATH = "^/api/v2/logs$"


def stored_ids() -> list[str]:
    return list(Auth0LogEntry.objects.order_by("log_id").values_list("log_id", flat=True))


def fill(tenant: Any, count: int, log_type: str = "fp") -> None:
    write_entries(
        tenant, [{"type": log_type, "user_name": f"u{n}@acme.test"} for n in range(count)]
    )


def test_the_first_run_stores_every_event_from_the_oldest(tenant_logs: Any) -> None:
    fill(tenant_logs, 250)

    run = archive_logs()

    assert run.caught_up
    assert stored_ids() == tenant_log_ids(tenant_logs)
    assert run.stored == len(tenant_log_ids(tenant_logs))
    assert checkpoint().last_log_id == tenant_log_ids(tenant_logs)[-1]
    assert checkpoint().caught_up_at is not None


def test_a_second_run_adds_only_the_new_events(tenant_logs: Any) -> None:
    fill(tenant_logs, 120)
    archive_logs()
    fill(tenant_logs, 7, "limit_wc")

    run = archive_logs()

    assert run.stored == 7
    assert stored_ids() == tenant_log_ids(tenant_logs)
    assert Auth0LogEntry.objects.filter(type="limit_wc").count() == 7


def test_an_entry_keeps_the_whole_event_and_its_searchable_fields(tenant_logs: Any) -> None:
    [event] = write_entries(
        tenant_logs,
        [
            {
                "type": "fu",
                "description": "Wrong email or password.",
                "client_id": "cli_1",
                "client_name": "Demo SaaS App",
                "connection": "Username-Password-Authentication",
                "user_name": "nobody@acme.test",
                "ip": "203.0.113.7",
                "details": {"error": {"message": "Wrong email or password."}},
            }
        ],
    )
    archive_logs()

    entry = Auth0LogEntry.objects.get(log_id=event["log_id"])
    assert (entry.type, entry.client_name, entry.user_name, entry.ip) == (
        "fu",
        "Demo SaaS App",
        "nobody@acme.test",
        "203.0.113.7",
    )
    assert entry.raw == event
    assert entry.date.isoformat().startswith(event["date"][:19])


def test_a_failed_page_ends_the_run_and_the_next_run_leaves_no_gap(tenant_logs: Any) -> None:
    fill(tenant_logs, 250)
    # GETs: the seed (oldest event), the first checkpoint page, then this one fails.
    tenant_logs.add_fault(method="GET", path=LOGS_PATH, after=2, times=1, status=500)

    first = archive_logs()

    assert first.stopped_by == FAILED
    assert first.pages == 2  # pages read: the seed and one checkpoint page
    assert Auth0LogEntry.objects.count() == 101
    assert checkpoint().last_log_id == tenant_log_ids(tenant_logs)[100]
    assert "tries again" in checkpoint().last_error

    second = archive_logs()

    assert second.caught_up
    assert stored_ids() == tenant_log_ids(tenant_logs)
    assert checkpoint().last_error == ""


def test_a_dropped_connection_mid_page_leaves_no_gap(tenant_logs: Any) -> None:
    fill(tenant_logs, 250)
    tenant_logs.add_fault(method="GET", path=LOGS_PATH, action="drop", after=2, times=1)

    assert archive_logs().stopped_by == FAILED
    archive_logs()

    assert stored_ids() == tenant_log_ids(tenant_logs)


def test_a_crash_while_storing_a_page_stores_none_of_it(
    tenant_logs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(tenant_logs, 250)
    real = archive.entry_from_event
    seen = {"n": 0}

    def dies_half_way(event: dict[str, Any], **kwargs: Any) -> Any:
        seen["n"] += 1
        if seen["n"] == 150:  # the middle of the second checkpoint page
            raise RuntimeError("worker killed")
        return real(event, **kwargs)

    monkeypatch.setattr(archive, "entry_from_event", dies_half_way)
    with pytest.raises(RuntimeError):
        archive_logs()
    assert Auth0LogEntry.objects.count() == 101
    assert checkpoint().last_log_id == tenant_log_ids(tenant_logs)[100]

    monkeypatch.setattr(archive, "entry_from_event", real)
    archive_logs()

    assert stored_ids() == tenant_log_ids(tenant_logs)


def test_rows_left_from_part_of_a_page_are_not_stored_twice(tenant_logs: Any) -> None:
    fill(tenant_logs, 150)
    archive_logs(max_pages=2)  # the seed and the first checkpoint page
    ids = tenant_log_ids(tenant_logs)
    assert stored_ids() == ids[:101]
    # Part of the next page already stored without the checkpoint moving (a copy
    # restored from a backup, or an older release that stored entry by entry).
    for log_id in ids[101:120]:
        Auth0LogEntry.objects.create(
            log_id=log_id, date=checkpoint().last_run_at, type="fp", raw={}
        )

    run = archive_logs()

    assert stored_ids() == ids
    assert run.stored == len(ids) - 120


def test_a_429_stops_the_run_and_keeps_the_checkpoint(tenant_logs: Any) -> None:
    fill(tenant_logs, 250)
    tenant_logs.add_fault(method="GET", path=LOGS_PATH, after=2, times=1, status=429)

    first = archive_logs()

    assert first.stopped_by == RATE_LIMITED
    assert checkpoint().last_log_id == tenant_log_ids(tenant_logs)[100]
    assert "rate limit" in checkpoint().last_error
    assert "429" in checkpoint().last_error_detail

    archive_logs()

    assert stored_ids() == tenant_log_ids(tenant_logs)


def test_a_run_stops_at_its_page_budget_and_the_next_carries_on(tenant_logs: Any) -> None:
    fill(tenant_logs, 350)

    assert archive_logs(max_pages=2).stopped_by == archive.BUDGET
    assert Auth0LogEntry.objects.count() == 101
    archive_logs(max_pages=2)
    archive_logs()

    assert stored_ids() == tenant_log_ids(tenant_logs)


def test_a_run_overtaken_by_another_stores_nothing_and_never_moves_the_checkpoint_back(
    tenant_logs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(tenant_logs, 50)
    archive_logs()
    ahead = checkpoint().last_log_id
    fill(tenant_logs, 5)
    # This run read its `from` before another run moved the checkpoint further.
    LogArchiveCheckpoint.objects.update(last_log_id="0")

    def read_from_stale() -> LogArchiveCheckpoint:
        row = LogArchiveCheckpoint.objects.get()
        LogArchiveCheckpoint.objects.update(last_log_id=ahead)
        return row

    monkeypatch.setattr(archive, "checkpoint", read_from_stale)
    run = archive_logs()

    assert run.stopped_by == OVERTAKEN
    assert LogArchiveCheckpoint.objects.get().last_log_id == ahead


def test_the_beat_task_runs_the_pull(tenant_logs: Any) -> None:
    fill(tenant_logs, 3)

    result = archive_auth0_logs()

    assert result["stopped_by"] == ""
    assert stored_ids() == tenant_log_ids(tenant_logs)
