"""Auth0's two paging styles, shared by every list route.

Offset paging (`page`, `per_page`, `include_totals`) reaches the first 1,000 records
only; checkpoint paging (`from`, `take`) walks everything and answers `{<key>, next}`.
Checkpoint order is by id, and `next` is the (opaque, base64url) id of the next record,
so deleting records between pages never skips or repeats the others.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .errors import SandboxError, invalid_query
from .routing import Call

T = TypeVar("T")
OFFSET_CAP = 1000


def wants_checkpoint(call: Call) -> bool:
    return "from" in call.args or "take" in call.args


def offset_page(
    call: Call,
    items: Sequence[T],
    key: str,
    render: Callable[[T], Any],
    *,
    default_per_page: int = 50,
    max_page: int | None = None,
    with_total: bool = True,
) -> Any:
    """A bare array, or `{key, start, limit, total}` with include_totals=true."""
    page = call.query_int("page", 0, minimum=0, maximum=max_page) or 0
    per_page = call.query_int("per_page", default_per_page, minimum=1, maximum=100)
    assert per_page is not None
    include_totals = call.query_bool("include_totals")
    start = page * per_page
    if start >= OFFSET_CAP and start < len(items):
        raise SandboxError(
            400, "Requesting page exceeds the allowed maximum of 1000 records", "invalid_paging"
        )
    end = min(start + per_page, OFFSET_CAP)
    window = [render(item) for item in items[start:end]] if start < end else []
    if not include_totals:
        return window
    body: dict[str, Any] = {key: window, "start": start, "limit": per_page}
    if with_total:
        body["total"] = len(items)
    return body


def checkpoint_page(
    call: Call,
    items: Sequence[T],
    key: str,
    render: Callable[[T], Any],
    id_of: Callable[[T], str],
    *,
    default_take: int = 50,
) -> dict[str, Any]:
    take = call.query_int("take", default_take, minimum=1, maximum=100)
    assert take is not None
    ordered = sorted(items, key=id_of)
    cursor = call.args.get("from")
    if cursor:
        start_id = decode_cursor(cursor)
        ordered = [item for item in ordered if id_of(item) >= start_id]
    window = ordered[:take]
    body: dict[str, Any] = {key: [render(item) for item in window]}
    if len(ordered) > take:
        body["next"] = encode_cursor(id_of(ordered[take]))
    return body


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_query(
            "Query validation error: 'Invalid from parameter' on property from."
        ) from None
