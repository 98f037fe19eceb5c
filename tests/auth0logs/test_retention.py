"""Retention (AUTH0_LOG_RETENTION_DAYS): entries older than it are deleted by the archive
job, in batches; 0 keeps everything."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from orgs.auth0logs.archive import archive_logs, delete_expired
from orgs.auth0logs.models import Auth0LogEntry

pytestmark = pytest.mark.django_db


def aged(log_id: str, days: float) -> None:
    Auth0LogEntry.objects.create(
        log_id=log_id, type="fp", date=timezone.now() - timedelta(days=days), raw={}
    )


def test_entries_older_than_the_retention_are_deleted_in_batches(settings: Any) -> None:
    settings.AUTH0_LOG_RETENTION_DAYS = 30
    for n in range(7):
        aged(f"old-{n}", 31 + n)
    aged("recent", 29)

    assert delete_expired(batch_size=3) == 7
    assert list(Auth0LogEntry.objects.values_list("log_id", flat=True)) == ["recent"]


def test_zero_keeps_everything(settings: Any) -> None:
    settings.AUTH0_LOG_RETENTION_DAYS = 0
    aged("ancient", 3650)

    assert delete_expired() == 0
    assert Auth0LogEntry.objects.count() == 1


def test_the_archive_job_applies_the_retention(tenant_logs: Any, settings: Any) -> None:
    settings.AUTH0_LOG_RETENTION_DAYS = 90
    aged("old", 91)

    run = archive_logs()

    assert run.deleted == 1
    assert not Auth0LogEntry.objects.filter(log_id="old").exists()
    assert Auth0LogEntry.objects.exists()  # what the tenant holds today was stored
