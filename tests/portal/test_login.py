"""Logging in to the portal through the tenant (the sandbox): OIDC with PKCE, the ID token
verified against the tenant's keys, staff by the staff organization, customer admins
pinned to their own organization by `org_id`."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from portal.models import User
from tests.sandbox.login_support import Browser

pytestmark = pytest.mark.django_db


def log_in_through_tenant(
    client: Client, tenant: Any, email: str, password: str, organization: str
) -> Any:
    started = client.post("/login/", {"organization": organization})
    assert started.status_code == 302 and started["Location"].startswith(tenant.url)
    browser = Browser(tenant.app)
    page = browser.open(started["Location"])
    page = browser.submit(page, {"username": email, "password": password})
    callback = urlsplit(page.headers["location"])
    assert callback.path == "/auth/callback", page.text[:300]
    return client.get(f"{callback.path}?{callback.query}")


def test_a_staff_member_logs_in_through_the_staff_organization(
    client: Client, imported_tenant: Any
) -> None:
    response = log_in_through_tenant(
        client, imported_tenant, "staff@portal.test", "Staff-demo-2026!", "staff"
    )
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="staff@portal.test")
    assert user.is_staff and user.sub.startswith("auth0|")
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/orgs/"


def test_a_customer_admin_is_pinned_to_their_organization(
    client: Client, imported_tenant: Any
) -> None:
    log_in_through_tenant(client, imported_tenant, "admin@acme.test", "Acme-demo-2026!", "acme")
    user = User.objects.get(email="admin@acme.test")
    assert not user.is_staff
    mine = client.get("/orgs/mine/")
    assert mine.status_code == 302
    assert client.get(mine["Location"]).status_code == 200
    globex_pk = client.session["org_pk"] + 1000  # any other organization
    assert client.get(f"/orgs/{globex_pk}/").status_code == 404
    assert client.get("/orgs/").status_code == 404


def test_a_member_without_the_admin_role_is_refused(client: Client, imported_tenant: Any) -> None:
    response = log_in_through_tenant(
        client, imported_tenant, "member@acme.test", "Acme-member-2026!", "acme"
    )
    assert response.status_code == 403
    assert b"not an administrator" in response.content
    assert "_auth_user_id" not in client.session


def test_someone_outside_the_organization_gets_the_tenants_refusal(
    client: Client, imported_tenant: Any
) -> None:
    started = client.post("/login/", {"organization": "globex"})
    browser = Browser(imported_tenant.app)
    page = browser.submit(
        browser.open(started["Location"]),
        {"username": "admin@acme.test", "password": "Acme-demo-2026!"},
    )
    callback = urlsplit(page.headers["location"])
    assert parse_qs(callback.query)["error"] == ["access_denied"]
    response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_a_forged_or_replayed_callback_is_refused(client: Client, imported_tenant: Any) -> None:
    response = client.get("/auth/callback?code=abc&state=not-ours")
    assert response.status_code == 400
    assert b"expired" in response.content


def test_logging_out_ends_the_tenant_session_too(client: Client, imported_tenant: Any) -> None:
    log_in_through_tenant(client, imported_tenant, "staff@portal.test", "Staff-demo-2026!", "staff")
    response = client.post("/logout/")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/v2/logout"
    assert parse_qs(target.query)["returnTo"] == ["http://127.0.0.1:8000/"]
    assert "_auth_user_id" not in client.session
