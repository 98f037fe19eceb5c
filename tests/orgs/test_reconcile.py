"""Reconcile: somebody changes the tenant behind the portal's back (the Auth0 dashboard,
a script). `reconcile()` finds it and marks the rows drifted with a readable diff;
`reconcile(fix=True)` queues the operations that put it back, and they do."""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orgs.auth0.client import auth0_call, management_client
from orgs.models import (
    Application,
    ApplicationURL,
    Connection,
    ConnectionApplication,
    MembershipModel,
    Organization,
    OrganizationConnection,
    SyncOperation,
    SyncState,
)
from orgs.models.applications import UrlKind
from orgs.reconcile import reconcile
from orgs.services.applications import application_url_add
from orgs.services.organizations import organization_create
from tests.orgs.engine import drain

pytestmark = pytest.mark.django_db

CALLBACK = "https://initech.example.com/callback"
DEMO_APP = "sandbox-demo-app"


@dataclass
class Provisioned:
    tenant: Any
    initech: Organization  # on the shared database, with a callback URL on the demo app
    umbrella: Organization  # with its own database connection


@pytest.fixture
def provisioned(imported_tenant: Any) -> Provisioned:
    return provision(imported_tenant)


def provision(imported_tenant: Any) -> Provisioned:
    """Two organizations made through the portal and synced (shared by the task tests)."""
    app = Application.objects.get(client_id=DEMO_APP)
    initech = organization_create(actor=None, name="initech", display_name="Initech")
    application_url_add(
        actor=None, organization=initech, application=app, kind=UrlKind.CALLBACK, url=CALLBACK
    )
    umbrella = organization_create(
        actor=None,
        name="umbrella",
        display_name="Umbrella",
        membership_model=MembershipModel.OWN_DATABASE,
    )
    assert set(drain()) == {"succeeded"}
    initech.refresh_from_db()
    umbrella.refresh_from_db()
    return Provisioned(imported_tenant, initech, umbrella)


def _repair() -> None:
    """Queue the repairs and run them; afterwards reconcile must find nothing."""
    report = reconcile(fix=True)
    assert report.fixed == len(report.drifts) > 0
    assert set(drain()) == {"succeeded"}
    after = reconcile()
    assert after.drifts == [], after.summary()


def _shared_link(org: Organization) -> OrganizationConnection:
    return OrganizationConnection.objects.select_related("connection").get(organization=org)


def test_a_clean_tenant_reports_no_drift(provisioned: Provisioned) -> None:
    report = reconcile()

    assert report.drifts == [] and report.fixed == 0
    assert report.checked >= 3  # the imported organizations, ours and umbrella's connection
    assert not Organization.objects.filter(sync_state=SyncState.DRIFTED).exists()
    assert SyncOperation.objects.filter(state="queued").count() == 0


def test_a_display_name_changed_in_auth0_is_found_and_put_back(provisioned: Provisioned) -> None:
    org = provisioned.initech
    with auth0_call():
        management_client().organizations.update(org.auth0_id, display_name="Initrode")

    report = reconcile()

    (drift,) = report.drifts
    assert str(drift) == (
        "Initech: fields differ: {'display_name': {'portal': 'Initech', 'auth0': 'Initrode'}}"
    )
    org.refresh_from_db()
    assert org.sync_state == SyncState.DRIFTED
    assert org.drift == {
        "what": "fields differ",
        "diff": {"display_name": {"portal": "Initech", "auth0": "Initrode"}},
    }
    assert (
        provisioned.tenant.state()["organizations"][org.auth0_id]["display_name"] == "Initrode"
    ), "reconcile without fix must not change Auth0"

    _repair()

    assert provisioned.tenant.state()["organizations"][org.auth0_id]["display_name"] == "Initech"
    org.refresh_from_db()
    assert org.sync_state == SyncState.IN_SYNC and org.drift == {}


