"""The tenant log (`GET /api/v2/logs` reads it) and the email outbox."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from .state import Email, LogEntry, State, iso, new_id

# Auth0 keeps a bounded window of logs; so do we, so a long-running sandbox stays small.
MAX_LOG_ENTRIES = 10_000
MAX_EMAILS = 2_000

_sequence = itertools.count(1)


class LogWriter:
    def __init__(self, state: State, clock: Callable[[], float]) -> None:
        self.state = state
        self.clock = clock

    def write(self, type_: str, description: str = "", **fields: Any) -> LogEntry:
        """Append an entry. Unknown keyword fields go to `details`.

        Log ids sort in write order (millisecond time, then a sequence number), which
        is what `/logs?from=<log_id>&take=n` checkpoint paging relies on.
        """
        now = self.clock()
        known = set(LogEntry.__dataclass_fields__) - {"log_id", "date", "type", "description"}
        details = dict(fields.pop("details", None) or {})
        kwargs = {}
        for key, value in fields.items():
            if key in known:
                kwargs[key] = value
            else:
                details[key] = value
        log_id = f"900{int(now * 1000):015d}{next(_sequence) % 10**8:08d}"
        entry = LogEntry(
            log_id=log_id,
            date=iso(now),
            type=type_,
            description=description,
            details=details,
            **kwargs,
        )
        with self.state.lock:
            self.state.logs.append(entry)
            if len(self.state.logs) > MAX_LOG_ENTRIES:
                del self.state.logs[: len(self.state.logs) - MAX_LOG_ENTRIES]
        return entry


class Outbox:
    """Every email the tenant "sends" lands here (listed at /__sandbox__/emails)."""

    def __init__(self, state: State, clock: Callable[[], float]) -> None:
        self.state = state
        self.clock = clock

    def send(
        self, to: str, subject: str, text: str, html: str, kind: str = "", **meta: Any
    ) -> Email:
        email = Email(
            id=new_id("email"),
            to=to,
            subject=subject,
            text=text,
            html=html,
            created_at=iso(self.clock()),
            kind=kind,
            meta=meta,
        )
        with self.state.lock:
            self.state.emails.append(email)
            if len(self.state.emails) > MAX_EMAILS:
                del self.state.emails[: len(self.state.emails) - MAX_EMAILS]
        return email
