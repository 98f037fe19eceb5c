"""Test sign-ins (step 5): begin one through the portal's own login application with
this connection and the organization, and finish it on the portal's callback without
ever logging the browser in as the tested user.

The secrets of each pending test (state, nonce, PKCE verifier) live in the admin's
session, beside their portal login and never touching it (`SESSION_TESTS`). Finishing
exchanges the code, verifies the ID token, reads the whole profile Auth0 kept (raw SAML
attributes included) and checks it; a failure from Auth0 or the IdP becomes plain words
and a hint of what to change in the IdP, in that IdP's own labels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from idp_selfservice import services
from idp_selfservice.models import SsoSetup, SsoTest, TestOutcome
from idp_selfservice.providers import OIDC_FAMILY, Provider
from idp_selfservice.services import TestResult
from idp_selfservice.sp_values import sp_values
from orgs.auth0.errors import Auth0Error
from orgs.models import UNSETTLED_STATES, OpState, SyncOperation
from orgs.services.errors import ServiceError
from portal import oidc
from portal.models import User

SESSION_TESTS = "sso_tests"  # state -> {test, nonce, verifier}: tests waiting for the callback
SESSION_FINISHED = "sso_tests_done"  # state -> test pk: a replayed callback shows the result
MAX_PENDING = 5  # per session; the oldest is forgotten first
MAX_FINISHED = 10
# A test nobody finished (the tab was closed) stops being waited for after this.
WAIT_FOR = timedelta(minutes=15)
# Never stored nor shown: the IdP's tokens (in identities), the test's one-time nonce
# and the tenant's session id.
SECRET_KEYS = frozenset(
    {"access_token", "refresh_token", "access_token_secret", "id_token", "nonce", "sid"}
)


# --- before a test: is everything in Auth0? ----------------------------------------------


def connection_operations(setup: SsoSetup) -> Any:
    """The operations that put this connection in Auth0: the connection itself, its
    link to the organization and the applications enabled on it."""
    connection = setup.connection
    if connection is None:
        return SyncOperation.objects.none()
    link_key = f"organizationconnection:{setup.organization_id}:{connection.pk}"
    return (
        SyncOperation.objects.filter(
            Q(target_type="connection", target_id=connection.pk)
            | Q(target_key=link_key)
            | Q(target_key__startswith=f"connectionapplication:{connection.pk}:")
        )
        .select_related("depends_on", "organization")
        .order_by("-created_at")
    )


def waiting_operations(setup: SsoSetup) -> Any:
    """Those not in Auth0 yet: queued, running, or failed and waiting for a person."""
    return connection_operations(setup).filter(state__in=UNSETTLED_STATES)


def refusal_to_start(setup: SsoSetup) -> str:
    """Why a test cannot start now, in plain words ("" when it can)."""
    if setup.connection is None:
        return "Tell us about your identity provider first (step 3)."
    if not setup.organization.auth0_id:
        return "Your organization is still being created in Auth0; try again in a few seconds."
    waiting = waiting_operations(setup)
    if waiting.filter(state=OpState.FAILED).exists():
        return (
            "Some of your settings could not be sent to Auth0. Retry them below; the test "
            "can start once they are there."
        )
    if waiting.exists():
        return "We are still sending your settings to Auth0; this takes a few seconds."
    return ""


# --- begin --------------------------------------------------------------------------------


def begin(session: MutableMapping[str, Any], *, actor: User | None, setup: SsoSetup) -> str:
    """Record a pending test and return the authorize URL that runs it: the portal's
    login application, this connection only, this organization, a fresh sign-in."""
    refusal = refusal_to_start(setup)
    if refusal:
        raise ServiceError(refusal)
    test = services.test_begin(actor=actor, setup=setup)
    connection = setup.connection
    assert connection is not None
    begun = oidc.begin_login(
        organization=setup.organization.auth0_id,
        connection=connection.name,
        prompt_login=True,
    )
    pending = dict(session.get(SESSION_TESTS) or {})
    pending[begun.state] = {
        "test": test.pk,
        "nonce": begun.nonce,
        "verifier": begun.code_verifier,
    }
    session[SESSION_TESTS] = dict(list(pending.items())[-MAX_PENDING:])
    return begun.url


def pending_for(session: Mapping[str, Any], state: str) -> dict[str, Any] | None:
    found = (session.get(SESSION_TESTS) or {}).get(state)
    return dict(found) if isinstance(found, dict) else None


def take_pending(session: MutableMapping[str, Any], state: str) -> dict[str, Any] | None:
    """The pending test for `state`, forgotten at once so it is finished only once."""
    pending = dict(session.get(SESSION_TESTS) or {})
    found = pending.pop(state, None)
    session[SESSION_TESTS] = pending
    return dict(found) if isinstance(found, dict) else None


def finished_for(session: Mapping[str, Any], state: str) -> int | None:
    found = (session.get(SESSION_FINISHED) or {}).get(state)
    return int(found) if found is not None else None


def remember_finished(session: MutableMapping[str, Any], state: str, test: SsoTest) -> None:
    finished = dict(session.get(SESSION_FINISHED) or {})
    finished[state] = test.pk
    session[SESSION_FINISHED] = dict(list(finished.items())[-MAX_FINISHED:])


def is_waiting(test: SsoTest | None) -> bool:
    """Still worth waiting for (and polling for): pending and recent."""
    return (
        test is not None
        and test.outcome == TestOutcome.PENDING
        and test.started_at >= timezone.now() - WAIT_FOR
    )


# --- finish -------------------------------------------------------------------------------


def finish(test: SsoTest, params: Mapping[str, str], pending: Mapping[str, Any]) -> TestResult:
    """What the callback brought back for `test`, checked (nothing is recorded here)."""
    setup = test.setup
    if params.get("error"):
        failure = explain_failure(setup, params["error"], params.get("error_description", ""))
        return TestResult(passed=False, reason=failure.reason, hint=failure.hint)
    try:
        claims = oidc.finish_login(
            code=params.get("code", ""),
            code_verifier=str(pending["verifier"]),
            nonce=str(pending["nonce"]),
        )
    except oidc.LoginError:
        return TestResult(
            passed=False,
            reason="The sign-in came back, but Auth0 would not confirm who signed in.",
            hint="Start the test again. If it keeps happening, contact our support team.",
        )
    return check(setup, clean(claims), *read_profile(str(claims.get("sub", ""))))


def read_profile(user_id: str) -> tuple[dict[str, Any], str]:
    """Every attribute Auth0 kept for the user (raw SAML attributes are both at the root
    and in identities[0].profileData), without tokens; and a note when it is unreadable."""
    try:
        user = oidc_user(user_id)
    except Auth0Error:
        return {}, "We could not read the full profile from Auth0 just now."
    if user is None:
        return {}, "Auth0 has no profile for this user (yet)."
    return profile_attributes(user), ""


def oidc_user(user_id: str) -> dict[str, Any] | None:
    from orgs.auth0.operations.users import get_user

    return get_user(user_id) if user_id else None


def profile_attributes(user: Mapping[str, Any]) -> dict[str, Any]:
    identities = user.get("identities") or []
    first = identities[0] if identities and isinstance(identities[0], Mapping) else {}
    profile_data = first.get("profileData") or {}
    attributes = {k: v for k, v in user.items() if k != "identities"}
    for key, value in profile_data.items():
        attributes.setdefault(key, value)
    return clean(attributes)


def clean(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in SECRET_KEYS}


def check(
    setup: SsoSetup, claims: dict[str, Any], attributes: dict[str, Any], note: str = ""
) -> TestResult:
    """Signed in to this organization, with an email, at one of its verified domains."""
    user_id = str(claims.get("sub") or attributes.get("user_id") or "")
    email = str(claims.get("email") or attributes.get("email") or "")
    found: dict[str, Any] = {
        "user_id": user_id,
        "email": email,
        "claims": claims,
        "attributes": attributes,
    }
    organization = setup.organization
    if claims.get("org_id") != organization.auth0_id:
        return TestResult(
            passed=False,
            reason=f"The sign-in was not for {organization}.",
            hint="Start the test again from this page.",
            **found,
        )
    if not email:
        return TestResult(
            passed=False,
            reason="Your identity provider did not send an email address.",
            hint=missing_email_hint(setup),
            **found,
        )
    domains = services.verified_domains(organization)
    domain = email.rsplit("@", 1)[-1].lower()
    if domains and domain not in domains:
        listed = ", ".join(domains)
        return TestResult(
            passed=False,
            reason=f"{email} is not at one of your organization's verified domains ({listed}).",
            hint=(
                "Test with an account at a verified domain, or verify this domain on the "
                "Domains tab first: people are sent to this sign-in by their email's domain."
            ),
            **found,
        )
    warning = note
    if not domains:
        warning = " ".join(
            part
            for part in (
                note,
                "Your organization has no verified domains yet. Verify them on the Domains "
                "tab so that people are sent to this sign-in by their email address.",
            )
            if part
        )
    return TestResult(passed=True, hint=warning, **found)


def missing_email_hint(setup: SsoSetup) -> str:
    provider = services.provider_of(setup)
    if provider.family == OIDC_FAMILY:
        return (
            "Make sure the application in your identity provider may release the email "
            "scope, and that your account has an email address."
        )
    expected = setup.attribute_map.get("email") or "email"
    statement = next((a for a in provider.attributes if a.profile_field == "email"), None)
    source = f" with the value {statement.idp_value}" if statement else ""
    return (
        f'In {_idp(provider)}, add an attribute named "{expected}"{source}: the attribute '
        "mapping (step 4) reads the email from it."
    )


# --- failures in plain words -----------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    reason: str
    hint: str


_AUDIENCE = re.compile(r"audience is invalid\.?\s*(configured:\s*(?P<value>\S+))?", re.I)
_ISSUER = re.compile(r"issuer is invalid\.?\s*(configured:\s*(?P<value>\S+))?", re.I)
_SIGNATURE = re.compile(r"invalid thumbprint|signature", re.I)
_EXPIRED = re.compile(r"certificate.*expired|expired.*certificate", re.I)
_NOT_A_MEMBER = re.compile(r"^user \S+ is not part of the \S+ organization$", re.I)
_NOT_ENABLED = re.compile(r"the connection (is not enabled|was not found)", re.I)


def explain_failure(setup: SsoSetup, error: str, description: str) -> Failure:
    """Auth0's (and the sandbox's) error_description, which is written for developers
    and never shown, as what went wrong and what to change."""
    provider = services.provider_of(setup)
    idp = _idp(provider)
    text = description.strip()
    if audience := _AUDIENCE.search(text):
        return _audience(setup, provider, audience["value"])
    if issuer := _ISSUER.search(text):
        return _issuer(provider, issuer["value"])
    if _EXPIRED.search(text):
        return Failure(
            "Your identity provider signed the sign-in with a certificate that has expired.",
            f"In {idp}, create a new signing certificate for the app and make it active, "
            "then give us the new metadata or certificate (step 3).",
        )
    if _SIGNATURE.search(text):
        return Failure(
            "The sign-in was not signed with the certificate we have for your identity "
            "provider, so we could not trust it.",
            f"In {idp}, copy the app's current signing certificate or metadata again and "
            "give it to us (step 3). A certificate renewed in the IdP must be renewed here.",
        )
    if _NOT_A_MEMBER.match(text):
        return Failure(
            "The account you signed in with is not a member of this organization.",
            "Sign in as a member, or keep “add people to the organization when they first "
            "sign in” on.",
        )
    if _NOT_ENABLED.search(text):
        return Failure(
            "Auth0 does not offer this connection for the test yet.",
            "Wait until every change below has reached Auth0, then start the test again.",
        )
    if error == "access_denied":
        return Failure(
            "The sign-in was refused.",
            f"Check that your account is assigned to the app in {idp}, then start the test again.",
        )
    return Failure(
        "The test sign-in did not complete.",
        "Start the test again. If it keeps failing, contact our support team with the "
        "time of the test.",
    )


def _audience(setup: SsoSetup, provider: Provider, configured: str | None) -> Failure:
    reason = (
        "Your identity provider sent the sign-in for a different application: the "
        "audience did not match."
    )
    if not provider.is_saml_like:
        return Failure(
            reason,
            f"Check that the client ID you gave us is the one of the application in "
            f"{_idp(provider)}.",
        )
    options = setup.connection.options if setup.connection else {}
    expected = configured or options.get("entityId") or sp_values(setup.connection_name).entity_id
    label = label_for(provider, "entity_id")
    return Failure(reason, f"In {_idp(provider)}, {label} must be exactly {expected}")


def _issuer(provider: Provider, configured: str | None) -> Failure:
    expected = f" We expect {configured}." if configured else ""
    idp = _idp(provider)
    if provider.is_saml_like:
        return Failure(
            "The sign-in came from a different identity provider than the one set up here: "
            f"the entity ID (issuer) did not match.{expected}",
            f"In {idp}, check that you signed in to the app whose metadata you gave us. If the "
            "app was re-created or moved, give us its current metadata again (step 3).",
        )
    return Failure(
        "The sign-in came from a different identity provider than the one set up here: "
        f"the issuer did not match.{expected}",
        f"In {idp}, copy the issuer or discovery URL again and give it to us (step 3).",
    )


def label_for(provider: Provider, key: str) -> str:
    """The IdP's own label for one of our values ("Audience URI (SP Entity ID)")."""
    for step in provider.steps:
        for value_key, label in step.values:
            if value_key == key:
                return f"“{label}”"
    return "the entity ID" if key == "entity_id" else key


def _idp(provider: Provider) -> str:
    return provider.name if provider.key not in ("saml", "oidc") else "your identity provider"