def test_a_connection_disabled_in_auth0_is_found_and_enabled_again(
    provisioned: Provisioned,
) -> None:
    org, link = provisioned.initech, _shared_link(provisioned.initech)
    with auth0_call():
        management_client().organizations.enabled_connections.delete(
            org.auth0_id, link.connection.auth0_id
        )

    (drift,) = reconcile().drifts

    assert str(drift) == (
        "Username-Password-Authentication on Initech: not enabled in Auth0: {'enabled': False}"
    )
    link.refresh_from_db()
    assert link.sync_state == SyncState.DRIFTED

    _repair()

    enabled = provisioned.tenant.state()["organizations"][org.auth0_id]["connections"]
    assert list(enabled) == [link.connection.auth0_id]
    link.refresh_from_db()
    assert link.sync_state == SyncState.IN_SYNC and link.drift == {}


def test_a_callback_url_removed_from_the_application_is_found_and_added_back(
    provisioned: Provisioned,
) -> None:
    state = provisioned.tenant.state()
    others = [url for url in state["clients"][DEMO_APP]["callbacks"] if url != CALLBACK]
    with auth0_call():
        management_client().clients.update(DEMO_APP, callbacks=others)

    (drift,) = reconcile().drifts

    assert drift.what == "URLs of initech missing"
    assert drift.diff["missing"] == [f"callbacks: {CALLBACK}"]
    row = ApplicationURL.objects.get(url=CALLBACK)
    assert row.sync_state == SyncState.DRIFTED
    assert row.drift["diff"]["missing"] == [f"callbacks: {CALLBACK}"]

    _repair()

    callbacks = provisioned.tenant.state()["clients"][DEMO_APP]["callbacks"]
    assert callbacks == [*others, CALLBACK]
    row.refresh_from_db()
    assert row.sync_state == SyncState.IN_SYNC and row.drift == {}


def test_an_application_removed_from_a_connection_is_found_and_enabled_again(
    provisioned: Provisioned,
) -> None:
    connection = Connection.objects.get(organization=provisioned.umbrella)
    with auth0_call():
        management_client().connections.clients.update(
            connection.auth0_id, request=[{"client_id": DEMO_APP, "status": False}]
        )

    (drift,) = reconcile().drifts

    assert str(drift) == (
        f"umbrella-users: applications differ: {{'missing': ['{DEMO_APP}'], 'extra': []}}"
    )
    link = ConnectionApplication.objects.get(connection=connection, application__client_id=DEMO_APP)
    assert link.sync_state == SyncState.DRIFTED
    assert link.drift["diff"] == {"missing": [DEMO_APP], "extra": []}

    _repair()

    remote = provisioned.tenant.state()["connections"][connection.auth0_id]
    assert DEMO_APP in remote["enabled_clients"]
    link.refresh_from_db()
    assert link.sync_state == SyncState.IN_SYNC and link.drift == {}
    connection.refresh_from_db()
    assert connection.sync_state == SyncState.IN_SYNC


def test_an_application_enabled_on_a_connection_only_in_auth0_is_found_and_removed(
    provisioned: Provisioned,
) -> None:
    connection = Connection.objects.get(organization=provisioned.umbrella)
    # The portal's login is enabled in Auth0; the portal forgets it wanted that.
    ConnectionApplication.objects.filter(
        connection=connection, application__client_id="sandbox-portal-login"
    ).delete()

    (drift,) = reconcile().drifts

    assert drift.diff == {"missing": [], "extra": ["sandbox-portal-login"]}
    connection.refresh_from_db()
    assert connection.sync_state == SyncState.DRIFTED

    _repair()

    remote = provisioned.tenant.state()["connections"][connection.auth0_id]
    assert remote["enabled_clients"] == [DEMO_APP]
    connection.refresh_from_db()
    assert connection.sync_state == SyncState.IN_SYNC and connection.drift == {}


def test_an_organization_deleted_in_auth0_is_reported_and_left_to_an_operator(
    provisioned: Provisioned,
) -> None:
    org = provisioned.umbrella
    with auth0_call():
        management_client().organizations.delete(org.auth0_id)

    report = reconcile(fix=True)

    assert [str(drift) for drift in report.drifts] == [
        f"Umbrella: missing in Auth0: {{'auth0_id': '{org.auth0_id}'}}"
    ]
    assert report.summary()["drifted"] == 1 and report.fixed == 0
    org.refresh_from_db()
    assert org.sync_state == SyncState.DRIFTED
    # Recreating it would be a new organization without its members: no repair is queued.
    assert not SyncOperation.objects.filter(state="queued").exists()


