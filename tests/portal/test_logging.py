import io
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import portal.logging as portal_logging
from portal.logging import redact

ROOT = Path(__file__).resolve().parents[2]


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


def test_the_formatter_redacts_the_message_and_the_stack() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "token %s", ("access_token=zzz",), None
    )
    record.stack_info = "Stack (most recent call last):\n  call(client_secret='yyy')"
    line = portal_logging.RedactingFormatter().format(record)
    assert "zzz" not in line and "yyy" not in line
    assert line.count("[redacted]") == 2


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the root `console` handler, as configured from settings.LOGGING, writes."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def test_it_redacts_a_secret_in_a_logged_exception_and_its_traceback(
    console: io.StringIO,
) -> None:
    log = logging.getLogger("orgs.test_logging")
    try:
        raise RuntimeError("token exchange refused {'client_secret': 'in-the-traceback'}")
    except RuntimeError:
        log.exception("connect failed with client_secret=in-the-message")

    output = console.getvalue()
    assert "Traceback (most recent call last)" in output  # the traceback was written
    assert "in-the-traceback" not in output and "in-the-message" not in output
    assert output.count("[redacted]") >= 2


# Logs a secret (message and traceback) once the worker is ready, then stops it.
PROBE_WORKER = """
import logging, os, signal
from celery.signals import worker_ready
from portal.celery import app

@worker_ready.connect
def _log_secret_and_stop(**_):
    log = logging.getLogger("orgs.probe")
    try:
        raise RuntimeError("token exchange refused client_secret=TRACEBACK-SECRET")
    except RuntimeError:
        log.exception("connect failed: client_secret=MESSAGE-SECRET")
    log.warning("probe logged")
    os.kill(os.getpid(), signal.SIGTERM)
"""


@pytest.mark.slow
def test_it_redacts_secrets_logged_in_a_real_celery_worker(tmp_path: Path) -> None:
    (tmp_path / "probe_worker.py").write_text(textwrap.dedent(PROBE_WORKER))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_VAR_DIR": str(tmp_path),
        # One process, no server: the in-memory transport is enough for a worker to start.
        "CELERY_BROKER_URL": "memory://",
        "REDIS_URL": "",
        "LOG_LEVEL": "INFO",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "probe_worker", "worker", "--pool", "solo",
        "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    done = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )

    output = done.stdout + done.stderr
    assert "probe logged" in output, output  # the worker started and logged
    assert "Traceback (most recent call last)" in output, output
    assert "MESSAGE-SECRET" not in output and "TRACEBACK-SECRET" not in output, output
    assert output.count("client_secret=[redacted]") >= 2, output
