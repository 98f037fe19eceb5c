"""A logging filter that keeps secrets out of every log line."""

from __future__ import annotations

import logging
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
    for pattern in _SECRET_PATTERNS:
        if pattern.groups == 3:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
        else:
            text = pattern.sub(lambda m: f"{m.group(1)}[redacted]", text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