def test_the_command_prints_drift_and_queues_repairs_only_with_fix(
    provisioned: Provisioned,
) -> None:
    with auth0_call():
        management_client().organizations.update(
            provisioned.initech.auth0_id, display_name="Initrode"
        )
        management_client().organizations.update(
            provisioned.umbrella.auth0_id, display_name="Umbrella Corp"
        )

    out = StringIO()
    call_command("auth0_reconcile", stdout=out)

    lines = out.getvalue().splitlines()
    assert sorted(line for line in lines if line.startswith("DRIFT ")) == [
        "DRIFT Initech: fields differ: "
        "{'display_name': {'portal': 'Initech', 'auth0': 'Initrode'}}",
        "DRIFT Umbrella: fields differ: "
        "{'display_name': {'portal': 'Umbrella', 'auth0': 'Umbrella Corp'}}",
    ]
    assert lines[-1].endswith("; 2 drifted.")
    assert not SyncOperation.objects.filter(state="queued").exists()

    out = StringIO()
    call_command("auth0_reconcile", "--fix", "--org", "umbrella", stdout=out)

    lines = out.getvalue().splitlines()
    assert [line for line in lines if line.startswith("DRIFT ")] == [
        "DRIFT Umbrella: fields differ: "
        "{'display_name': {'portal': 'Umbrella', 'auth0': 'Umbrella Corp'}}"
    ]
    assert lines[-1].endswith("; 1 drifted; 1 repairs queued.")
    (repair,) = SyncOperation.objects.filter(state="queued")
    assert repair.kind == "organization.update" and repair.target_id == provisioned.umbrella.pk
    drain()
    organizations = provisioned.tenant.state()["organizations"]
    assert organizations[provisioned.umbrella.auth0_id]["display_name"] == "Umbrella"
    assert organizations[provisioned.initech.auth0_id]["display_name"] == "Initrode"


def test_the_command_refuses_an_unknown_organization(provisioned: Provisioned) -> None:
    with pytest.raises(CommandError, match="No organization named 'nope'"):
        call_command("auth0_reconcile", "--org", "nope", stdout=StringIO())


def test_an_auth0_outage_fails_the_command_instead_of_reporting_phantom_drift(
    provisioned: Provisioned,
) -> None:
    provisioned.tenant.add_fault(
        action="status", status=503, method="GET", path=r"^/api/v2/connections/[^/]+/clients$"
    )

    with pytest.raises(CommandError, match="Reconcile failed: Auth0 503"):
        call_command("auth0_reconcile", stdout=StringIO())

    assert not Connection.objects.filter(sync_state=SyncState.DRIFTED).exists()


def test_a_rate_limit_part_way_through_the_command_is_waited_out_and_loses_no_finding(
    provisioned: Provisioned,
) -> None:
    initech, umbrella = provisioned.initech, provisioned.umbrella
    with auth0_call():
        management_client().organizations.update(initech.auth0_id, display_name="Initrode")
        management_client().organizations.update(umbrella.auth0_id, display_name="Umbrella Co")
    provisioned.tenant.add_fault(
        action="status",
        status=429,
        method="GET",
        path=rf"^/api/v2/organizations/{umbrella.auth0_id}/enabled_connections",
        times=1,
    )

    out = StringIO()
    call_command("auth0_reconcile", stdout=out)

    drifts = sorted(line for line in out.getvalue().splitlines() if line.startswith("DRIFT "))
    assert drifts == [
        "DRIFT Initech: fields differ: "
        "{'display_name': {'portal': 'Initech', 'auth0': 'Initrode'}}",
        "DRIFT Umbrella: fields differ: "
        "{'display_name': {'portal': 'Umbrella', 'auth0': 'Umbrella Co'}}",
    ], "the refused organization is checked again, and reported once"
    assert provisioned.tenant.control("GET", "/stats")["faults_fired"]
    assert set(
        Organization.objects.filter(pk__in=[initech.pk, umbrella.pk]).values_list(
            "sync_state", flat=True
        )
    ) == {SyncState.DRIFTED}
