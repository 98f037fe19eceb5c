"""Steps 4 to 6 and what follows through the services, against the real engine and
sandbox: the attribute mapping Auth0 gets, test outcomes, activation (applications, flags,
IdP-initiated sign-in, verified domains), turning off and on, deleting, the guard on the
last way in, and the impact preview."""

from __future__ import annotations

from typing import Any

import pytest

from idp_selfservice import drafts, services
from idp_selfservice.models import SetupState, SsoTest
from idp_selfservice.models import TestOutcome as Outcome
from orgs.models import (
    AuditEvent,
    Connection,
    Domain,
    OpState,
    Organization,
    OrganizationConnection,
    SyncOperation,
)
from orgs.models.organizations import DomainStatus
from orgs.services.connections import organization_connection_disable
from tests.factories import MemberFactory
from tests.idp_selfservice import builders as b
from tests.orgs.engine import drain
from tests.orgs.services import refused, shared_connection

pytestmark = pytest.mark.django_db

PORTAL_LOGIN = "sandbox-portal-login"
SHARED_DB = "Username-Password-Authentication"


def acme() -> Organization:
    return Organization.objects.get(name="acme")


def _all_succeeded() -> None:
    drain()
    unsettled = SyncOperation.objects.exclude(state=OpState.SUCCEEDED)
    assert not unsettled.exists(), list(unsettled.values("kind", "state", "last_error"))


def _options(name: str) -> dict[str, Any]:
    remote = b.remote(name)
    assert remote is not None, f"{name} is not in the sandbox"
    options: dict[str, Any] = remote["options"]
    return options


def _only_sso_left(organization: Organization) -> None:
    """Take the shared database connection off the organization: SSO is its only way in."""
    link = OrganizationConnection.objects.get(
        organization=organization, connection=shared_connection()
    )
    organization_connection_disable(actor=None, link=link)
    _all_succeeded()


# --- step 4: the attribute mapping -----------------------------------------------------------


def test_a_saml_mapping_becomes_fields_map_and_user_id_attribute(imported_tenant: Any) -> None:
    setup = b.tested_setup(acme(), "okta")
    mapping = {
        "email": "mail",
        "given_name": "givenName",
        "family_name": "sn",
        "name": "",
        "user_id": "employeeNumber",
    }
    setup = services.setup_save_mapping(actor=None, setup=setup, attribute_map=mapping)
    assert setup.attribute_map == mapping
    assert setup.state == SetupState.DRAFT  # a new mapping needs a new test
    _all_succeeded()
    options = _options("acme-okta")
    assert options["fieldsMap"] == {"email": "mail", "given_name": "givenName", "family_name": "sn"}
    assert options["user_id_attribute"] == "employeeNumber"
    assert AuditEvent.objects.filter(action="sso.mapping", target="acme-okta").exists()

    services.setup_save_mapping(actor=None, setup=setup, attribute_map={**mapping, "user_id": ""})
    _all_succeeded()
    assert "user_id_attribute" not in _options("acme-okta")  # cleared in Auth0 too


def test_a_saml_mapping_needs_the_email_attribute(imported_tenant: Any) -> None:
    setup = b.saved_setup(acme(), "okta")
    with refused("Say which attribute holds the email address."):
        services.setup_save_mapping(actor=None, setup=setup, attribute_map={"email": " "})


def test_an_unchanged_mapping_sends_nothing_and_keeps_the_test(imported_tenant: Any) -> None:
    setup = b.tested_setup(acme(), "okta")
    before = SyncOperation.objects.count()
    services.setup_save_mapping(actor=None, setup=setup, attribute_map=dict(setup.attribute_map))
    setup.refresh_from_db()
    assert SyncOperation.objects.count() == before and setup.state == SetupState.TESTED


def test_a_mapping_saved_before_the_details_goes_out_with_them(imported_tenant: Any) -> None:
    setup = b.started_setup(acme(), "saml")
    mapping = {"email": "urn:oid:0.9.2342.19200300.100.1.3", "user_id": ""}
    setup = services.setup_save_mapping(actor=None, setup=setup, attribute_map=mapping)
    assert not SyncOperation.objects.exists()
    services.setup_save_idp(actor=None, setup=setup, details=b.saml_details())
    _all_succeeded()
    assert _options(setup.connection_name)["fieldsMap"] == {
        "email": "urn:oid:0.9.2342.19200300.100.1.3"
    }


def test_an_oidc_mapping_uses_auth0s_claim_templates_only_when_needed(
    imported_tenant: Any,
) -> None:
    setup = b.saved_setup(acme(), "oidc")
    assert "attribute_map" not in _options(setup.connection_name)  # standard claims

    custom = {**setup.attribute_map, "email": "upn", "given_name": "first"}
    setup = services.setup_save_mapping(actor=None, setup=setup, attribute_map=custom)
    _all_succeeded()
    attribute_map = _options(setup.connection_name)["attribute_map"]
    assert attribute_map["mapping_mode"] == "use_map"
    assert attribute_map["attributes"] == {
        "email": "${context.tokenset.upn}",
        "given_name": "${context.tokenset.first}",
        "family_name": "${context.tokenset.family_name}",
        "name": "${context.tokenset.name}",
    }
    assert "fieldsMap" not in _options(setup.connection_name)

    standard = {**custom, "email": "email", "given_name": "given_name"}
    services.setup_save_mapping(actor=None, setup=setup, attribute_map=standard)
    _all_succeeded()
    assert "attribute_map" not in _options(setup.connection_name)


