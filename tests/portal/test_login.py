"""Logging in to the portal through the tenant (the sandbox): OIDC with PKCE, the ID token
verified against the tenant's keys, staff by the staff organization, customer admins
pinned to their own organization by `org_id`."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from portal.login import GENERIC_REFUSAL, explain_refusal
from portal.models import User
from sandbox.seed import stable_id
from tests.sandbox.login_support import Browser, Form, parse

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


# --- the tenant's refusals, in plain words ------------------------------------------------


def _refused_by_tenant(client: Client, tenant: Any, organization: str, **credentials: str) -> Any:
    """Start a login for `organization`, let the tenant refuse it, land on the callback."""
    started = client.post("/login/", {"organization": organization})
    browser = Browser(tenant.app)
    page = browser.open(started["Location"])
    if credentials:
        page = browser.submit(page, credentials)
    callback = urlsplit(page.headers["location"])
    assert "error" in parse_qs(callback.query), page.text[:300]
    return client.get(f"{callback.path}?{callback.query}")


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _forms(response: Any) -> list[Form]:
    return parse(response.content.decode()).forms


def test_an_unknown_organization_is_named_with_what_to_do(
    client: Client, imported_tenant: Any
) -> None:
    response = _refused_by_tenant(client, imported_tenant, "acmee")
    assert response.status_code == 400
    page = _text(response)
    assert "No organization is called 'acmee': check the short name" in page
    assert "parameter organization is invalid" not in page
    assert 'value="acmee"' in page  # the field keeps what was typed, to correct it
    assert "Sign in as someone else" not in page


def test_a_non_member_is_told_and_offered_another_account(
    client: Client, imported_tenant: Any
) -> None:
    response = _refused_by_tenant(
        client, imported_tenant, "globex", username="admin@acme.test", password="Acme-demo-2026!"
    )
    page = _text(response)
    assert "Your account is not a member of Globex Inc: sign in with another account" in page
    assert "is not part of" not in page and "auth0|" not in page
    [again] = [f for f in _forms(response) if f.fields.get("prompt") == "login"]
    assert again.fields["organization"] == "globex" and "Sign in as someone else" in page
    restarted = client.post(again.action, again.fields)
    authorize = parse_qs(urlsplit(restarted["Location"]).query)
    assert authorize["prompt"] == ["login"] and authorize["organization"] == ["globex"]


@pytest.mark.parametrize(
    ("error", "description"),
    [
        ("server_error", "Something broke in rule 'x' at line 3"),
        ("invalid_request", "parameter organization is required for this client"),
        ("access_denied", "<script>alert(1)</script>"),
    ],
)
def test_other_refusals_never_show_the_tenants_words(
    client: Client, imported_tenant: Any, error: str, description: str
) -> None:
    response = client.get("/auth/callback", {"error": error, "error_description": description})
    assert response.status_code == 400
    page = _text(response)
    assert description not in page and "<script>alert" not in response.content.decode()
    assert "Sign-in" in page


def test_the_error_page_keeps_the_staff_sign_in(client: Client, imported_tenant: Any) -> None:
    for response in (
        client.get("/auth/callback?code=abc&state=not-ours"),
        _refused_by_tenant(client, imported_tenant, "nosuch"),
    ):
        [staff] = [f for f in _forms(response) if "Staff sign-in" in f.buttons]
        assert staff.fields["organization"] == "staff"


@pytest.mark.parametrize(
    ("error", "description", "message", "retry"),
    [
        (
            "invalid_request",
            "parameter organization is invalid: x<y",
            "No organization is called 'x<y': check the short name",
            None,
        ),
        (
            "access_denied",
            f"user auth0|abc is not part of the {stable_id('org', 'globex')} organization",
            "Your account is not a member of Globex Inc: sign in with another account",
            "globex",
        ),
        (
            "access_denied",
            "user auth0|abc is not part of the org_unknown organization",
            "Your account is not a member of acme: sign in with another account",
            "acme",
        ),
        ("unauthorized", "user is blocked", "Your account is blocked.", None),
        ("invalid_request", "the invitation has expired", "This invitation has expired", None),
        ("access_denied", "anything else", "Sign-in was refused for this account.", "acme"),
        ("temporarily_unavailable", "try later", GENERIC_REFUSAL, None),
    ],
)
def test_explain_refusal(
    imported_tenant: Any, error: str, description: str, message: str, retry: str | None
) -> None:
    refusal = explain_refusal(error, description, requested="acme")
    assert refusal.message.startswith(message)
    assert refusal.retry_organization == retry
