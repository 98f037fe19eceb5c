"""JSON log lines (LOG_FORMAT=json) with the request, task and operation they belong to,
and no secret in them: in the web process and in a real Celery worker."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from orgs.models import OpState, Organization, OrganizationConnection, SyncOperation
from portal import log_context
from portal.celery import app as celery_app
from portal.logging import RedactingFormatter, RedactingJsonFormatter
from tests.conftest import log_in
from tests.factories import UserFactory
from tests.tenant import FAST_LIMITS

ROOT = Path(__file__).resolve().parents[2]
# What a careless line could carry: a client secret, a bearer token, a Fernet token.
CLIENT_SECRET = "cs-Zq8yLwT3vKp1"
BEARER = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJsb2ctdGVzdCJ9.c2lnbmF0dXJlLWJ5dGVz"
FERNET_TOKEN = "gAAAAABnXyZ" + "Qm9vb2tzLWFuZC1zZWNyZXRzLWZvci10aGUtbG9nLXRlc3Q" * 2 + "=="
SECRETS = (CLIENT_SECRET, BEARER, FERNET_TOKEN)


def _log_secrets(log: logging.Logger) -> None:
    """One line with secrets in the message, in `extra=` fields and in an exception."""
    log.warning(
        "token exchange with client_secret=%s and Authorization: Bearer %s",
        CLIENT_SECRET,
        BEARER,
        extra={"client_secret": CLIENT_SECRET, "stored": FERNET_TOKEN, "attempt": 2},
    )
    try:
        raise RuntimeError(f"refused {{'client_secret': '{CLIENT_SECRET}'}} for {FERNET_TOKEN}")
    except RuntimeError:
        log.exception("could not decrypt %s", FERNET_TOKEN)


def logging_view(request: HttpRequest) -> HttpResponse:
    _log_secrets(logging.getLogger("orgs.test_structured_logs"))
    return HttpResponse("logged")


urlpatterns = [path("log-something/", logging_view)]


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """The root `console` handler (configured from settings.LOGGING), writing JSON here."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous_stream, previous_formatter = handler.setStream(stream), handler.formatter
    handler.setFormatter(
        RedactingJsonFormatter(fmt=django_settings.LOGGING["formatters"]["json"]["fmt"])
    )
    try:
        yield stream
    finally:
        handler.setStream(previous_stream)
        handler.setFormatter(previous_formatter)


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, text
    assert "[redacted]" in text


# --- the web process -------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_a_request_s_json_lines_carry_its_id_and_no_secret(
    client: Client, console: io.StringIO
) -> None:
    response = client.get("/log-something/", headers={"X-Request-ID": "lb-7f3a9c"})

    assert response.status_code == 200
    assert response["X-Request-ID"] == "lb-7f3a9c"
    output = console.getvalue()
    lines = _json_lines(output)
    assert len(lines) == 2, output
    warning, error = lines
    assert warning["level"] == "WARNING" and warning["logger"] == "orgs.test_structured_logs"
    assert {line["request_id"] for line in lines} == {"lb-7f3a9c"}
    assert warning["message"].startswith("token exchange with client_secret=[redacted]")
    assert warning["client_secret"] == "[redacted]" and warning["stored"] == "[redacted]"
    assert warning["attempt"] == 2 and "time" in warning
    assert "Traceback (most recent call last)" in error["exc_info"]
    _assert_no_secret(output)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    "incoming", ["", "x" * 129, "id with spaces", 'quote"d', "line\nbreak", "-starts-with-dash"]
)
def test_an_unsafe_or_missing_request_id_is_replaced_by_a_new_one(
    client: Client, console: io.StringIO, incoming: str
) -> None:
    response = client.get("/log-something/", headers={"X-Request-ID": incoming})

    made = response["X-Request-ID"]
    assert made != incoming and len(made) == 32 and made.isalnum()
    assert {line["request_id"] for line in _json_lines(console.getvalue())} == {made}


@pytest.mark.urls(__name__)
def test_each_request_gets_its_own_id_and_none_is_left_behind(client: Client) -> None:
    first, second = client.get("/log-something/"), client.get("/log-something/")

    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert log_context.current() == {}


def test_the_plain_format_shows_the_request_and_operation_ids() -> None:
    record = logging.LogRecord("orgs.x", logging.INFO, __file__, 1, "ran", None, None)
    with log_context.bound(request_id="req-1", operation_id="42", task_id="t-1"):
        log_context.LogContextFilter().filter(record)
    line = RedactingFormatter("%(levelname)s %(name)s%(log_context)s: %(message)s").format(record)
    assert line == "INFO orgs.x [req=req-1 op=42]: ran"


def test_a_task_sent_during_a_request_carries_the_request_id_in_its_headers() -> None:
    headers: dict[str, Any] = {}
    with log_context.bound(request_id="req-9"):
        log_context.add_request_id_header(headers=headers)
    assert headers == {log_context.REQUEST_ID_HEADER: "req-9"}


