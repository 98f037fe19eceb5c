"""Live operation tables: an organization's activity timeline and the staff operations
queue share one partial (templates/elements/operations_table.html) and this context.

Live status is htmx polling of the partial's own URL while anything in it is still open;
the server drops the trigger when all is settled, so a finished page stops asking."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orgs.models import OPEN_STATES, SyncOperation
from orgs.sync.describe import describe_operations, readable_error

POLL_EVERY = "2s"


def timeline_context(
    operations: Iterable[SyncOperation], *, live_url: str, show_organization: bool = False
) -> dict[str, Any]:
    ops = list(operations)
    words = describe_operations(ops)
    rows = [{"op": op, "words": words[op.pk], "reason": readable_error(op)} for op in ops]
    open_count = sum(op.state in OPEN_STATES for op in ops)
    return {
        "operation_rows": rows,
        # "Sent with #N" links to that row only when it is on the page.
        "shown_operation_ids": {op.pk for op in ops},
        "open_count": open_count,
        "failed_count": sum(op.state == "failed" for op in ops),
        "live_url": live_url,
        "poll_every": POLL_EVERY if open_count else "",
        "show_organization": show_organization,
    }
