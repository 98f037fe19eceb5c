"""Steps 1 and 3 through the services, against the real engine and sandbox: starting a
setup (which providers, which organizations, how many, which connection name) and saving
the IdP's details (the hidden testing connection, secrets kept out of plain text, new
details replacing old ones, and what Auth0 refuses failing visibly)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from idp_selfservice import services
from idp_selfservice.models import MetadataSource, SetupState, SsoSetup
from orgs.models import (
    AuditEvent,
    Connection,
    OpState,
    Organization,
    OrgStatus,
    SyncOperation,
    SyncState,
)
from orgs.secrets import decrypt_options
from tests.factories import ConnectionFactory
from tests.idp_selfservice import builders as b
from tests.orgs.engine import drain
from tests.orgs.services import operations, refused

pytestmark = pytest.mark.django_db

PORTAL_LOGIN = "sandbox-portal-login"


def acme() -> Organization:
    return Organization.objects.get(name="acme")


def _all_succeeded() -> None:
    drain()
    unsettled = SyncOperation.objects.exclude(state=OpState.SUCCEEDED)
    assert not unsettled.exists(), list(unsettled.values("kind", "state", "last_error"))


# --- setup_start ------------------------------------------------------------------------------


def test_start_refuses_a_provider_that_is_not_offered(imported_tenant: Any) -> None:
    with refused("Choose one of the identity providers listed."):
        services.setup_start(actor=None, organization=acme(), provider_key="shibboleth")
    assert not SsoSetup.objects.exists()


def test_start_refuses_an_organization_that_is_not_active(imported_tenant: Any) -> None:
    Organization.objects.filter(name="acme").update(status=OrgStatus.SUSPENDED)
    with refused("once the organization is active"):
        services.setup_start(actor=None, organization=acme(), provider_key="okta")
    assert not SsoSetup.objects.exists()


def test_an_organization_has_at_most_five_live_setups(imported_tenant: Any) -> None:
    setups = [b.started_setup(acme(), "saml") for _ in range(services.MAX_SETUPS)]
    with refused(f"at most {services.MAX_SETUPS} single sign-on setups"):
        b.started_setup(acme(), "okta")
    assert SsoSetup.objects.count() == services.MAX_SETUPS

    services.setup_delete(actor=None, setup=setups[0])  # a finished setup does not count
    assert b.started_setup(acme(), "okta").state == SetupState.DRAFT
    # another organization has its own five
    assert b.started_setup(Organization.objects.get(name="globex"), "okta")


def test_connection_names_are_unique_and_the_start_is_audited(imported_tenant: Any) -> None:
    first = b.started_setup(acme(), "okta")
    second = b.started_setup(acme(), "okta")
    ConnectionFactory(name="acme-saml", strategy="samlp")  # taken outside any setup
    third = b.started_setup(acme(), "saml")

    assert [first.connection_name, second.connection_name] == ["acme-okta", "acme-okta-2"]
    assert third.connection_name == "acme-saml-2"
    assert first.connection is None and first.state == SetupState.DRAFT
    assert first.attribute_map == {
        "email": "email",
        "given_name": "firstName",
        "family_name": "lastName",
        "user_id": "",
    }
    event = AuditEvent.objects.filter(action="sso.start").order_by("pk").first()
    assert event is not None and event.target == "acme-okta"
    assert event.organization == acme() and event.details["provider"] == "Okta"
    assert not SyncOperation.objects.exists()  # nothing goes to Auth0 before step 3


def test_connection_names_keep_to_what_auth0_accepts(imported_tenant: Any) -> None:
    org = acme()
    org.name = "acme--" + "x" * 130
    name = services.connection_name_for(org, services.get_provider("okta"))  # type: ignore[arg-type]
    assert len(name) <= 128 and name[0].isalnum() and name[-1].isalnum()
    assert "--" not in name


# --- setup_save_idp: the first save -------------------------------------------------------------


def test_the_first_save_creates_a_hidden_connection_for_testing(imported_tenant: Any) -> None:
    setup = b.started_setup(acme(), "okta")
    details = b.saml_details(sign_out=b.SIGN_OUT)
    setup = services.setup_save_idp(actor=None, setup=setup, details=details)

    connection = setup.connection
    assert connection is not None and connection.name == "acme-okta"
    assert connection.strategy == "samlp" and connection.organization == acme()
    assert connection.display_name == "Acme Corp Okta"
    assert connection.options == {
        **details.options,
        "fieldsMap": {"email": "email", "given_name": "firstName", "family_name": "lastName"},
    }
    assert connection.encrypted_secrets == ""  # a SAML setup has no secret
    assert setup.state == SetupState.DRAFT and setup.source == MetadataSource.MANUAL
    assert setup.idp_summary["entity_id"] == b.ENTITY_ID
    assert operations() == [
        ("connection.create", None),
        ("organization_connection.sync", "connection.create"),
        ("connection_application.sync", "connection.create"),
    ]
    assert AuditEvent.objects.filter(action="sso.idp_details", target="acme-okta").exists()

    _all_succeeded()
    remote = b.remote("acme-okta")
    assert remote is not None and remote["strategy"] == "samlp"
    for key, value in connection.options.items():
        assert remote["options"][key] == value, key
    # only the portal's login serves it (test sign-ins), none of the organization's apps
    assert b.remote_clients("acme-okta") == {PORTAL_LOGIN}
    link = b.remote_org_link(acme(), "acme-okta")
    assert link is not None
    assert link["show_as_button"] is False and link["assign_membership_on_login"] is True


def test_an_oidc_client_secret_is_stored_encrypted_and_sent_to_auth0(
    imported_tenant: Any,
) -> None:
    setup = b.saved_setup(acme(), "oidc")
    connection = setup.connection
    assert connection is not None and connection.strategy == "oidc"
    assert "client_secret" not in connection.options
    assert connection.options["client_id"] == "portal-client"
    assert decrypt_options(connection.encrypted_secrets) == {"client_secret": b.OIDC_SECRET}
    assert b.OIDC_SECRET not in connection.encrypted_secrets
    events = json.dumps(list(AuditEvent.objects.values("details")), default=str)
    assert b.OIDC_SECRET not in events
    assert b.OIDC_SECRET not in json.dumps(setup.idp_summary)

    remote = b.remote(setup.connection_name)
    assert remote is not None
    assert remote["options"]["client_secret"] == b.OIDC_SECRET
    assert remote["options"]["type"] == "back_channel"
    assert remote["options"]["issuer"] == b.OIDC_ISSUER
    assert b.remote_clients(setup.connection_name) == {PORTAL_LOGIN}


def test_an_oidc_save_without_a_secret_keeps_the_stored_one(imported_tenant: Any) -> None:
    setup = b.saved_setup(acme(), "oidc")
    details = b.oidc_details(client_id="new-client", client_secret=None)
    assert details.kept_secret_keys == ("client_secret",)
    setup = services.setup_save_idp(actor=None, setup=setup, details=details)
    _all_succeeded()

    assert setup.connection is not None
    assert decrypt_options(setup.connection.encrypted_secrets) == {"client_secret": b.OIDC_SECRET}
    remote = b.remote(setup.connection_name)
    assert remote is not None
    assert remote["options"]["client_id"] == "new-client"
    assert remote["options"]["client_secret"] == b.OIDC_SECRET

    # a new secret replaces it
    setup = services.setup_save_idp(
        actor=None, setup=setup, details=b.oidc_details(client_secret="rotated-secret")
    )
    _all_succeeded()
    assert setup.connection is not None
    assert decrypt_options(setup.connection.encrypted_secrets) == {
        "client_secret": "rotated-secret"
    }
    remote = b.remote(setup.connection_name)
    assert remote is not None and remote["options"]["client_secret"] == "rotated-secret"


# --- setup_save_idp: saving again ------------------------------------------------------------


def test_new_details_replace_the_old_ones_and_need_a_new_test(imported_tenant: Any) -> None:
    setup = b.tested_setup(acme(), "okta", details=b.saml_details(sign_out=b.SIGN_OUT))
    assert setup.state == SetupState.TESTED

    url = "https://trial-1022863.okta.com/app/exkdoocxa1VmjpXmX697/sso/saml/metadata"
    details = b.saml_details("okta.xml", metadata_url=url)
    setup = services.setup_save_idp(actor=None, setup=setup, details=details)
    assert setup.state == SetupState.DRAFT  # new details, new test
    assert setup.source == MetadataSource.URL and setup.metadata_url == url
    assert setup.metadata_checked_at is not None
    assert setup.connection is not None
    assert "signOutEndpoint" not in setup.connection.options
    assert setup.connection.options["signInEndpoint"] == details.options["signInEndpoint"]

    _all_succeeded()
    remote = b.remote("acme-okta")
    assert remote is not None
    assert "signOutEndpoint" not in remote["options"]  # stale: gone in Auth0 too
    assert remote["options"]["signInEndpoint"] == details.options["signInEndpoint"]
    assert remote["options"]["signingCert"] == details.options["signingCert"]
    # the certificate's derived values are the new certificate's, not the old one's
    assert remote["options"]["subject"] != "CN=idp.example.com"
    assert b.remote_clients("acme-okta") == {PORTAL_LOGIN}
    assert Connection.objects.filter(name__startswith="acme-okta").count() == 1


def test_a_request_signing_flag_from_old_metadata_does_not_linger(imported_tenant: Any) -> None:
    first = b.saml_details()
    signed = services.IdpDetails(
        options={**first.options, "signSAMLRequest": True},
        summary=first.summary,
        source=first.source,
    )
    setup = b.saved_setup(acme(), "saml", details=signed)
    remote = b.remote(setup.connection_name)
    assert remote is not None and remote["options"]["signSAMLRequest"] is True

    services.setup_save_idp(actor=None, setup=setup, details=b.saml_details())
    _all_succeeded()
    remote = b.remote(setup.connection_name)
    assert remote is not None and "signSAMLRequest" not in remote["options"]


@pytest.mark.parametrize("state", [SetupState.ACTIVE, SetupState.DISABLED, SetupState.DELETED])
def test_details_of_a_setup_in_use_or_finished_are_not_changed(
    imported_tenant: Any, state: str
) -> None:
    setup = b.saved_setup(acme(), "okta")
    SsoSetup.objects.filter(pk=setup.pk).update(state=state)
    message = "is finished" if state == SetupState.DELETED else "edit it as a draft copy"
    with refused(message):
        services.setup_save_idp(actor=None, setup=setup, details=b.saml_details())


# --- what Auth0 refuses fails visibly -----------------------------------------------------------


REFUSED_DETAILS = {
    "samlp: http sign-in URL": ("okta", lambda: b.saml_details(sign_in="http://idp.example.com/")),
    "samlp: not a certificate": (
        "saml",
        lambda: services.IdpDetails(
            options={"signInEndpoint": b.SIGN_IN, "signingCert": "bm90IGEgY2VydA=="},
            summary={},
            source=MetadataSource.MANUAL,
        ),
    ),
    "oidc: back channel without a secret": ("oidc", lambda: b.oidc_details(client_secret=None)),
    "adfs: no metadata": ("adfs", lambda: b.adfs_details(server="")),
    "pingfederate: http server": (
        "ping",
        lambda: b.ping_details(base_url="http://sso.example.com"),
    ),
}


@pytest.mark.parametrize("case", list(REFUSED_DETAILS))
def test_details_auth0_refuses_fail_visibly(imported_tenant: Any, case: str) -> None:
    provider, details = REFUSED_DETAILS[case]
    setup = b.saved_setup(acme(), provider, details=details())

    create = SyncOperation.objects.get(kind="connection.create")
    assert create.state == OpState.FAILED and "400" in create.last_error
    connection = setup.connection
    assert connection is not None
    connection.refresh_from_db()
    assert connection.sync_state == SyncState.FAILED and connection.sync_error
    assert connection.auth0_id is None and b.remote(setup.connection_name) is None
    # what waits for the connection has not run against a connection that is not there
    waiting = SyncOperation.objects.exclude(kind="connection.create")
    assert set(waiting.values_list("state", flat=True)) == {OpState.QUEUED}


def test_corrected_details_create_the_connection_that_was_refused(imported_tenant: Any) -> None:
    setup = b.saved_setup(acme(), "okta", details=b.saml_details(sign_in="http://idp.example/"))
    assert b.remote("acme-okta") is None

    services.setup_save_idp(actor=None, setup=setup, details=b.saml_details())
    _all_succeeded()
    remote = b.remote("acme-okta")
    assert remote is not None and remote["options"]["signInEndpoint"] == b.SIGN_IN
    assert b.remote_clients("acme-okta") == {PORTAL_LOGIN}
    assert b.remote_org_link(acme(), "acme-okta") is not None


# --- every strategy's options are ones Auth0 takes ----------------------------------------------


STRATEGY_DETAILS = {
    "okta": ("okta", "samlp", lambda: b.saml_details("okta.xml")),
    "entra": ("entra", "samlp", lambda: b.saml_details()),
    "google": ("google", "samlp", lambda: b.saml_details("google.xml")),
    "saml": ("saml", "samlp", lambda: b.saml_details("keycloak.xml")),
    "oidc": ("oidc", "oidc", lambda: b.oidc_details()),
    "adfs url": ("adfs", "adfs", lambda: b.adfs_details()),
    "adfs file": (
        "adfs",
        "adfs",
        lambda: b.adfs_details(xml=(b.FIXTURES / "adfs.xml").read_text()),
    ),
    "ping": ("ping", "pingfederate", lambda: b.ping_details()),
}


@pytest.mark.parametrize("case", list(STRATEGY_DETAILS))
def test_each_strategy_is_created_tested_and_activated_in_auth0(
    imported_tenant: Any, case: str
) -> None:
    provider, strategy, details = STRATEGY_DETAILS[case]
    setup = b.saved_setup(acme(), provider, details=details())
    _all_succeeded()
    assert setup.connection is not None and setup.connection.strategy == strategy
    remote = b.remote(setup.connection_name)
    assert remote is not None and remote["strategy"] == strategy

    b.passing_test(setup)
    setup.refresh_from_db()
    services.setup_activate(actor=None, setup=setup)
    _all_succeeded()
    remote = b.remote(setup.connection_name)
    assert remote is not None
    assert remote["options"]["domain_aliases"] == []
    # IdP-initiated options exist only where Auth0 has them (SAML strategies)
    assert ("idpinitiated" in remote["options"]) == (strategy in ("samlp", "pingfederate"))
    setup.connection.refresh_from_db()
    assert "idpinitiated" not in decrypt_options(setup.connection.encrypted_secrets)


def test_adfs_switches_between_its_metadata_url_and_a_file(imported_tenant: Any) -> None:
    setup = b.saved_setup(acme(), "adfs")
    xml = (b.FIXTURES / "adfs.xml").read_text()
    services.setup_save_idp(actor=None, setup=setup, details=b.adfs_details(xml=xml))
    _all_succeeded()  # Auth0 refuses adfs_server and fedMetadataXml together
    remote = b.remote(setup.connection_name)
    assert remote is not None
    assert "adfs_server" not in remote["options"] and remote["options"]["fedMetadataXml"] == xml

    services.setup_save_idp(actor=None, setup=setup, details=b.adfs_details())
    _all_succeeded()
    remote = b.remote(setup.connection_name)
    assert remote is not None and "fedMetadataXml" not in remote["options"]


def test_ping_switches_from_a_metadata_file_to_its_server_address(imported_tenant: Any) -> None:
    from_file = services.IdpDetails(
        options={
            "pingFederateBaseUrl": "https://sso.example.com",
            "signInEndpoint": "https://sso.example.com/idp/custom/SSO.saml2",
            "signingCert": b.signing_cert(),
        },
        summary={},
        source=MetadataSource.FILE,
    )
    setup = b.saved_setup(acme(), "ping", details=from_file)
    _all_succeeded()
    services.setup_save_idp(actor=None, setup=setup, details=b.ping_details())
    _all_succeeded()
    remote = b.remote(setup.connection_name)
    assert remote is not None
    # the custom endpoint is gone: Auth0 derives the standard one from the server
    assert remote["options"]["signInEndpoint"] == "https://sso.example.com:9031/idp/SSO.saml2"