@pytest.mark.django_db
def test_a_task_s_lines_carry_its_ids_and_the_context_is_restored_after(
    console: io.StringIO,
) -> None:
    from celery.signals import task_prerun

    from orgs.tasks import run_sync_operation

    def log_inside(task: Any = None, **_: Any) -> None:
        logging.getLogger("orgs.sync.probe").info("inside the task")

    task_prerun.connect(log_inside, weak=False)
    try:
        with log_context.bound(request_id="req-eager"):
            result = run_sync_operation.apply(args=(987654,))
            assert log_context.current() == {"request_id": "req-eager"}
    finally:
        task_prerun.disconnect(log_inside)

    assert result.result == "gone"  # not .get(): an in-process worker test may have run here
    (line,) = [x for x in _json_lines(console.getvalue()) if x["logger"] == "orgs.sync.probe"]
    assert line["request_id"] == "req-eager" and line["operation_id"] == "987654"
    assert line["task_name"] == "orgs.tasks.run_sync_operation"
    assert line["task_id"] == result.id


# --- a real worker ---------------------------------------------------------------------------

# Code inside the operation's task that logs carelessly, as any handler might.
PROBE_WORKER = """
import logging
from celery.signals import task_prerun
from portal.celery import app

@task_prerun.connect
def _log_inside_the_task(task=None, **_):
    if task is not None and task.name == "orgs.tasks.run_sync_operation":
        # Imported here: Django is set up by the time a task runs, not at import.
        from tests.portal.test_structured_logs import _log_secrets

        _log_secrets(logging.getLogger("orgs.sync.probe"))
"""


@pytest.fixture
def published_to(redis_url: str) -> Iterator[str]:
    """The portal's Celery app publishing to `redis_url`, where the worker listens."""
    previous = celery_app.conf.broker_url

    def point_at(url: str) -> None:
        celery_app.conf.broker_url = url
        # The app keeps its connection and producer pools; drop them so the next send
        # connects to the new URL (what Celery itself does after a fork).
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    point_at(redis_url)
    try:
        yield redis_url
    finally:
        point_at(previous)


def _worker_env(tenant: Any, broker_url: str, tmp_path: Path, secret_key: str) -> dict[str, str]:
    from tests.orgs.test_workers import _database_url

    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "DATABASE_URL": _database_url(),
        "REDIS_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,
        "AUTH0_DOMAIN": tenant.url,
        "AUTH0_RATE_OVERRIDES": FAST_LIMITS,
        "SECRET_KEY": secret_key,
        "PORTAL_VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
    }


def _wait_until_finished(op_id: int, timeout: float = 60) -> SyncOperation:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        op = SyncOperation.objects.get(pk=op_id)
        if op.state not in (OpState.QUEUED, OpState.RUNNING):
            return op
        time.sleep(0.2)
    raise AssertionError(f"operation {op_id} did not finish: {op.state} {op.last_error}")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_s_lines_for_an_operation_carry_the_request_that_queued_it(
    imported_tenant: Any, published_to: str, settings: Any, tmp_path: Path, client: Client
) -> None:
    settings.COORDINATION_URL = published_to
    (tmp_path / "probe_worker.py").write_text(textwrap.dedent(PROBE_WORKER))
    env = _worker_env(imported_tenant, published_to, tmp_path, settings.SECRET_KEY)
    organization = Organization.objects.filter(
        pk__in=OrganizationConnection.objects.values("organization")
    ).first()
    assert organization is not None
    log_in(client, UserFactory(sub="auth0|log-staff", is_staff=True))
    stderr = (tmp_path / "worker.err").open("w+")
    command = [
        sys.executable, "-m", "celery", "-A", "probe_worker", "worker", "-Q", "auth0,default",
        "--pool", "threads", "--concurrency", "2", "--without-gossip", "--without-mingle",
        "--without-heartbeat", "-n", "structured-logs@%h",
    ]  # fmt: skip
    worker = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr
    )
    try:
        response = client.post(
            f"/orgs/{organization.pk}/suspend/", headers={"X-Request-ID": "suspend-req-1"}
        )
        assert response.status_code == 302
        op = SyncOperation.objects.get(kind="organization_connection.sync")
        finished = _wait_until_finished(op.pk)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    stderr.seek(0)
    output = stderr.read()

    assert finished.state == OpState.SUCCEEDED, (finished.state, finished.last_error, output)
    lines = _json_lines(output)
    assert lines, output  # every line the worker wrote is JSON
    for_the_op = [line for line in lines if line.get("operation_id") == str(op.pk)]
    probe = [line for line in for_the_op if line["logger"] == "orgs.sync.probe"]
    # The warning and the exception, once per run of the task (a run the engine sends
    # again, after a lock or a rate-limit wait, logs them again).
    runs = {line["task_id"] for line in probe}
    assert probe and len(probe) == 2 * len(runs), output
    assert any(line["logger"] == "celery.app.trace" for line in for_the_op), output
    for line in for_the_op:
        assert line["request_id"] == "suspend-req-1", line
        assert line["task_name"] == "orgs.tasks.run_sync_operation" and line["task_id"], line
    assert probe[0]["client_secret"] == "[redacted]"
    assert "Traceback (most recent call last)" in probe[1]["exc_info"]
    _assert_no_secret(output)
