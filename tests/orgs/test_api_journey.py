"""A customer's script, end to end: an admin makes a key in the portal, and their HR
system offboards a leaver with it (block, sign out everywhere, remove), the engine runs
the changes against the sandbox tenant, and the script follows them to the end."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from orgs.models import AuditEvent, Organization
from sandbox.seed import DEMO_CREDENTIALS, stable_id, stable_user_id
from tests.conftest import log_in
from tests.factories import UserFactory
from tests.orgs.engine import drain
from tests.orgs.test_user_deprovisioning import sessions_of
from tests.sandbox.login_support import login

pytestmark = pytest.mark.django_db

ADMIN, LEAVER = "admin@acme.test", "member@acme.test"
LEAVER_ID = stable_user_id(LEAVER)
KEY = re.compile(r"oap_\d+_[A-Za-z0-9_-]+")


@pytest.fixture
def acme(imported_tenant: Any) -> Organization:
    return Organization.objects.get(name="acme")


def key_made_in_the_portal(acme: Organization) -> str:
    admin = Client()
    log_in(admin, UserFactory(sub=stable_user_id(ADMIN), email=ADMIN), acme)
    response = admin.post(
        f"/orgs/{acme.pk}/api-keys/",
        {"name": "HR system", "scopes": ["members:read", "members:write"], "days": "30"},
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    [key] = set(KEY.findall(response.content.decode()))
    assert key not in admin.get(f"/orgs/{acme.pk}/api-keys/").content.decode()  # once
    return key


def test_a_key_made_in_the_portal_offboards_a_member_through_the_api(
    acme: Organization, imported_tenant: Any
) -> None:
    login(imported_tenant.app, LEAVER, DEMO_CREDENTIALS[LEAVER])
    assert sessions_of(imported_tenant, LEAVER_ID)
    script = Client(headers={"Authorization": f"Bearer {key_made_in_the_portal(acme)}"})

    [leaver] = script.get("/api/v1/members", {"q": LEAVER}).json()["items"]
    assert leaver["user_id"] == LEAVER_ID
    operations = [
        script.post(f"/api/v1/members/{LEAVER}/block").json()["operation"]["id"],
        script.post(f"/api/v1/members/{LEAVER}/sign-out").json()["operation"]["id"],
        script.delete(f"/api/v1/members/{LEAVER}").json()["operation"]["id"],
    ]
    assert drain() == ["succeeded"] * 3

    states = [script.get(f"/api/v1/operations/{op}").json()["state"] for op in operations]
    assert states == ["succeeded"] * 3
    state = imported_tenant.app.state
    assert state.users[LEAVER_ID].blocked
    assert sessions_of(imported_tenant, LEAVER_ID) == []
    assert LEAVER_ID not in state.organizations[stable_id("org", "acme")].members
    trail = AuditEvent.objects.filter(organization=acme, action__startswith="api.")
    assert set(trail.values_list("action", flat=True)) >= {"api.block", "api.remove"}


def test_an_invitation_through_the_api_is_sent_by_auth0(
    acme: Organization, imported_tenant: Any
) -> None:
    script = Client(headers={"Authorization": f"Bearer {key_made_in_the_portal(acme)}"})
    response = script.post(
        "/api/v1/invitations",
        {"email": "new.hire@acme.test", "roles": ["org-member"]},
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    assert response.json()["operation"]["kind"] == "invitation.send"
    assert drain() == ["succeeded"]
    invitations = imported_tenant.app.state.organizations[stable_id("org", "acme")].invitations
    assert any(i.invitee_email == "new.hire@acme.test" for i in invitations.values())
