"""Self-service SSO: every change a customer admin makes to their identity provider's
setup, as one transaction that records the connection's operations and the audit event.

While a setup is a draft (or tested, not yet active) its connection is enabled on the
organization hidden (`show_as_button` off) and serves only the portal's login
application, through which test sign-ins run: none of the organization's own
applications offers it, so members cannot use it by accident. Test sign-ins assign
membership on login, so a tester who is not yet a member can finish. Activation enables
the organization's applications, sets the chosen flags, the IdP-initiated options and the
verified domains as `domain_aliases`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from idp_selfservice import setup_links
from idp_selfservice.enforcement import method_words, refuse_removing_last_sso
from idp_selfservice.models import LIVE_STATES, SetupState, SsoSetup, SsoTest, TestOutcome
from idp_selfservice.providers import OIDC_FAMILY, Provider, get_provider
from idp_selfservice.sp_values import sp_values
from orgs.models import (
    Application,
    Connection,
    ConnectionApplication,
    Domain,
    OpState,
    Organization,
    OrganizationConnection,
    OrgStatus,
)
from orgs.models.connections import Strategy
from orgs.models.organizations import DomainStatus
from orgs.services.audit import audit
from orgs.services.connections import (
    MAX_ENABLED_CONNECTIONS,
    connection_enable_application,
    organization_connection_disable,
    organization_connection_enable,
    organization_connection_update,
)
from orgs.services.enterprise_connections import (
    connection_create_enterprise,
    connection_delete,
    connection_update_options,
)
from orgs.services.errors import ServiceError
from orgs.services.sync_ops import sync_operation_retry
from orgs.sync.outbox import awaited_create
from portal.models import User

MAX_SETUPS = 5  # live setups per organization, drafts included
# Strategies with Auth0's `idpinitiated` options (ConnectionOptionsIdpinitiatedSAML).
IDP_INITIATED_STRATEGIES = frozenset({Strategy.SAML, Strategy.PING})
# Options the portal manages for the IdP's details; replacing the details drops the ones
# the new details do not set (a SAML setup moving from manual entry to a metadata URL).
IDP_OPTION_KEYS = (
    "signInEndpoint",
    "signOutEndpoint",
    "signingCert",
    "signSAMLRequest",
    "protocolBinding",
    "signatureAlgorithm",
    "digestAlgorithm",
    "adfs_server",
    "fedMetadataXml",
    "pingFederateBaseUrl",
    "discovery_url",
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "client_id",
    "client_secret",
    "scope",
    "type",
)


@dataclass(frozen=True)
class IdpDetails:
    """What the "tell us about your IdP" step found, ready for Auth0."""

    options: dict[str, Any]  # strategy options, secrets included (encrypted on save)
    summary: dict[str, Any]  # for display: entity id, endpoints, certificates, warnings
    source: str  # MetadataSource
    metadata_url: str = ""
    kept_secret_keys: tuple[str, ...] = field(default=())  # secrets left blank: keep stored


def provider_of(setup: SsoSetup) -> Provider:
    provider = get_provider(setup.provider)
    if provider is None:
        raise ServiceError("This setup's identity provider is not offered any more.")
    return provider


def live_setups(organization: Organization) -> Any:
    return organization.sso_setups.filter(state__in=LIVE_STATES)


def connection_name_for(organization: Organization, provider: Provider, suffix: str = "") -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "-", f"{organization.name}-{provider.key}{suffix}")
    base = base.strip("-")[:120].strip("-")  # Auth0: starts and ends alphanumeric
    taken = set(
        Connection.objects.filter(name__startswith=base).values_list("name", flat=True)
    ) | set(
        SsoSetup.objects.filter(connection_name__startswith=base).values_list(
            "connection_name", flat=True
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# --- steps 1 to 4: pick, details, mapping --------------------------------------------------


@transaction.atomic
def setup_start(*, actor: User | None, organization: Organization, provider_key: str) -> SsoSetup:
    provider = get_provider(provider_key)
    if provider is None:
        raise ServiceError("Choose one of the identity providers listed.", field="provider")
    if organization.status != OrgStatus.ACTIVE:
        raise ServiceError("Single sign-on can be set up once the organization is active.")
    if live_setups(organization).count() >= MAX_SETUPS:
        raise ServiceError(
            f"An organization can have at most {MAX_SETUPS} single sign-on setups. "
            "Delete one you no longer use first."
        )
    setup = SsoSetup.objects.create(
        organization=organization,
        provider=provider.key,
        connection_name=connection_name_for(organization, provider),
        attribute_map=provider.default_attribute_map(),
        created_by=actor,
    )
    audit(
        actor=actor,
        action="sso.start",
        organization=organization,
        target=setup.connection_name,
        provider=provider.name,
    )
    return setup


@transaction.atomic
def setup_save_idp(*, actor: User | None, setup: SsoSetup, details: IdpDetails) -> SsoSetup:
    """Store the IdP's details and send them to Auth0: the connection is created the first
    time (hidden, for testing only), updated afterwards. New details need a new test."""
    setup = locked_setup(setup)
    _refuse_if_active(setup)
    provider = provider_of(setup)
    options = {**details.options, **_mapping_options(provider, setup.attribute_map)}
    if setup.is_draft_copy and provider.is_saml_like:
        # The IdP's app was set up for the live connection: the copy presents itself with
        # the live entity id, so the IdP's audience check passes for the test.
        options["entityId"] = sp_values(setup.replaces.connection_name).entity_id  # type: ignore[union-attr]
    if setup.connection is None:
        setup.connection = connection_create_enterprise(
            actor=actor,
            organization=setup.organization,
            name=setup.connection_name,
            strategy=provider.strategy,
            display_name=_display_name(provider, setup),
            options=options,
        )
        _enable_for_testing(actor, setup)
    else:
        stale = [
            k for k in IDP_OPTION_KEYS if k not in options and k not in details.kept_secret_keys
        ]
        setup.connection = connection_update_options(
            actor=actor, connection=setup.connection, options=options, removed_keys=stale
        )
        _resend_refused_create(setup.connection)
    setup.idp_summary = details.summary
    setup.source = details.source
    setup.metadata_url = details.metadata_url
    setup.staged_certificate = {}
    setup.metadata_check_error = ""
    setup.metadata_checked_at = timezone.now() if details.metadata_url else None
    _back_to_draft(setup)
    setup.save()
    audit(
        actor=actor,
        action="sso.idp_details",
        organization=setup.organization,
        target=setup.connection_name,
        source=setup.get_source_display(),
        entity_id=details.summary.get("entity_id", ""),
    )
    return setup


@transaction.atomic
def setup_save_mapping(
    *, actor: User | None, setup: SsoSetup, attribute_map: dict[str, str]
) -> SsoSetup:
    setup = locked_setup(setup)
    _refuse_if_active(setup)
    provider = provider_of(setup)
    cleaned = {k: (v or "").strip() for k, v in attribute_map.items()}
    if provider.family != OIDC_FAMILY and not cleaned.get("email"):
        raise ServiceError("Say which attribute holds the email address.", field="email")
    if cleaned == setup.attribute_map:
        return setup
    setup.attribute_map = cleaned
    if setup.connection is not None:
        options = _mapping_options(provider, cleaned)
        removed = [
            k for k in ("user_id_attribute", "fieldsMap", "attribute_map") if k not in options
        ]
        setup.connection = connection_update_options(
            actor=actor, connection=setup.connection, options=options, removed_keys=removed
        )
    _back_to_draft(setup)
    setup.save()
    audit(
        actor=actor,
        action="sso.mapping",
        organization=setup.organization,
        target=setup.connection_name,
        mapping=cleaned,
    )
    return setup


def _mapping_options(provider: Provider, mapping: dict[str, str]) -> dict[str, Any]:
    """SAML: `fieldsMap` (Auth0 profile field -> attribute) and `user_id_attribute`. OIDC:
    Auth0's `attribute_map` in use_map mode, only where the mapping differs from the
    standard claims (basic_profile already reads those)."""
    fields = {k: v for k, v in mapping.items() if k != "user_id" and v}
    if provider.family == OIDC_FAMILY:
        standard = {k: k for k in ("email", "given_name", "family_name", "name")}
        if all(fields.get(k, k) == k for k in standard) and not mapping.get("user_id"):
            return {}
        # Auth0's mapping templates read the ID token's claims as `context.tokenset.<claim>`.
        attributes = {k: "${context.tokenset." + v + "}" for k, v in fields.items()}
        return {"attribute_map": {"mapping_mode": "use_map", "attributes": attributes}}
    if provider.strategy == Strategy.ADFS:
        return {}  # Auth0's adfs strategy maps the WS-Federation claims itself
    options: dict[str, Any] = {"fieldsMap": fields}
    if mapping.get("user_id"):
        options["user_id_attribute"] = mapping["user_id"]
    return options


def _resend_refused_create(connection: Connection) -> None:
    """Auth0 refused to create the connection with the earlier details (the operation
    failed, visibly): send the create again, now with the new details, instead of leaving
    the update waiting behind it for someone to retry it by hand."""
    if connection.auth0_id:
        return
    refused = awaited_create(connection, "connection.create")
    if refused is not None and refused.state == OpState.FAILED:
        # The portal resends its own create (actor None: no operator permission applies).
        sync_operation_retry(actor=None, operation=refused)


def _display_name(provider: Provider, setup: SsoSetup) -> str:
    label = f"{setup.organization.display_name or setup.organization.name} {provider.name}"
    return label[:120] + (" (draft)" if setup.is_draft_copy else "")


def _enable_for_testing(actor: User | None, setup: SsoSetup) -> None:
    connection = setup.connection
    assert connection is not None
    organization_connection_enable(
        actor=actor,
        organization=setup.organization,
        connection=connection,
        show_as_button=False,
        assign_membership_on_login=True,
    )
    portal_login = Application.objects.filter(is_portal_login=True).first()
    if portal_login is not None:
        connection_enable_application(actor=actor, connection=connection, application=portal_login)


# --- step 5: tests ----------------------------------------------------------------------


@transaction.atomic
def test_begin(*, actor: User | None, setup: SsoSetup) -> SsoTest:
    setup = locked_setup(setup)
    if setup.connection is None:
        raise ServiceError("Tell us about your identity provider first.")
    if setup.state in (SetupState.SWAPPED, SetupState.DELETED):
        raise ServiceError("This setup is finished; test the live one instead.")
    return SsoTest.objects.create(setup=setup, started_by=actor)


@dataclass(frozen=True)
class TestResult:
    passed: bool
    reason: str = ""
    hint: str = ""
    user_id: str = ""
    email: str = ""
    claims: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)


@transaction.atomic
def test_record(*, actor: User | None, test: SsoTest, result: TestResult) -> SsoTest:
    """The outcome of a test sign-in; a first pass makes a draft `tested`. A test that
    already has an outcome keeps it (a reloaded result page records nothing twice)."""
    test = SsoTest.objects.select_for_update().select_related("setup").get(pk=test.pk)
    if test.outcome != TestOutcome.PENDING:
        return test
    test.outcome = TestOutcome.PASSED if result.passed else TestOutcome.FAILED
    test.reason, test.hint = result.reason, result.hint
    test.user_id, test.email = result.user_id, result.email
    test.claims, test.attributes = result.claims, result.attributes
    test.finished_at = timezone.now()
    test.save()
    setup = locked_setup(test.setup)
    if result.passed:
        setup.tested_at = test.finished_at
        if setup.state == SetupState.DRAFT:
            setup.state = SetupState.TESTED
        setup.save()
    audit(
        actor=actor,
        action="sso.test",
        organization=setup.organization,
        target=setup.connection_name,
        outcome=test.get_outcome_display(),
        reason=result.reason,
        tested_as=result.email or result.user_id,
    )
    return test


# --- step 6: activate, disable, enable, delete ----------------------------------------------


@transaction.atomic
def setup_activate(
    *,
    actor: User | None,
    setup: SsoSetup,
    show_as_button: bool = True,
    assign_membership_on_login: bool = True,
    idp_initiated: bool = False,
    idp_initiated_client_id: str = "",
) -> SsoSetup:
    setup = locked_setup(setup)
    if setup.is_draft_copy:
        raise ServiceError("A draft copy goes live by swapping it in, not on its own.")
    if setup.state == SetupState.ACTIVE:
        raise ServiceError("This connection is already turned on.")
    if not setup.has_passed_test:
        raise ServiceError("Run a test sign-in that passes before turning this on.")
    client = _idp_initiated_client(setup, idp_initiated, idp_initiated_client_id)
    setup.show_as_button = show_as_button
    setup.assign_membership_on_login = assign_membership_on_login
    setup.idp_initiated = idp_initiated
    setup.idp_initiated_client_id = client.client_id if client else ""
    connection = setup.connection
    assert connection is not None
    _enable_applications(actor, setup.organization, connection)
    link = _link(setup)
    flags = {
        "show_as_button": show_as_button,
        "assign_membership_on_login": assign_membership_on_login,
    }
    if link is None:
        organization_connection_enable(
            actor=actor, organization=setup.organization, connection=connection, **flags
        )
    else:
        organization_connection_update(actor=actor, link=link, **flags)
    options: dict[str, Any] = {"domain_aliases": verified_domains(setup.organization)}
    if connection.strategy in IDP_INITIATED_STRATEGIES:
        options["idpinitiated"] = _idp_initiated_options(setup, client)
    connection_update_options(actor=actor, connection=connection, options=options)
    setup.state = SetupState.ACTIVE
    setup.activated_at = timezone.now()
    setup.disabled_at = None
    setup.save()
    audit(
        actor=actor,
        action="sso.activate",
        organization=setup.organization,
        target=setup.connection_name,
        **flags,
        idp_initiated=idp_initiated,
    )
    # Single sign-on is on: the organization's SSO-only setup links have done their work.
    setup_links.complete_sso_links(actor=actor, organization=setup.organization)
    return setup


def verified_domains(organization: Organization) -> list[str]:
    return sorted(
        Domain.objects.filter(organization=organization, status=DomainStatus.VERIFIED).values_list(
            "domain", flat=True
        )
    )


def offers_idp_initiated(setup: SsoSetup) -> bool:
    """Whether the IdP can start sign-ins itself: Auth0's `idpinitiated` options exist for
    SAML strategies only (samlp, pingfederate; not adfs, which is WS-Federation)."""
    return provider_of(setup).strategy in IDP_INITIATED_STRATEGIES


def _idp_initiated_client(setup: SsoSetup, wanted: bool, client_id: str) -> Application | None:
    if not wanted:
        return None
    if not offers_idp_initiated(setup):
        raise ServiceError(
            "Only SAML providers can start sign-ins themselves.", field="idp_initiated"
        )
    client = organization_applications(setup.organization).filter(client_id=client_id).first()
    if client is None:
        raise ServiceError(
            "Choose the application people land in after an IdP-initiated sign-in.",
            field="idp_initiated_client_id",
        )
    return client


def _idp_initiated_options(setup: SsoSetup, client: Application | None) -> dict[str, Any]:
    if client is None:
        return {"enabled": False}
    query = f"organization={setup.organization.auth0_id or setup.organization.name}"
    return {
        "enabled": True,
        "client_id": client.client_id,
        "client_protocol": "oidc",
        "client_authorizequery": query,
    }


def organization_applications(organization: Organization) -> Any:
    """The applications an organization's members sign in to (not the portal's own)."""
    return (
        Application.objects.filter(organization_usage__in=("allow", "require"))
        .exclude(is_portal_login=True)
        .order_by("name")
    )


def _enable_applications(
    actor: User | None, organization: Organization, connection: Connection
) -> None:
    have = set(
        ConnectionApplication.objects.filter(connection=connection).values_list(
            "application_id", flat=True
        )
    )
    for application in organization_applications(organization):
        if application.pk not in have:
            connection_enable_application(
                actor=actor, connection=connection, application=application
            )


def _link(setup: SsoSetup) -> OrganizationConnection | None:
    return OrganizationConnection.objects.filter(
        organization=setup.organization, connection=setup.connection
    ).first()


@transaction.atomic
def setup_disable(*, actor: User | None, setup: SsoSetup) -> SsoSetup:
    """Nobody signs in through it any more; the connection and its users stay, so it can
    be turned back on as it was."""
    setup = locked_setup(setup)
    if setup.state != SetupState.ACTIVE:
        raise ServiceError("Only a connection that is on can be turned off.")
    refuse_removing_last_method(setup)
    link = _link(setup)
    if link is not None:
        organization_connection_disable(actor=actor, link=link)
    setup.state = SetupState.DISABLED
    setup.disabled_at = timezone.now()
    setup.save()
    audit(
        actor=actor,
        action="sso.disable",
        organization=setup.organization,
        target=setup.connection_name,
    )
    return setup


@transaction.atomic
def setup_enable(*, actor: User | None, setup: SsoSetup) -> SsoSetup:
    setup = locked_setup(setup)
    if setup.state != SetupState.DISABLED or setup.connection is None:
        raise ServiceError("Only a connection that was turned off can be turned back on.")
    if setup.organization.organization_connections.count() >= MAX_ENABLED_CONNECTIONS:
        raise ServiceError(
            f"An organization can have at most {MAX_ENABLED_CONNECTIONS} enabled connections."
        )
    organization_connection_enable(
        actor=actor,
        organization=setup.organization,
        connection=setup.connection,
        show_as_button=setup.show_as_button,
        assign_membership_on_login=setup.assign_membership_on_login,
    )
    setup.state = SetupState.ACTIVE
    setup.disabled_at = None
    setup.save()
    audit(
        actor=actor,
        action="sso.enable",
        organization=setup.organization,
        target=setup.connection_name,
    )
    return setup


@transaction.atomic
def setup_delete(*, actor: User | None, setup: SsoSetup) -> None:
    """Delete the connection in Auth0 (with the users who signed in through it); draft
    copies go with it."""
    setup = locked_setup(setup)
    if setup.state == SetupState.ACTIVE:
        refuse_removing_last_method(setup)
    for copy in setup.draft_copies.filter(state__in=LIVE_STATES):
        retire_setup(actor, copy, SetupState.DELETED)
    retire_setup(actor, setup, SetupState.DELETED)
    audit(
        actor=actor,
        action="sso.delete",
        organization=setup.organization,
        target=setup.connection_name,
    )


def retire_setup(actor: User | None, setup: SsoSetup, state: str) -> None:
    if setup.connection is not None and setup.connection.deleted_at is None:
        connection_delete(actor=actor, connection=setup.connection)
    setup.state = state
    setup.save()


# --- guards -------------------------------------------------------------------------------


def other_sign_in_methods(setup: SsoSetup) -> list[str]:
    """The organization's other ways in: connections enabled on it besides this one."""
    links = (
        OrganizationConnection.objects.filter(organization=setup.organization)
        .exclude(connection=setup.connection)
        .select_related("connection")
    )
    drafts = set(
        SsoSetup.objects.filter(
            organization=setup.organization, state__in=(SetupState.DRAFT, SetupState.TESTED)
        ).values_list("connection_id", flat=True)
    )
    return [method_words(link.connection) for link in links if link.connection_id not in drafts]


