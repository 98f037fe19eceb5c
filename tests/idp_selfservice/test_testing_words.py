"""Test sign-ins in plain words: every failure Auth0 (or the sandbox standing in for it)
sends back becomes a reason and a hint in the IdP's own labels, never Auth0's text; the
checks on what came back; the values as the result page shows them."""

from __future__ import annotations

from typing import Any

import pytest

from idp_selfservice.models import SsoSetup, SsoTest
from idp_selfservice.testing import (
    SESSION_TESTS,
    check,
    explain_failure,
    profile_attributes,
    remember_finished,
    take_pending,
)
from idp_selfservice.views.testing import display_value, value_rows
from orgs.models import Domain, Organization
from orgs.models.organizations import DomainStatus

ENTITY = "urn:auth0:sandbox:acme-okta"


def _setup(provider: str = "okta") -> SsoSetup:
    return SsoSetup(
        provider=provider, connection_name="acme-okta", attribute_map={"email": "email"}
    )


@pytest.mark.parametrize(
    ("provider", "label"),
    [
        ("okta", "In Okta, “Audience URI (SP Entity ID)” must be exactly"),
        ("entra", "In Microsoft Entra ID, “Identifier (Entity ID)” must be exactly"),
        ("google", "In Google Workspace, “Entity ID” must be exactly"),
    ],
)
def test_a_wrong_audience_names_the_idps_own_field(provider: str, label: str) -> None:
    failure = explain_failure(
        _setup(provider), "access_denied", f"Audience is invalid. Configured: {ENTITY}"
    )
    assert "audience did not match" in failure.reason
    assert failure.hint == f"{label} {ENTITY}"


def test_an_oidc_audience_problem_points_at_the_client_id() -> None:
    failure = explain_failure(_setup("oidc"), "access_denied", "Audience is invalid.")
    assert "client ID" in failure.hint


@pytest.mark.parametrize(
    ("description", "reason_has", "hint_has"),
    [
        (
            "Issuer is invalid. Configured: http://www.okta.com/exk1",
            "the entity ID (issuer) did not match. We expect http://www.okta.com/exk1.",
            "In Okta",
        ),
        (
            "Invalid thumbprint (configured: 9f3a, calculated: 11aa)",
            "not signed with the certificate we have",
            "signing certificate",
        ),
        (
            "The signing certificate of the SAML response has expired",
            "certificate that has expired",
            "create a new signing certificate",
        ),
        (
            "user samlp|acme-okta|jane is not part of the org_abc organization",
            "not a member of this organization",
            "Sign in as a member",
        ),
        ("the connection is not enabled", "does not offer this connection", "Wait until"),
        (
            "the connection is not enabled for the organization",
            "does not offer this connection",
            "start the test again",
        ),
        ("Something only a developer reads", "The sign-in was refused.", "assigned to the app"),
    ],
)
def test_each_failure_becomes_plain_words(description: str, reason_has: str, hint_has: str) -> None:
    failure = explain_failure(_setup(), "access_denied", description)
    assert reason_has in failure.reason and hint_has in failure.hint
    assert description not in failure.reason + failure.hint  # never Auth0's words


def test_an_unknown_error_gets_a_generic_sentence() -> None:
    failure = explain_failure(_setup(), "server_error", "kaboom 0x42")
    assert failure.reason == "The test sign-in did not complete."
    assert "kaboom" not in failure.hint


def test_a_generic_provider_is_called_your_identity_provider() -> None:
    failure = explain_failure(
        _setup("saml"), "access_denied", "The signing certificate of the SAML response has expired"
    )
    assert failure.hint.startswith("In your identity provider,")


@pytest.mark.django_db
def test_the_checks_on_what_came_back() -> None:
    org = Organization.objects.create(name="acme", display_name="Acme", auth0_id="org_acme")
    setup = SsoSetup(
        organization=org,
        provider="okta",
        connection_name="acme-okta",
        attribute_map={"email": "mail"},
    )
    claims: dict[str, Any] = {"sub": "samlp|acme-okta|jane", "org_id": "org_acme"}
    no_email = check(setup, claims, {})
    assert not no_email.passed and no_email.reason.endswith("did not send an email address.")
    assert 'add an attribute named "mail" with the value user.email' in no_email.hint
    claims["email"] = "jane@elsewhere.test"
    unverified = check(setup, claims, {})
    assert unverified.passed and "no verified domains yet" in unverified.hint
    Domain.objects.create(
        organization=org, domain="acme.test", verification_token="t", status=DomainStatus.VERIFIED
    )
    outside = check(setup, claims, {})
    assert not outside.passed
    assert outside.reason == (
        "jane@elsewhere.test is not at one of your organization's verified domains (acme.test)."
    )
    claims["email"] = "jane@acme.test"
    passed = check(setup, claims, {"given_name": "Jane"})
    assert passed.passed and not passed.hint and passed.user_id == "samlp|acme-okta|jane"
    assert passed.attributes == {"given_name": "Jane"}
    other_org = check(setup, {**claims, "org_id": "org_other"}, {})
    assert not other_org.passed and "not for Acme" in other_org.reason


def test_the_profile_keeps_every_attribute_and_no_token() -> None:
    user = {
        "user_id": "samlp|c|jane",
        "email": "jane@acme.test",
        "http://schemas/claims/role": ["admin", "ops"],
        "identities": [
            {
                "connection": "c",
                "access_token": "secret",
                "profileData": {"department": "Ops", "email": "jane@acme.test"},
            }
        ],
    }
    attributes = profile_attributes(user)
    assert attributes["department"] == "Ops"
    assert attributes["http://schemas/claims/role"] == ["admin", "ops"]
    assert "identities" not in attributes and "secret" not in str(attributes)


def test_values_are_shown_arrays_joined() -> None:
    assert display_value(["a", "b"]) == "a, b"
    assert display_value(True) == "true"
    assert display_value({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
    assert value_rows({"z": 1, "a": None}) == [("a", ""), ("z", "1")]


def test_pending_tests_are_bounded_and_taken_once() -> None:
    session: dict[str, Any] = {SESSION_TESTS: {f"s{i}": {"test": i} for i in range(5)}}
    assert take_pending(session, "s1") == {"test": 1}
    assert take_pending(session, "s1") is None
    remember_finished(session, "s1", SsoTest(pk=1))
    assert session["sso_tests_done"] == {"s1": 1}
