"""Rows split into import-job files under Auth0's size limit."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from orgs.usermigration.chunking import MAX_JOB_FILE_BYTES, job_file, job_files


def user(number: int, padding: int = 0) -> tuple[int, dict[str, Any]]:
    return number, {"email": f"u{number}@example.com", "name": "x" * padding}


def size(records: list[tuple[int, dict[str, Any]]], numbers: list[int]) -> int:
    by_number = dict(records)
    return len(job_file([by_number[number] for number in numbers]))


def test_the_limit_stays_under_auth0s_500_kb() -> None:
    assert MAX_JOB_FILE_BYTES < 500 * 1000


def test_the_file_is_compact_json() -> None:
    assert job_file([{"email": "a@example.com", "name": "Ä"}]) == (
        b'[{"email":"a@example.com","name":"\\u00c4"}]'
    )
    assert json.loads(job_file([{"a": 1}, {"b": 2}])) == [{"a": 1}, {"b": 2}]


def test_records_that_fit_exactly_make_one_file() -> None:
    records = [user(1), user(2)]
    exact = len(job_file([record for _, record in records]))

    assert job_files(records, max_bytes=exact) == [[1, 2]]
    assert job_files(records, max_bytes=exact - 1) == [[1], [2]]


def test_many_small_records_fill_files_in_order() -> None:
    records = [user(number, padding=number % 50) for number in range(1, 5001)]

    groups = job_files(records, max_bytes=20_000)

    assert [number for group in groups for number in group] == list(range(1, 5001))
    assert all(size(records, group) <= 20_000 for group in groups)
    # Each file is full: the next record would not have fitted.
    for group, following in itertools.pairwise(groups):
        assert size(records, [*group, following[0]]) > 20_000


def test_one_record_larger_than_a_file_is_refused() -> None:
    records = [user(1), user(2, padding=MAX_JOB_FILE_BYTES)]

    with pytest.raises(ValueError, match="Row 2 alone is"):
        job_files(records)


def test_a_record_exactly_a_file_long_is_its_own_file() -> None:
    records = [user(1), user(2, padding=100), user(3)]
    limit = size(records, [2])

    assert job_files(records, max_bytes=limit) == [[1], [2], [3]]


def test_no_records_make_no_files() -> None:
    assert job_files([]) == []
