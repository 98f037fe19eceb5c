"""An organization provisioned end to end: services record operations, the runner pushes
them through the real SDK to the sandbox tenant."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.models import Application, Invitation, OrgStatus, SyncState
from orgs.models.applications import UrlKind
from orgs.services.applications import application_url_add
from orgs.services.organizations import organization_create
from tests.orgs.engine import drain

pytestmark = pytest.mark.django_db


def _sandbox_org(state: dict[str, Any], name: str) -> dict[str, Any]:
    return next(org for org in state["organizations"].values() if org["name"] == name)


def test_it_provisions_an_organization_with_admin_and_callback(imported_tenant: Any) -> None:
    app = Application.objects.get(client_id="sandbox-demo-app")
    org = organization_create(
        actor=None,
        name="initech",
        display_name="Initech",
        first_admin_email="boss@initech.test",
        application=app,
    )
    application_url_add(
        actor=None,
        organization=org,
        application=app,
        kind=UrlKind.CALLBACK,
        url="https://initech.example.com/callback",
    )

    outcomes = drain()

    assert set(outcomes) == {"succeeded"}, outcomes
    org.refresh_from_db()
    assert org.status == OrgStatus.ACTIVE and org.sync_state == SyncState.IN_SYNC
    state = imported_tenant.state()
    remote = _sandbox_org(state, "initech")
    assert remote["metadata"]["portal_id"] == str(org.portal_id)
    assert len(remote["connections"]) == 1
    invitation = Invitation.objects.get(organization=org)
    assert invitation.status == "sent" and invitation.auth0_id
    assert (
        "https://initech.example.com/callback" in state["clients"]["sandbox-demo-app"]["callbacks"]
    )
