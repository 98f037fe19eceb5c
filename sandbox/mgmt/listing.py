"""Field selection and insertion-ordered checkpoint paging for the routes in this package.

`sandbox.paging` (the core's) covers offset paging and id-ordered checkpoint paging;
this adds `fields`/`include_fields` and a checkpoint walk that keeps a list's own order
(a connection's enabled clients are listed in the order they were enabled).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from sandbox.routing import Call
from sandbox.state import JSON

from .schema_check import query_error

T = TypeVar("T")


def select_fields(obj: JSON, call: Call) -> JSON:
    """Apply `fields` / `include_fields` (comma separated, include by default)."""
    raw = call.args.get("fields")
    if not raw:
        return obj
    wanted = {f.strip() for f in raw.split(",") if f.strip()}
    include = call.query_bool("include_fields", True)
    if include:
        return {k: v for k, v in obj.items() if k in wanted}
    return {k: v for k, v in obj.items() if k not in wanted}


def encode_cursor(key: str, position: int) -> str:
    raw = json.dumps({"k": key, "p": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return str(data["k"]), int(data["p"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise query_error("Invalid value for from", "from") from None


def checkpoint(
    items: Sequence[T], key: Callable[[T], str], cursor: str | None, take: int
) -> tuple[list[T], str | None]:
    """One checkpoint page and the `next` cursor (None on the last page).

    The cursor names the first item of the next page and its position, so a page is
    stable when items before it are removed between calls (the item is found by key;
    its old position is only the fallback when it was itself removed).
    """
    start = 0
    if cursor:
        wanted, position = decode_cursor(cursor)
        keys = [key(item) for item in items]
        start = keys.index(wanted) if wanted in keys else min(position, len(items))
    page = list(items[start : start + take])
    after = start + take
    if after < len(items):
        return page, encode_cursor(key(items[after]), after)
    return page, None
