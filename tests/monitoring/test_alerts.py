"""Alerts without storms: one email when a condition fires, none while it keeps firing,
one "resolved" when it clears, and a new email when it fires again; the webhook gets the
same as JSON, and a failing webhook is logged without its URL."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from orgs.monitoring.alerts import clear_alert, raise_alert, settle_family
from orgs.monitoring.models import AlertState
from portal.devstack import free_port

pytestmark = pytest.mark.django_db

KEY = "operations-failed"


def _fire(summary: str = "3 operations failed for good", **kwargs: Any) -> bool:
    details = {"failed": 3, "newest": [{"id": 7, "change": "organization.create"}]}
    return raise_alert(KEY, summary, details, what_to_do="Retry them.", **kwargs)


def test_firing_twice_sends_one_email(alert_channels: Any) -> None:
    assert _fire() is True
    assert _fire("4 operations failed for good") is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["oncall@portal.test"]
    assert message.subject == "Portal alert: 3 operations failed for good"
    assert "What to do: Retry them." in message.body and "organization.create" in message.body
    state = AlertState.objects.get(key=KEY)
    assert state.firing and state.summary == "4 operations failed for good"  # kept current


def test_clearing_sends_one_resolved(alert_channels: Any) -> None:
    _fire()
    assert clear_alert(KEY) is True
    assert clear_alert(KEY) is False
    assert [m.subject for m in mail.outbox] == [
        "Portal alert: 3 operations failed for good",
        "Resolved: 3 operations failed for good",
    ]
    state = AlertState.objects.get(key=KEY)
    assert not state.firing and state.resolved_at is not None


def test_clearing_what_never_fired_sends_nothing(alert_channels: Any) -> None:
    assert clear_alert("backlog:bulk") is False
    assert mail.outbox == []


def test_firing_again_after_resolved_sends_again(alert_channels: Any) -> None:
    first = timezone.now()
    _fire(now=first)
    clear_alert(KEY, now=first + timedelta(minutes=5))
    assert _fire(now=first + timedelta(minutes=10)) is True
    assert len(mail.outbox) == 3 and mail.outbox[2].subject.startswith("Portal alert:")
    state = AlertState.objects.get(key=KEY)
    assert state.first_fired_at == first + timedelta(minutes=10) and state.resolved_at is None


def test_an_alert_nobody_received_is_tried_again(alert_channels: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.monitoring.test_alerts.RefusingBackend"
    assert _fire() is False
    assert AlertState.objects.get(key=KEY).last_notified_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert _fire() is True
    assert len(mail.outbox) == 1


def test_without_any_channel_it_is_logged_once(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.STAFF_ALERT_EMAILS, settings.ALERT_WEBHOOK_URL = [], ""
    with caplog.at_level(logging.WARNING, logger="orgs.monitoring.alerts"):
        _fire()
        _fire()
    assert len([r for r in caplog.records if "neither STAFF_ALERT_EMAILS" in r.message]) == 1


def test_a_family_clears_the_members_no_longer_firing(alert_channels: Any) -> None:
    now = timezone.now()
    settle_family("backlog:", {"backlog:bulk": ("bulk is behind", {}, "")}, now=now)
    settle_family("backlog:", {"backlog:interactive": ("people wait", {}, "")}, now=now)
    states = dict(AlertState.objects.values_list("key", "firing"))
    assert states == {"backlog:bulk": False, "backlog:interactive": True}
    assert [m.subject for m in mail.outbox] == [
        "Portal alert: bulk is behind",
        "Portal alert: people wait",
        "Resolved: bulk is behind",
    ]


class RefusingBackend:
    """A mail server that refuses every connection."""

    def __init__(self, **kwargs: Any) -> None:
        pass

    def open(self) -> None:
        raise ConnectionRefusedError("refused")

    def close(self) -> None:
        pass

    def send_messages(self, messages: list[Any]) -> int:
        raise AssertionError("never reached")


# --- the webhook -----------------------------------------------------------------------------


class Captured:
    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.status = 200


@pytest.fixture
def webhook(settings: Any) -> Iterator[Captured]:
    """A tiny HTTP server on loopback capturing what is POSTed to it."""
    captured = Captured()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            captured.posts.append(
                {
                    "path": self.path,
                    "content_type": self.headers["Content-Type"],
                    "body": json.loads(self.rfile.read(length)),
                }
            )
            self.send_response(captured.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    port = free_port()
    server = HTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.STAFF_ALERT_EMAILS = []
    settings.ALERT_WEBHOOK_URL = f"http://127.0.0.1:{port}/hooks/s3cr3t-token"
    yield captured
    server.shutdown()
    server.server_close()


def test_the_webhook_gets_firing_and_resolved_as_json(webhook: Captured) -> None:
    _fire()
    _fire()
    clear_alert(KEY)
    assert [p["body"]["status"] for p in webhook.posts] == ["firing", "resolved"]
    first = webhook.posts[0]
    assert first["path"] == "/hooks/s3cr3t-token"
    assert first["content_type"] == "application/json"
    assert first["body"]["key"] == KEY
    assert first["body"]["summary"] == "3 operations failed for good"
    assert first["body"]["details"]["failed"] == 3
    assert first["body"]["what_to_do"] == "Retry them."
    assert first["body"]["first_fired_at"]


def test_a_failing_webhook_is_logged_without_its_url(
    webhook: Captured, caplog: pytest.LogCaptureFixture
) -> None:
    webhook.status = 500
    with caplog.at_level(logging.WARNING, logger="orgs.monitoring.alerts"):
        assert _fire() is False
    assert "alert webhook answered HTTP 500" in caplog.text
    assert "s3cr3t" not in caplog.text


def test_an_unreachable_webhook_is_logged_not_raised(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.STAFF_ALERT_EMAILS = ["oncall@portal.test"]
    settings.ALERT_WEBHOOK_URL = f"http://127.0.0.1:{free_port()}/hooks/s3cr3t-token"
    with caplog.at_level(logging.WARNING, logger="orgs.monitoring.alerts"):
        assert _fire() is True  # the email went out
    assert "alert webhook failed: ConnectError" in caplog.text
    assert "s3cr3t" not in caplog.text
    assert len(mail.outbox) == 1