def test_adfs_maps_its_own_claims(imported_tenant: Any) -> None:
    setup = b.saved_setup(acme(), "adfs")
    services.setup_save_mapping(
        actor=None, setup=setup, attribute_map={**setup.attribute_map, "email": "upn"}
    )
    _all_succeeded()
    assert "fieldsMap" not in _options(setup.connection_name)


# --- step 5: test outcomes ----------------------------------------------------------------------


def test_a_passing_test_makes_a_draft_tested_once(imported_tenant: Any) -> None:
    setup = b.saved_setup(acme(), "okta")
    test = b.passing_test(setup)
    setup.refresh_from_db()
    assert test.outcome == Outcome.PASSED and test.finished_at is not None
    assert test.email == "jane.doe@acme.test"
    assert setup.state == SetupState.TESTED and setup.tested_at == test.finished_at
    assert AuditEvent.objects.filter(action="sso.test").count() == 1

    # the result page reloaded: the same test recorded again changes nothing
    again = services.test_record(
        actor=None, test=test, result=services.TestResult(passed=False, reason="late")
    )
    assert again.outcome == Outcome.PASSED and again.reason == ""
    assert AuditEvent.objects.filter(action="sso.test").count() == 1
    setup.refresh_from_db()
    assert setup.state == SetupState.TESTED


def test_a_failing_test_is_recorded_and_changes_nothing_else(imported_tenant: Any) -> None:
    setup = b.saved_setup(acme(), "okta")
    test = services.test_begin(actor=None, setup=setup)
    result = services.TestResult(passed=False, reason="The audience is wrong.", hint="Fix it.")
    test = services.test_record(actor=None, test=test, result=result)
    setup.refresh_from_db()
    assert test.outcome == Outcome.FAILED and test.reason == "The audience is wrong."
    assert setup.state == SetupState.DRAFT and setup.tested_at is None


def test_a_test_needs_the_connection(imported_tenant: Any) -> None:
    setup = b.started_setup(acme(), "okta")
    with refused("Tell us about your identity provider first."):
        services.test_begin(actor=None, setup=setup)
    assert not SsoTest.objects.exists()


# --- step 6: activation -----------------------------------------------------------------------


def test_activation_is_refused_until_a_test_passed(imported_tenant: Any) -> None:
    setup = b.saved_setup(acme(), "okta")
    with refused("Run a test sign-in that passes before turning this on."):
        services.setup_activate(actor=None, setup=setup)


def test_activation_opens_the_connection_to_the_organization(imported_tenant: Any) -> None:
    org = acme()
    Domain.objects.create(organization=org, domain="acme.test", status=DomainStatus.VERIFIED)
    Domain.objects.create(organization=org, domain="acme.example", status=DomainStatus.VERIFIED)
    Domain.objects.create(organization=org, domain="pending.test", status=DomainStatus.PENDING)
    setup = b.tested_setup(org, "okta")
    apps = list(services.organization_applications(org))
    assert apps and all(not app.is_portal_login for app in apps)

    setup = services.setup_activate(
        actor=None,
        setup=setup,
        show_as_button=False,
        assign_membership_on_login=False,
        idp_initiated=True,
        idp_initiated_client_id=apps[0].client_id,
    )
    assert setup.state == SetupState.ACTIVE and setup.activated_at is not None
    assert setup.idp_initiated_client_id == apps[0].client_id
    _all_succeeded()

    assert b.remote_clients("acme-okta") == {PORTAL_LOGIN, *(app.client_id for app in apps)}
    link = b.remote_org_link(org, "acme-okta")
    assert link is not None
    assert link["show_as_button"] is False and link["assign_membership_on_login"] is False
    options = _options("acme-okta")
    assert options["domain_aliases"] == ["acme.example", "acme.test"]  # verified only
    assert options["idpinitiated"] == {
        "enabled": True,
        "client_id": apps[0].client_id,
        "client_protocol": "oidc",
        "client_authorizequery": f"organization={org.auth0_id}",
    }
    assert "signingCert" in options  # the details stayed
    assert AuditEvent.objects.filter(action="sso.activate", target="acme-okta").exists()


def test_activation_with_the_default_flags(imported_tenant: Any) -> None:
    setup = b.active_setup(acme(), "okta")
    link = b.remote_org_link(acme(), "acme-okta")
    assert link is not None
    assert link["show_as_button"] is True and link["assign_membership_on_login"] is True
    assert _options("acme-okta")["idpinitiated"] == {"enabled": False}
    with refused("already turned on"):
        services.setup_activate(actor=None, setup=setup)


