"""Helpers for the monitoring tests: the live sandbox tenant set up as production needs it
(a custom email provider, an active log stream), changed through its Management API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from orgs.auth0 import tokens


def mgmt(tenant: Any, method: str, path: str, **kwargs: Any) -> Any:
    """One Management API call with the portal's own token (the sandbox grants it every
    scope its routes declare, the writes tests need included)."""
    headers = {"Authorization": f"Bearer {tokens.management_token()}"}
    response = httpx.request(
        method, f"{tenant.url}/api/v2{path}", headers=headers, timeout=10, **kwargs
    )
    response.raise_for_status()
    return response.json() if response.content else None


def configure_email_provider(tenant: Any, **fields: Any) -> None:
    body = {"name": "sendgrid", "credentials": {"api_key": "SG.test"}, **fields}
    mgmt(tenant, "POST", "/emails/provider", json=body)


def add_log_stream(tenant: Any, name: str = "siem") -> str:
    body = {"name": name, "type": "http", "sink": {"httpEndpoint": "https://siem.example.com"}}
    stream: dict[str, Any] = mgmt(tenant, "POST", "/log-streams", json=body)
    return str(stream["id"])


@pytest.fixture
def healthy_tenant(tenant: Any, db: None) -> Any:
    """The demo tenant with what the checks want: an email provider and an active stream
    (the demo seed already has the staff organization, both roles and every scope)."""
    configure_email_provider(tenant)
    add_log_stream(tenant)
    return tenant


@pytest.fixture
def alert_channels(settings: Any) -> Any:
    settings.STAFF_ALERT_EMAILS = ["oncall@portal.test"]
    settings.ALERT_WEBHOOK_URL = ""
    return settings