def refuse_removing_last_method(setup: SsoSetup) -> None:
    refuse_removing_last_sso(setup)  # while SSO is required, the last active one stays
    if not other_sign_in_methods(setup):
        raise ServiceError(
            "This is the only way people of this organization sign in. Set up another "
            "sign-in method first, or ask our support team to remove it for you."
        )


@dataclass(frozen=True)
class Impact:
    members: int
    applications: list[str]
    other_methods: list[str]
    deletes_users: bool


def impact_of(setup: SsoSetup) -> Impact:
    """What turning it off or deleting it touches, for the confirmation page."""
    connection = setup.connection
    prefix = f"{connection.strategy}|{connection.name}|" if connection else None
    members = (
        setup.organization.members.filter(Q(user_id__startswith=prefix)).count() if prefix else 0
    )
    applications = (
        list(
            ConnectionApplication.objects.filter(connection=connection)
            .exclude(application__is_portal_login=True)
            .values_list("application__name", flat=True)
        )
        if connection
        else []
    )
    return Impact(
        members=members,
        applications=applications,
        other_methods=other_sign_in_methods(setup),
        deletes_users=connection is not None,
    )


# --- helpers ------------------------------------------------------------------------------


def locked_setup(setup: SsoSetup) -> SsoSetup:
    return (
        SsoSetup.objects.select_for_update(of=("self",))
        .select_related("organization", "connection", "replaces")
        .get(pk=setup.pk)
    )


def _refuse_if_active(setup: SsoSetup) -> None:
    if setup.state in (SetupState.ACTIVE, SetupState.DISABLED):
        raise ServiceError(
            "This connection is in use: edit it as a draft copy, test it, then swap it in."
        )
    if setup.state in (SetupState.SWAPPED, SetupState.DELETED):
        raise ServiceError("This setup is finished and cannot be changed.")


def _back_to_draft(setup: SsoSetup) -> None:
    if setup.state == SetupState.TESTED:
        setup.state = SetupState.DRAFT
