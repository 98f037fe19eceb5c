"""What every log line says about where it came from: the request, the task, the operation.

A request's id (portal.request_id.RequestIdMiddleware) and, in a worker, the task's id and
name and the SyncOperation it runs live in a context variable; `LogContextFilter` copies
them onto each record, so both formats carry them without any call site passing them.

The request id also travels with the work a request starts: `before_task_publish` puts it
in the message's headers and `task_prerun` reads it back, so the worker's lines for an
operation recorded by a request carry that request's id (and a task sent by that task,
such as a dependent operation, carries it on).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

# The message header that carries the request id from the publisher to the worker.
REQUEST_ID_HEADER = "portal_request_id"
# The task whose first argument is a SyncOperation's id.
RUN_OPERATION_TASK = "orgs.tasks.run_sync_operation"
# In the order the plain format shows them.
FIELDS = ("request_id", "task_id", "task_name", "operation_id")
_PLAIN_LABELS = {"request_id": "req", "operation_id": "op"}

_context: ContextVar[Mapping[str, str] | None] = ContextVar("portal_log_context", default=None)
# task id -> the token to restore at task_postrun (eager tasks run inside a request).
_task_tokens: dict[str, Token[Mapping[str, str] | None]] = {}


def current() -> Mapping[str, str]:
    """The fields of the code running now (empty outside a request or task)."""
    return _context.get() or {}


def bind(**fields: str | None) -> Token[Mapping[str, str] | None]:
    """Add `fields` (None values are left out) to the context; reset with the token."""
    added = {key: value for key, value in fields.items() if value}
    return _context.set({**current(), **added})


def unbind(token: Token[Mapping[str, str] | None]) -> None:
    _context.reset(token)


@contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


class LogContextFilter(logging.Filter):
    """Copies the context's fields onto every record (never over a field the caller set
    with `extra=`), plus `log_context`, a short label for plain lines: " [req=... op=...]"."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = current()
        for key, value in fields.items():
            record.__dict__.setdefault(key, value)
        shown = [
            f"{_PLAIN_LABELS[key]}={fields[key]}"
            for key in FIELDS
            if key in _PLAIN_LABELS and key in fields
        ]
        record.__dict__.setdefault("log_context", f" [{' '.join(shown)}]" if shown else "")
        return True


# --- Celery: the request id rides in the message; the task's fields are bound around it ---


def add_request_id_header(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """`before_task_publish`: the publishing request's (or task's) id into the headers."""
    request_id = current().get("request_id")
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


def bind_task_context(
    task_id: str | None = None, task: Any = None, args: Any = None, **_: Any
) -> None:
    """`task_prerun`: bind the task's id and name, the request id it was sent with, and
    the operation id when it runs one."""
    if task_id is None or task is None:
        return
    request_id = getattr(task.request, REQUEST_ID_HEADER, None) or current().get("request_id")
    operation_id = None
    if task.name == RUN_OPERATION_TASK and args:
        operation_id = str(args[0])
    _task_tokens[task_id] = bind(
        request_id=request_id,
        task_id=task_id,
        task_name=task.name,
        operation_id=operation_id,
    )


def unbind_task_context(task_id: str | None = None, **_: Any) -> None:
    """`task_postrun`: back to what the thread had before (nothing, in a worker)."""
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        # ValueError: bound in another context (never, with Celery's own pools).
        with contextlib.suppress(ValueError):
            unbind(token)


def connect_celery_signals() -> None:
    """Called by portal/celery.py; weak=False as the receivers are module functions."""
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(add_request_id_header, weak=False)
    task_prerun.connect(bind_task_context, weak=False)
    task_postrun.connect(unbind_task_context, weak=False)
