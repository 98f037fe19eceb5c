"""Require single sign-on, against the real sandbox: the organization's own password
database leaves its applications but stays for the portal's login application (the
break-glass sign-in, which only staff turn off); allowing passwords gives back exactly
what was taken; every refusal is a plain message that writes nothing; and while single
sign-on is required its last active connection cannot be turned off or deleted."""

from __future__ import annotations

from typing import Any

import pytest

from idp_selfservice import enforcement, services
from idp_selfservice.models import SetupState, SsoPolicy
from orgs.models import AuditEvent, Organization, SyncOperation
from orgs.services.errors import ServiceError
from tests.factories import UserFactory
from tests.idp_selfservice.test_enforcement_support import (
    active_setup,
    clients_in_sandbox,
    database_of,
    organization_client_ids,
    own_database_org,
    portal_login,
)
from tests.idp_selfservice.test_testing_support import okta_setup, passed_test
from tests.orgs.engine import drain

pytestmark = pytest.mark.django_db


def _refused(call: Any, words: str) -> None:
    before = (SyncOperation.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ServiceError) as refused:
        call()
    assert words in refused.value.message
    assert (SyncOperation.objects.count(), AuditEvent.objects.count()) == before


def test_requiring_takes_passwords_away_from_the_applications_only(imported_tenant: Any) -> None:
    org = own_database_org()
    active_setup(org)
    database = database_of(org)
    apps = organization_client_ids(org)
    assert apps and apps <= clients_in_sandbox(imported_tenant, database)
    admin = UserFactory(sub="auth0|initech-admin", email="admin@initech.test")

    policy = enforcement.require_sso(actor=admin, organization=org)
    assert drain()
    enabled = clients_in_sandbox(imported_tenant, database)
    assert not apps & enabled
    assert portal_login().client_id in enabled
    assert policy.require_sso and policy.changed_by == admin and policy.break_glass
    assert enforcement.own_database(org) == database  # still enabled on the organization
    event = AuditEvent.objects.filter(action="sso.require").get()
    assert event.organization == org and event.target == database.name

    enforcement.allow_passwords(actor=admin, organization=org)
    drain()
    assert apps <= clients_in_sandbox(imported_tenant, database)
    policy.refresh_from_db()
    assert not policy.require_sso and not policy.withheld_applications.exists()
    assert AuditEvent.objects.filter(action="sso.allow_passwords").exists()


def test_staff_turn_the_break_glass_sign_in_off_and_on(imported_tenant: Any) -> None:
    org = own_database_org()
    active_setup(org)
    database = database_of(org)
    staff = UserFactory(sub="auth0|staff-1", email="staff@portal.test", is_staff=True)
    admin = UserFactory(sub="auth0|initech-admin", email="admin@initech.test")
    enforcement.require_sso(actor=admin, organization=org)
    drain()

    _refused(
        lambda: enforcement.set_break_glass(actor=admin, organization=org, on=False),
        "Only our staff",
    )
    enforcement.set_break_glass(actor=staff, organization=org, on=False)
    drain()
    assert portal_login().client_id not in clients_in_sandbox(imported_tenant, database)
    assert not enforcement.standing(org).break_glass_live

    enforcement.set_break_glass(actor=staff, organization=org, on=True)
    drain()
    assert portal_login().client_id in clients_in_sandbox(imported_tenant, database)
    assert AuditEvent.objects.filter(action="sso.break_glass").count() == 2


def test_allowing_passwords_gives_back_the_break_glass_too(imported_tenant: Any) -> None:
    org = own_database_org()
    active_setup(org)
    database = database_of(org)
    staff = UserFactory(sub="auth0|staff-1", email="staff@portal.test", is_staff=True)
    before = SyncOperation.objects.count()
    enforcement.set_break_glass(actor=staff, organization=org, on=False)  # before: only noted
    assert SyncOperation.objects.count() == before
    enforcement.require_sso(actor=None, organization=org)
    drain()
    enabled = clients_in_sandbox(imported_tenant, database)
    assert portal_login().client_id not in enabled and not organization_client_ids(org) & enabled

    enforcement.allow_passwords(actor=None, organization=org)
    drain()
    enabled = clients_in_sandbox(imported_tenant, database)
    assert {portal_login().client_id, *organization_client_ids(org)} <= enabled


def test_refused_without_an_active_tested_connection(imported_tenant: Any) -> None:
    org = own_database_org()
    require = lambda: enforcement.require_sso(actor=None, organization=org)  # noqa: E731
    _refused(require, enforcement.NO_TESTED_SSO)
    setup = okta_setup(org)
    passed_test(setup)  # tested, not turned on
    _refused(require, enforcement.NO_TESTED_SSO)
    services.setup_activate(actor=None, setup=setup)
    drain()
    failed = services.test_begin(actor=None, setup=setup)
    services.test_record(
        actor=None, test=failed, result=services.TestResult(passed=False, reason="Audience")
    )
    _refused(require, enforcement.NO_TESTED_SSO)  # its last test failed
    assert enforcement.standing(org).refusal == enforcement.NO_TESTED_SSO
    passed_test(setup)
    enforcement.require_sso(actor=None, organization=org)
    _refused(require, "already required")


def test_refused_on_the_shared_database_and_for_enterprise_only(imported_tenant: Any) -> None:
    acme = Organization.objects.get(name="acme")
    active_setup(acme)
    _refused(
        lambda: enforcement.require_sso(actor=None, organization=acme), enforcement.SHARED_DATABASE
    )
    assert enforcement.standing(acme).shared
    staff = UserFactory(sub="auth0|staff-1", email="staff@portal.test", is_staff=True)
    _refused(
        lambda: enforcement.set_break_glass(actor=staff, organization=acme, on=False),
        enforcement.NO_OWN_DATABASE,
    )

    org = own_database_org("hooli")
    active_setup(org)
    link = org.organization_connections.get(connection=database_of(org))
    from orgs.services.connections import organization_connection_disable

    organization_connection_disable(actor=None, link=link)
    drain()
    _refused(
        lambda: enforcement.require_sso(actor=None, organization=org), enforcement.ENTERPRISE_ONLY
    )
    assert not SsoPolicy.objects.filter(require_sso=True).exists()


def test_the_last_active_connection_stays_while_required(imported_tenant: Any) -> None:
    org = own_database_org()
    setup = active_setup(org)
    enforcement.require_sso(actor=None, organization=org)
    drain()
    _refused(lambda: services.setup_disable(actor=None, setup=setup), "Allow passwords again")
    _refused(lambda: services.setup_delete(actor=None, setup=setup), "Allow passwords again")
    words = services.other_sign_in_methods(setup)
    assert words == [
        f"{database_of(org)} (passwords only for admins' emergency sign-in to this portal)"
    ]

    second = active_setup(org)
    services.setup_disable(actor=None, setup=second)  # another one is still on
    setup.refresh_from_db()
    assert setup.state == SetupState.ACTIVE

    enforcement.allow_passwords(actor=None, organization=org)
    drain()
    services.setup_disable(actor=None, setup=setup)  # passwords are a way in again
    setup.refresh_from_db()
    assert setup.state == SetupState.DISABLED
