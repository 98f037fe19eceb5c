"""An invited organization admin: invited through the portal's login application, accepts
in the sandbox, and is an admin in the portal at once, because login reads their roles in
Auth0 (one call) and keeps the local Member row in step."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from orgs.models import Application, Member, Organization
from orgs.services.invitations import invitation_create
from orgs.services.members import member_remove, member_role_remove
from portal.coordination import coordination_store
from portal.models import User
from sandbox.seed import stable_id, stable_user_id
from tests.orgs.services import settle
from tests.portal.test_login import log_in_through_tenant
from tests.sandbox.login_support import Browser

pytestmark = pytest.mark.django_db

ROLES_ROUTE = "GET /api/v2/organizations/{id}/members/{user_id}/roles"
NEW_ADMIN = "new.admin@acme.test"
PASSWORD = "New-admin-2026!"


@pytest.fixture(autouse=True)
def _no_cached_answers() -> None:
    coordination_store().flushdb()  # answers cached by other tests share primary keys


def _acme() -> Organization:
    return Organization.objects.get(name="acme")


def _demo_app() -> Application:
    return Application.objects.get(client_id="sandbox-demo-app")


def _invite(roles: list[str], email: str = NEW_ADMIN, **kwargs: Any) -> Any:
    return invitation_create(
        actor=kwargs.pop("actor", None),
        organization=_acme(),
        email=email,
        role_names=roles,
        **kwargs,
    )


def _accept_from_the_email(client: Client, tenant: Any, email: str) -> Any:
    """Follow the emailed link into the portal, set a password in the sandbox, and land
    on the portal's callback: the response of the callback."""
    [mail] = tenant.control("GET", "/emails", params={"to": email})
    link = urlsplit(mail["links"][0])
    assert f"{link.scheme}://{link.netloc}" == "http://127.0.0.1:8000"  # the portal
    started = client.get(f"{link.path}?{link.query}")
    assert started.status_code == 302 and started["Location"].startswith(tenant.url)
    browser = Browser(tenant.app)
    page = browser.open(started["Location"])
    assert "Accept invitation" in page.text, page.text[:300]
    page = browser.submit(page, {"password": PASSWORD})
    callback = urlsplit(page.headers["location"])
    assert callback.path == "/auth/callback", page.text[:300]
    tenant.control("DELETE", "/stats")
    return client.get(f"{callback.path}?{callback.query}")


def _role_reads(tenant: Any) -> int:
    return sum(tenant.control("GET", "/stats")["routes"].get(ROLES_ROUTE, {}).values())


def _sandbox_roles(tenant: Any, email: str) -> list[str]:
    org = tenant.app.state.organizations[stable_id("org", "acme")]
    return list(org.members[tenant.app.state.user_by_email(email).user_id].roles)


def test_an_invited_first_admin_lands_in_the_portal_as_admin(
    client: Client, imported_tenant: Any
) -> None:
    invitation = _invite(["org-admin"], application=_demo_app())
    assert invitation.application.client_id == "sandbox-portal-login"
    state = settle(imported_tenant)
    [remote] = state["organizations"][stable_id("org", "acme")]["invitations"].values()
    assert remote["client_id"] == "sandbox-portal-login"
    assert not Member.objects.filter(email=NEW_ADMIN).exists()  # unknown until login

    response = _accept_from_the_email(client, imported_tenant, NEW_ADMIN)

    assert response.status_code == 302 and response["Location"] == "/"
    assert _role_reads(imported_tenant) == 1  # one Management API call at login
    invitation.refresh_from_db()
    assert invitation.get_status_display() == "Accepted"
    member = Member.objects.get(organization=_acme(), email=NEW_ADMIN)
    assert member.role_names() == ["org-admin"] and member.user_id.startswith("auth0|")
    assert not User.objects.get(email=NEW_ADMIN).is_staff
    mine = client.get("/orgs/mine/")  # the per-request re-check passes: same rows
    assert mine.status_code == 302
    assert client.get(mine["Location"]).status_code == 200
    assert client.get(mine["Location"]).status_code == 200  # and from its cached answer


