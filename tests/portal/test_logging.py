import logging

import pytest

from portal.logging import RedactSecretsFilter, redact


@pytest.mark.parametrize(
    "line",
    [
        "client_secret=abc123def",
        '{"client_secret": "abc123def"}',
        "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.abc.def",
        "password: hunter22",
    ],
)
def test_secrets_never_reach_a_log_line(line: str) -> None:
    cleaned = redact(line)
    assert "abc123def" not in cleaned and "hunter22" not in cleaned
    assert "eyJhbGciOiJSUzI1NiJ9" not in cleaned
    assert "[redacted]" in cleaned


def test_the_filter_rewrites_records() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "token %s", ("access_token=zzz",), None
    )
    RedactSecretsFilter().filter(record)
    assert "zzz" not in record.getMessage()