def test_activation_refuses_idp_initiated_sign_in_where_auth0_has_none(
    imported_tenant: Any,
) -> None:
    client_id = services.organization_applications(acme()).first().client_id
    for provider in ("oidc", "adfs"):
        setup = b.tested_setup(acme(), provider)
        assert not services.offers_idp_initiated(setup)
        with refused("Only SAML providers can start sign-ins themselves."):
            services.setup_activate(
                actor=None, setup=setup, idp_initiated=True, idp_initiated_client_id=client_id
            )
    assert services.offers_idp_initiated(b.started_setup(acme(), "ping"))


def test_activation_refuses_an_unknown_landing_application(imported_tenant: Any) -> None:
    setup = b.tested_setup(acme(), "okta")
    with refused("Choose the application people land in"):
        services.setup_activate(
            actor=None, setup=setup, idp_initiated=True, idp_initiated_client_id=PORTAL_LOGIN
        )


def test_a_draft_copy_is_not_activated_on_its_own(imported_tenant: Any) -> None:
    live = b.active_setup(acme(), "okta")
    copy = drafts.draft_copy_start(actor=None, setup=live)
    drain()
    b.passing_test(copy)
    with refused("swapping it in"):
        services.setup_activate(actor=None, setup=copy)


# --- turning off and on, deleting ------------------------------------------------------------


def test_turning_off_and_on_keeps_the_connection(imported_tenant: Any) -> None:
    setup = b.active_setup(acme(), "okta", show_as_button=False)
    setup = services.setup_disable(actor=None, setup=setup)
    assert setup.state == SetupState.DISABLED and setup.disabled_at is not None
    _all_succeeded()
    assert b.remote_org_link(acme(), "acme-okta") is None
    assert b.remote("acme-okta") is not None  # its users stay

    with refused("Only a connection that is on can be turned off."):
        services.setup_disable(actor=None, setup=setup)
    setup = services.setup_enable(actor=None, setup=setup)
    assert setup.state == SetupState.ACTIVE and setup.disabled_at is None
    _all_succeeded()
    link = b.remote_org_link(acme(), "acme-okta")
    assert link is not None and link["show_as_button"] is False  # as it was
    with refused("Only a connection that was turned off"):
        services.setup_enable(actor=None, setup=setup)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"sso.disable", "sso.enable"} <= actions


def test_deleting_removes_the_connection_from_auth0(imported_tenant: Any) -> None:
    setup = b.active_setup(acme(), "okta")
    services.setup_delete(actor=None, setup=setup)
    setup.refresh_from_db()
    assert setup.state == SetupState.DELETED
    _all_succeeded()
    assert b.remote("acme-okta") is None
    connection = Connection.objects.get(name="acme-okta")
    assert connection.deleted_at is not None
    assert not OrganizationConnection.objects.filter(connection=connection).exists()
    assert AuditEvent.objects.filter(action="sso.delete", target="acme-okta").exists()


def test_deleting_a_draft_and_a_setup_without_connection(imported_tenant: Any) -> None:
    draft = b.saved_setup(acme(), "okta")
    bare = b.started_setup(acme(), "saml")
    services.setup_delete(actor=None, setup=draft)
    services.setup_delete(actor=None, setup=bare)
    _all_succeeded()
    assert b.remote("acme-okta") is None
    bare.refresh_from_db()
    assert bare.state == SetupState.DELETED


def test_the_last_way_in_is_not_removed_by_accident(imported_tenant: Any) -> None:
    setup = b.active_setup(acme(), "okta")
    assert services.other_sign_in_methods(setup) == [SHARED_DB]
    _only_sso_left(acme())
    b.saved_setup(acme(), "saml")  # a draft is no way in
    assert services.other_sign_in_methods(setup) == []

    with refused("This is the only way people of this organization sign in."):
        services.setup_disable(actor=None, setup=setup)
    with refused("This is the only way people of this organization sign in."):
        services.setup_delete(actor=None, setup=setup)

    second = b.active_setup(acme(), "entra")  # a second working way in
    assert services.other_sign_in_methods(setup) == ["acme-entra"]
    services.setup_disable(actor=None, setup=setup)
    with refused("This is the only way people of this organization sign in."):
        services.setup_disable(actor=None, setup=second)
    services.setup_delete(actor=None, setup=setup)  # turned off: no way in any more anyway
    _all_succeeded()


def test_the_impact_of_turning_off_or_deleting(imported_tenant: Any) -> None:
    org = acme()
    setup = b.active_setup(org, "okta")
    MemberFactory(organization=org, user_id="samlp|acme-okta|jane@acme.test")
    MemberFactory(organization=org, user_id="samlp|acme-okta|joe@acme.test")
    MemberFactory(organization=org, user_id="samlp|acme-okta-2|ann@acme.test")
    MemberFactory(organization=Organization.objects.get(name="globex"), user_id="samlp|acme-okta|x")
    impact = services.impact_of(setup)
    assert impact.members == 2
    names = [app.name for app in services.organization_applications(org)]
    assert sorted(impact.applications) == sorted(names)  # not the portal's login
    assert impact.other_methods == [SHARED_DB] and impact.deletes_users is True

    bare = services.impact_of(b.started_setup(org, "saml"))
    assert bare.members == 0 and bare.applications == [] and bare.deletes_users is False