def test_the_invitation_email_reads_as_a_sentence(imported_tenant: Any) -> None:
    _invite(["org-admin"])
    staff = User.objects.create(sub="auth0|ada", email="ada@portal.test", name="Ada Lovelace")
    _invite(["org-member"], email="member.two@acme.test", actor=staff)
    emails = {m["to"]: m for m in settle(imported_tenant)["emails"]}

    assert "An administrator has invited you to join Acme Corp" in emails[NEW_ADMIN]["text"]
    assert "An administrator has invited you" in html.unescape(emails[NEW_ADMIN]["html"])
    assert (
        "Ada Lovelace has invited you to join Acme Corp" in emails["member.two@acme.test"]["text"]
    )
    assert "administrators has" not in str(emails)


def test_other_invitations_use_the_chosen_or_the_default_application(
    imported_tenant: Any,
) -> None:
    chosen = _invite(["org-member"], email="one@acme.test", application=_demo_app())
    default = _invite(["org-member"], email="two@acme.test")
    assert chosen.application == _demo_app() and default.application == _demo_app()
    state = settle(imported_tenant)
    invitations = state["organizations"][stable_id("org", "acme")]["invitations"].values()
    assert {i["client_id"] for i in invitations} == {"sandbox-demo-app"}
    assert all("/__sandbox__/demo-app/login?" in i["invitation_url"] for i in invitations)


def test_without_a_usable_portal_login_application_admins_get_the_chosen_one(
    imported_tenant: Any,
) -> None:
    Application.objects.filter(is_portal_login=True).update(initiate_login_uri="")
    assert _invite(["org-admin"], application=_demo_app()).application == _demo_app()


def test_roles_changed_in_auth0_are_taken_at_login(client: Client, imported_tenant: Any) -> None:
    admin = Member.objects.get(organization=_acme(), email="admin@acme.test")
    org = imported_tenant.app.state.organizations[stable_id("org", "acme")]
    org.members[stable_user_id("admin@acme.test")].roles = []  # done in Auth0's dashboard

    response = log_in_through_tenant(
        client, imported_tenant, "admin@acme.test", "Acme-demo-2026!", "acme"
    )

    assert response.status_code == 403 and b"not an administrator" in response.content
    assert admin.role_names() == []


def test_a_role_change_not_yet_sent_wins_over_auth0(client: Client, imported_tenant: Any) -> None:
    admin = Member.objects.get(organization=_acme(), email="admin@acme.test")
    member_role_remove(actor=None, member=admin, role_name="org-admin")  # queued, not sent

    response = log_in_through_tenant(
        client, imported_tenant, "admin@acme.test", "Acme-demo-2026!", "acme"
    )

    assert response.status_code == 403  # Auth0 still says admin; the portal's wish stands
    assert admin.role_names() == []
    assert _sandbox_roles(imported_tenant, "admin@acme.test") == [stable_id("rol", "org-admin")]


def test_a_member_being_removed_is_left_alone(client: Client, imported_tenant: Any) -> None:
    admin = Member.objects.get(organization=_acme(), email="admin@acme.test")
    member_remove(actor=None, member=admin)

    response = log_in_through_tenant(
        client, imported_tenant, "admin@acme.test", "Acme-demo-2026!", "acme"
    )

    assert response.status_code == 403
    admin.refresh_from_db()
    assert admin.removing and admin.role_names() == ["org-admin"]


def test_when_auth0_cannot_be_reached_the_local_rows_decide(
    client: Client, imported_tenant: Any
) -> None:
    imported_tenant.add_fault(method="GET", path="/members/.+/roles$", action="status", status=503)

    admitted = log_in_through_tenant(
        client, imported_tenant, "admin@acme.test", "Acme-demo-2026!", "acme"
    )
    assert admitted.status_code == 302  # an imported admin: the local rows say so

    client.logout()
    _invite(["org-admin"])
    settle(imported_tenant)
    refused = _accept_from_the_email(client, imported_tenant, NEW_ADMIN)
    assert refused.status_code == 403  # unknown locally, and Auth0 could not say
    assert not Member.objects.filter(email=NEW_ADMIN).exists()
