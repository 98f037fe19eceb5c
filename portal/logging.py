"""Keep secrets out of every log line, in web processes and Celery workers alike."""

from __future__ import annotations

import logging
import logging.config
import re

_SECRET_PATTERNS = [
    re.compile(
        r"(?i)(client_secret|password|access_token|id_token|refresh_token|secret)"
        r"(['\"]?\s*[:=]\s*['\"]?)([^'\"&\s,}]+)"
    ),
    re.compile(r"(?i)(authorization:\s*bearer\s+)(\S+)"),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9\-_.]{20,})"),
]


def redact(text: str) -> str:
    """`text` with the value of every secret-looking key and bearer token replaced."""
    for pattern in _SECRET_PATTERNS:
        if pattern.groups == 3:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
        else:
            text = pattern.sub(lambda m: f"{m.group(1)}[redacted]", text)
    return text


class RedactingFormatter(logging.Formatter):
    """Redacts the finished line, so the message, the traceback (`formatException`) and
    the stack (`formatStack`) are all covered: a filter sees only the message, and an
    exception's text often carries the very request that failed."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_worker_logging(**_: object) -> None:
    """Receiver for `celery.signals.setup_logging`: apply Django's LOGGING in workers.

    Without a receiver the worker replaces the root handlers with its own, which do not
    redact. With one, Celery leaves logging alone, so its `--loglevel` and `--logfile`
    do not apply: LOG_LEVEL sets the level, as in the web process.
    """
    from django.conf import settings  # at call time: settings may not be loaded at import

    logging.config.dictConfig(settings.LOGGING)
