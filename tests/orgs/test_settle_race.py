"""Settling an operation never marks in sync a row it did not read: a URL committed while
an operation settles stays pending for the operation that carries it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from orgs.models import ApplicationURL, OpState, SyncOperation, SyncState
from orgs.models.applications import UrlKind
from orgs.services.applications import application_url_add
from orgs.sync.targets import mark_settled
from tests.factories import ApplicationFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_a_url_added_while_an_operation_settles_stays_pending() -> None:
    org, app = OrganizationFactory(), ApplicationFactory()

    def add(url: str) -> None:
        application_url_add(
            actor=None, organization=org, application=app, kind=UrlKind.CALLBACK, url=url
        )

    add("https://first.example.com/callback")
    settling = SyncOperation.objects.get(kind="application_urls.sync")
    settling.state = OpState.SUCCEEDED
    settling.save()
    added: list[bool] = []

    def add_right_after_the_question(execute: Any, sql: str, *args: Any) -> Any:
        result = execute(sql, *args)
        # Right after "is another operation open on this target?" has been answered, a
        # second URL and the operation carrying it arrive (committed, as far as the next
        # statement can tell).
        if not added and "orgs_syncoperation" in sql and "LIMIT 1" in sql:
            added.append(True)
            add("https://second.example.com/callback")
        return result

    with connection.execute_wrapper(add_right_after_the_question):
        mark_settled(settling)

    assert added
    states = dict(ApplicationURL.objects.values_list("url", "sync_state"))
    assert states["https://first.example.com/callback"] == SyncState.IN_SYNC
    assert states["https://second.example.com/callback"] == SyncState.PENDING
    assert SyncOperation.objects.filter(state=OpState.QUEUED).count() == 1
