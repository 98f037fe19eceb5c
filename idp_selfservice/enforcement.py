"""Require single sign-on: an organization's members stop signing in with passwords to its
applications, while one break-glass sign-in stays (docs/sso.md, "Require single sign-on").

Auth0 offers a connection in an application when it is enabled both on the organization
and for the application (the client). So requiring single sign-on takes the
organization's *own* password database away from its applications and leaves it enabled
on the organization and for the portal's login application: an admin can still reach the
portal with a password to repair single sign-on when the identity provider is down (the
portal then checks the admin role as always, so members get nothing from it). Only staff
turn that break-glass sign-in off or on. A shared password database serves other
organizations' applications too, so it cannot be restricted per organization.

Existing sessions are not ended: the change applies to the next sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from idp_selfservice.models import SetupState, SsoPolicy, SsoSetup, SsoTest, TestOutcome
from orgs.models import (
    Application,
    Connection,
    ConnectionApplication,
    Organization,
    OrganizationConnection,
    OrgStatus,
)
from orgs.models.connections import Strategy
from orgs.services.audit import audit
from orgs.services.connections import (
    connection_disable_application,
    connection_enable_application,
)
from orgs.services.errors import ServiceError
from portal.models import User

SHARED_DATABASE = (
    "Members of this organization sign in with the shared password database, which other "
    "organizations use too; ask us to give your organization a database of its own first."
)
ENTERPRISE_ONLY = (
    "Members of this organization already sign in only through single sign-on: it has no "
    "password database."
)
NO_TESTED_SSO = (
    "Turn on a single sign-on connection whose last test sign-in passed first; otherwise "
    "nobody could sign in."
)
LAST_SSO = (
    "Single sign-on is required for this organization and this is its only connection "
    "that is on: members would have no way in. Allow passwords again first."
)
STAFF_ONLY = "Only our staff can turn the emergency sign-in off or on."
NO_OWN_DATABASE = (
    "This organization has no password database of its own, so it has no emergency "
    "password sign-in to change."
)


@dataclass(frozen=True)
class Standing:
    """Where an organization stands, for its card and confirmation pages."""

    policy: SsoPolicy  # unsaved default when nothing was ever set
    database: Connection | None  # its own password database, enabled on it
    password_applications: list[str]  # where that database offers passwords now
    withheld_applications: list[str]  # where the portal took it away
    sso_connections: list[str]  # active setups whose last test passed
    break_glass_live: bool  # the database serves the portal's login application now
    refusal: str  # why single sign-on cannot be required now ("" when it can)
    shared: bool  # on the shared password database


# --- reading ------------------------------------------------------------------------------


def policy_for(organization: Organization) -> SsoPolicy:
    """The organization's policy, or an unsaved default (passwords allowed, break-glass on)."""
    found = SsoPolicy.objects.filter(organization=organization).first()
    return found or SsoPolicy(organization=organization)


def is_required(organization: Organization) -> bool:
    return SsoPolicy.objects.filter(organization=organization, require_sso=True).exists()


def own_database(organization: Organization) -> Connection | None:
    """The password database the organization owns, if it is enabled on it."""
    return (
        Connection.objects.filter(
            organization=organization,
            strategy=Strategy.DATABASE,
            deleted_at=None,
            organization_links__organization=organization,
        )
        .order_by("pk")
        .first()
    )


def uses_shared_database(organization: Organization) -> bool:
    return OrganizationConnection.objects.filter(
        organization=organization,
        connection__strategy=Strategy.DATABASE,
        connection__organization=None,
    ).exists()


def last_test_passed(setup: SsoSetup) -> bool:
    """Its most recent finished test sign-in passed (a swapped-in draft's tests count: they
    tested what is live now)."""
    latest = (
        SsoTest.objects.filter(
            Q(setup=setup) | Q(setup__replaces=setup, setup__state=SetupState.SWAPPED)
        )
        .exclude(outcome=TestOutcome.PENDING)
        .order_by("-finished_at", "-pk")
        .first()
    )
    return latest is not None and latest.outcome == TestOutcome.PASSED


def working_setups(organization: Organization) -> list[SsoSetup]:
    """Active setups (not draft copies) whose last test passed."""
    active = SsoSetup.objects.filter(
        organization=organization, state=SetupState.ACTIVE, replaces=None
    ).select_related("connection")
    return [setup for setup in active if last_test_passed(setup)]


def standing(organization: Organization) -> Standing:
    policy = policy_for(organization)
    database = own_database(organization)
    linked = _linked_applications(database) if database else []
    withheld = list(policy.withheld_applications.order_by("name")) if policy.pk else []
    return Standing(
        policy=policy,
        database=database,
        password_applications=[a.name for a in linked if not a.is_portal_login],
        withheld_applications=[a.name for a in withheld if not a.is_portal_login],
        sso_connections=[s.connection_name for s in working_setups(organization)],
        break_glass_live=any(a.is_portal_login for a in linked),
        refusal="" if policy.require_sso else require_refusal(organization),
        shared=uses_shared_database(organization),
    )


def require_refusal(organization: Organization) -> str:
    """Why single sign-on cannot be required now, in plain words ("" when it can)."""
    if organization.status != OrgStatus.ACTIVE:
        return "Single sign-on can be required once the organization is active."
    if uses_shared_database(organization):
        return SHARED_DATABASE
    database = own_database(organization)
    if database is None:
        return ENTERPRISE_ONLY
    setups = working_setups(organization)
    if not setups:
        return NO_TESTED_SSO
    unserved = _unserved_applications(database, setups)
    if unserved:
        return (
            "No single sign-on connection of yours is turned on for "
            + ", ".join(unserved)
            + ", so members could not sign in there any more. Ask us to add it first."
        )
    return ""


