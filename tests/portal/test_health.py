from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from portal.coordination import reset_cached_clients

pytestmark = pytest.mark.django_db


def test_healthz_says_the_process_is_alive(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_503_when_coordination_is_unreachable(client: Client, settings: Any) -> None:
    settings.COORDINATION_URL = "redis://127.0.0.1:1/0"
    reset_cached_clients()
    try:
        response = client.get("/readyz")
    finally:
        reset_cached_clients()
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["coordination"] == {
        "ok": False,
        "error": "ConnectionError",
        "ms": body["checks"]["coordination"]["ms"],
    }


def test_unknown_pages_get_the_friendly_404(client: Client, settings: Any) -> None:
    settings.DEBUG = False
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"We couldn't find that page" in response.content


def test_the_500_page_is_friendly_and_needs_no_context(rf: Any) -> None:
    from django.views.defaults import server_error

    response = server_error(rf.get("/anything"))
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
    assert b"Nothing you changed was lost" in response.content
