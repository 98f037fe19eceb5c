"""Rows split into Auth0 import-job files, each a JSON array under Auth0's size limit.

Auth0 takes at most 500 KB per users file; we stay at MAX_JOB_FILE_BYTES so a file is never
refused for a few bytes. The grouping and the bytes sent use one serialization
(`job_file`), so a group's measured size is exactly what goes over the wire.
"""

from __future__ import annotations

import json
from typing import Any

MAX_JOB_FILE_BYTES = 480_000  # under Auth0's 500 KB with room to spare
_SEPARATORS = (",", ":")


def _serialized(value: Any) -> bytes:
    # ensure_ascii (the default) keeps every character one byte: length is size.
    return json.dumps(value, separators=_SEPARATORS).encode()


def job_file(records: list[dict[str, Any]]) -> bytes:
    """The users file of one import job, as sent."""
    return _serialized(records)


def job_files(
    records: list[tuple[int, dict[str, Any]]], max_bytes: int = MAX_JOB_FILE_BYTES
) -> list[list[int]]:
    """Row numbers grouped in order, each group's `job_file` at most `max_bytes`.

    ValueError when one record alone cannot fit in a file.
    """
    groups: list[list[int]] = []
    current: list[int] = []
    size = 2  # "[" and "]"
    for number, record in records:
        record_size = len(_serialized(record))
        if record_size + 2 > max_bytes:
            raise ValueError(
                f"Row {number} alone is {record_size:,} bytes, more than a job file's "
                f"{max_bytes:,}."
            )
        added = record_size + (1 if current else 0)  # the comma before it
        if current and size + added > max_bytes:
            groups.append(current)
            current, size, added = [], 2, record_size
        current.append(number)
        size += added
    if current:
        groups.append(current)
    return groups