def method_words(connection: Connection) -> str:
    """A sign-in method's name for "people can still sign in with", saying what an own
    password database is still good for while single sign-on is required."""
    organization = connection.organization
    if organization is None or not connection.is_database or not is_required(organization):
        return str(connection)
    return f"{connection} (passwords only for admins' emergency sign-in to this portal)"


# --- guards -------------------------------------------------------------------------------


def refuse_removing_last_sso(setup: SsoSetup) -> None:
    """While single sign-on is required, the last active connection stays (services'
    refuse_removing_last_method calls this first)."""
    if setup.state != SetupState.ACTIVE or not is_required(setup.organization):
        return
    others = SsoSetup.objects.filter(
        organization=setup.organization, state=SetupState.ACTIVE, replaces=None
    ).exclude(pk=setup.pk)
    if not others.exists():
        raise ServiceError(LAST_SSO)


# --- writing ------------------------------------------------------------------------------


@transaction.atomic
def require_sso(*, actor: User | None, organization: Organization) -> SsoPolicy:
    """Take the own password database away from the organization's applications; keep it
    for the portal's login application while the break-glass sign-in is on."""
    policy = _locked_policy(organization)
    if policy.require_sso:
        raise ServiceError("Single sign-on is already required for this organization.")
    refusal = require_refusal(organization)
    if refusal:
        raise ServiceError(refusal)
    database = own_database(organization)
    assert database is not None
    withheld: list[str] = []
    for application in _linked_applications(database):
        if application.is_portal_login and policy.break_glass:
            continue
        connection_disable_application(actor=actor, connection=database, application=application)
        policy.withheld_applications.add(application)
        withheld.append(application.name)
    if policy.break_glass:
        _keep_break_glass(actor, database)
    policy.require_sso = True
    _changed(policy, actor)
    audit(
        actor=actor,
        action="sso.require",
        organization=organization,
        target=database.name,
        applications=withheld,
        break_glass=policy.break_glass,
    )
    return policy


@transaction.atomic
def allow_passwords(*, actor: User | None, organization: Organization) -> SsoPolicy:
    """Give the password database back to every application it was taken from."""
    policy = _locked_policy(organization)
    if not policy.require_sso:
        raise ServiceError("Passwords are already allowed for this organization.")
    database = own_database(organization)
    given: list[str] = []
    if database is not None:
        have = {a.pk for a in _linked_applications(database)}
        for application in policy.withheld_applications.order_by("name"):
            if application.pk not in have:
                connection_enable_application(
                    actor=actor, connection=database, application=application
                )
                given.append(application.name)
    policy.withheld_applications.clear()
    policy.require_sso = False
    _changed(policy, actor)
    audit(
        actor=actor,
        action="sso.allow_passwords",
        organization=organization,
        target=database.name if database else organization.name,
        applications=given,
    )
    return policy


@transaction.atomic
def set_break_glass(*, actor: User | None, organization: Organization, on: bool) -> SsoPolicy:
    """Staff only: keep (on) or remove (off) the admins' password sign-in to this portal
    while single sign-on is required. While it is not, only the setting changes."""
    if actor is not None and not actor.is_staff:
        raise ServiceError(STAFF_ONLY)
    database = own_database(organization)
    if database is None:
        raise ServiceError(NO_OWN_DATABASE)
    policy = _locked_policy(organization)
    if policy.break_glass == on:
        raise ServiceError("The emergency sign-in is already " + ("on." if on else "off."))
    if policy.require_sso:
        if on:
            _keep_break_glass(actor, database)
            policy.withheld_applications.remove(*_portal_logins())
        else:
            for application in _linked_applications(database):
                if application.is_portal_login:
                    connection_disable_application(
                        actor=actor, connection=database, application=application
                    )
                    policy.withheld_applications.add(application)
    policy.break_glass = on
    _changed(policy, actor)
    audit(
        actor=actor,
        action="sso.break_glass",
        organization=organization,
        target=database.name,
        on=on,
        applies_now=policy.require_sso,
    )
    return policy


# --- helpers ------------------------------------------------------------------------------


def _locked_policy(organization: Organization) -> SsoPolicy:
    SsoPolicy.objects.get_or_create(organization=organization)
    return SsoPolicy.objects.select_for_update().get(organization=organization)


def _changed(policy: SsoPolicy, actor: User | None) -> None:
    policy.changed_by = actor
    policy.changed_at = timezone.now()
    policy.save()


def _linked_applications(database: Connection) -> list[Application]:
    return list(Application.objects.filter(connection_links__connection=database).order_by("name"))


def _portal_logins() -> list[Application]:
    return list(Application.objects.filter(is_portal_login=True))


def _keep_break_glass(actor: User | None, database: Connection) -> None:
    """The password database serves the portal's login application (enabled if it did not:
    the break-glass sign-in has to exist, not only be promised)."""
    have = set(
        ConnectionApplication.objects.filter(connection=database).values_list(
            "application_id", flat=True
        )
    )
    for application in _portal_logins():
        if application.pk not in have:
            connection_enable_application(actor=actor, connection=database, application=application)


def _unserved_applications(database: Connection, setups: list[SsoSetup]) -> list[str]:
    """Applications that would lose passwords although no working SSO connection serves
    them: requiring single sign-on would lock members out of them."""
    served = set(
        ConnectionApplication.objects.filter(
            connection__in=[s.connection for s in setups if s.connection is not None]
        ).values_list("application_id", flat=True)
    )
    return [
        a.name
        for a in _linked_applications(database)
        if not a.is_portal_login and a.pk not in served
    ]
