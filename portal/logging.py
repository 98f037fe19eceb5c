"""Keep secrets out of every log line, in web processes and Celery workers alike.

Two formats (settings.LOG_FORMAT): `plain` lines for people, `json` lines (one object a
line) for a log pipeline. Both are redacted: the plain formatter redacts the finished line;
the JSON formatter redacts every value it is about to write (the message, the traceback,
each `extra=` field), and drops the value of any field whose name says it is a secret.
"""

from __future__ import annotations

import logging
import logging.config
import re
from collections.abc import Mapping
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonEncoder, JsonFormatter

REDACTED = "[redacted]"

_SECRET_PATTERNS = [
    re.compile(
        r"(?i)(client_secret|password|access_token|id_token|refresh_token|secret)"
        r"(['\"]?\s*[:=]\s*['\"]?)([^'\"&\s,}]+)"
    ),
    re.compile(r"(?i)(authorization:\s*bearer\s+)(\S+)"),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9\-_.]{20,})"),
    # Whole tokens that need no key to give them away: a Fernet token (version byte 0x80
    # and a timestamp's zero high bytes encode as "gAAAAA") and a JWT (a JSON header,
    # "eyJ", then two more base64url parts): what we store encrypted, and what Auth0 issues.
    re.compile(r"gAAAAA[A-Za-z0-9_\-]{40,}={0,2}"),
    re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"),
]
# A field (an `extra=` key, a dict key) with such a name has its whole value dropped.
_SECRET_FIELD = re.compile(
    r"(?i)(secret|password|passwd|token|authorization|cookie|api[_-]?key|credential)"
)


def redact(text: str) -> str:
    """`text` with the value of every secret-looking key and bearer token replaced."""
    for pattern in _SECRET_PATTERNS:
        if pattern.groups == 3:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        elif pattern.groups == 2:
            text = pattern.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


class RedactingFormatter(logging.Formatter):
    """Redacts the finished line, so the message, the traceback (`formatException`) and
    the stack (`formatStack`) are all covered: a filter sees only the message, and an
    exception's text often carries the very request that failed."""

    def format(self, record: logging.LogRecord) -> str:
        # Records that did not pass LogContextFilter (a handler configured elsewhere).
        record.__dict__.setdefault("log_context", "")
        return redact(super().format(record))


_ENCODER = JsonEncoder()
# LogContextFilter's ready-made label is for plain lines; JSON has the fields themselves.
_JSON_SKIPPED = [*RESERVED_ATTRS, "log_context"]


def redact_value(value: Any, *, field: str = "") -> Any:
    """`value` ready for a JSON line: strings redacted, containers walked, anything else
    turned into the text the encoder would write and redacted as such."""
    if field and _SECRET_FIELD.search(field) and value not in (None, ""):
        return REDACTED
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {str(k): redact_value(v, field=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item) for item in value]
    return redact_value(_ENCODER.default(value))


class RedactingJsonFormatter(JsonFormatter):
    """One JSON object a line (python-json-logger), every value redacted: the message,
    `exc_info` (the traceback), `stack_info` and each `extra=` field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("reserved_attrs", _JSON_SKIPPED)
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: redact_value(value, field=key) for key, value in log_data.items()}


def configure_worker_logging(**_: object) -> None:
    """Receiver for `celery.signals.setup_logging`: apply Django's LOGGING in workers.

    Without a receiver the worker replaces the root handlers with its own, which do not
    redact. With one, Celery leaves logging alone, so its `--loglevel` and `--logfile`
    do not apply: LOG_LEVEL sets the level, as in the web process.
    """
    from django.conf import settings  # at call time: settings may not be loaded at import

    logging.config.dictConfig(settings.LOGGING)
