"""The test sign-in (step 5) against the real sandbox: the portal starts it through its
own login application with this connection and organization, the stand-in IdP answers,
and the portal's callback records the outcome without ever logging the browser in as
the tested user."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client

from idp_selfservice import services
from idp_selfservice.models import SetupState, SsoTest
from idp_selfservice.models import TestOutcome as Outcome
from idp_selfservice.testing import MAX_PENDING, SESSION_TESTS
from orgs.models import AuditEvent, Domain
from orgs.models.organizations import DomainStatus
from portal.oidc import callback_url
from tests.idp_selfservice.test_testing_support import (
    JANE,
    acme,
    details_from,
    okta_setup,
    run_test,
    signed_in_admin,
    start,
    through_idp,
    url,
)
from tests.orgs.engine import drain

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def test_the_test_starts_at_auth0_with_this_connection_and_organization(
    client: Client, imported_tenant: Any
) -> None:
    signed_in_admin(client, imported_tenant)
    setup = okta_setup(acme())
    authorize = urlsplit(start(client, imported_tenant, setup))
    query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert authorize.path == "/authorize"
    assert query["connection"] == setup.connection_name
    assert query["organization"] == acme().auth0_id
    assert query["prompt"] == "login"
    assert query["client_id"] == settings.AUTH0_LOGIN_CLIENT_ID
    assert query["redirect_uri"] == callback_url()
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) >= 43
    pending = client.session[SESSION_TESTS]
    assert set(pending) == {query["state"]}
    assert pending[query["state"]]["nonce"] == query["nonce"]
    assert SsoTest.objects.get(setup=setup).outcome == Outcome.PENDING


def test_a_passing_test_shows_every_attribute_and_keeps_the_admin_signed_in(
    client: Client, imported_tenant: Any
) -> None:
    admin = signed_in_admin(client, imported_tenant)
    session_before = {k: client.session[k] for k in ("_auth_user_id", "org_pk")}
    setup = okta_setup(acme())
    test, response, _ = run_test(client, imported_tenant, setup)
    assert response.status_code == 302
    assert response["Location"] == url("test_result", setup, test.pk)
    assert response.wsgi_request.user == admin  # never the tested user
    assert {k: client.session[k] for k in session_before} == session_before
    assert test.outcome == Outcome.PASSED, test.reason
    assert test.email == "jane.doe@acme.test"
    assert test.user_id == f"samlp|{setup.connection_name}|jane.doe@acme.test"
    setup.refresh_from_db()
    assert setup.state == SetupState.TESTED
    page = client.get(response["Location"])
    text = _text(page)
    assert page.wsgi_request.user == admin
    assert "The test sign-in worked" in text and "Continue: turn it on" in text
    assert "no verified domains yet" in text  # passes, with the warning
    for name, value in [("groups", "engineering, on-call"), ("firstName", "Jane"), ("org_id", "")]:
        assert f"<code>{name}</code>" in text
        assert value in text
    assert "nonce" not in text and "access_token" not in text


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        ("audience", "the audience did not match"),
        ("issuer", "the entity ID (issuer) did not match"),
        ("signature", "not signed with the certificate we have"),
        ("certificate_expired", "a certificate that has expired"),
        ("no_email", "did not send an email address"),
    ],
)
def test_each_failure_is_recorded_in_plain_words(
    client: Client, imported_tenant: Any, failure: str, reason: str
) -> None:
    signed_in_admin(client, imported_tenant)
    setup = okta_setup(acme())
    test, response, _ = run_test(client, imported_tenant, setup, {**JANE, "failure": failure})
    assert test.outcome == Outcome.FAILED and reason in test.reason
    text = _text(client.get(response["Location"]))
    assert "The test sign-in failed" in text and reason in text
    assert "Continue: turn it on" not in text
    if failure == "audience":
        entity = f"urn:auth0:sandbox:{setup.connection_name}"
        assert test.hint == f"In Okta, “Audience URI (SP Entity ID)” must be exactly {entity}"
    if failure == "no_email":
        assert 'add an attribute named "email" with the value user.email' in test.hint
    assert "Configured:" not in text and "thumbprint" not in text
    setup.refresh_from_db()
    assert setup.state == SetupState.DRAFT


def test_an_email_outside_the_verified_domains_fails(client: Client, imported_tenant: Any) -> None:
    signed_in_admin(client, imported_tenant)
    organization = acme()
    Domain.objects.create(
        organization=organization,
        domain="acme.test",
        verification_token="t",
        status=DomainStatus.VERIFIED,
    )
    setup = okta_setup(organization)
    outsider = {"subject": "joe@elsewhere.test", "attributes": {"email": "joe@elsewhere.test"}}
    test, _, _ = run_test(client, imported_tenant, setup, outsider)
    assert test.outcome == Outcome.FAILED
    assert test.reason == (
        "joe@elsewhere.test is not at one of your organization's verified domains (acme.test)."
    )
    inside, _, _ = run_test(client, imported_tenant, setup)
    assert inside.outcome == Outcome.PASSED and not inside.hint


def test_a_replayed_callback_records_nothing_twice(client: Client, imported_tenant: Any) -> None:
    signed_in_admin(client, imported_tenant)
    setup = okta_setup(acme())
    test, first, callback = run_test(client, imported_tenant, setup)
    events = AuditEvent.objects.filter(action="sso.test").count()
    again = client.get(callback)
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert SsoTest.objects.filter(setup=setup).count() == 1
    assert AuditEvent.objects.filter(action="sso.test").count() == events
    stranger = Client()  # another browser: not its test, and the code is spent
    assert stranger.get(callback).status_code == 400
    test.refresh_from_db()
    assert test.outcome == Outcome.PASSED


def test_no_test_starts_while_the_settings_are_on_their_way(
    client: Client, imported_tenant: Any
) -> None:
    signed_in_admin(client, imported_tenant)
    setup = services.setup_start(actor=None, organization=acme(), provider_key="okta")
    setup = services.setup_save_idp(actor=None, setup=setup, details=details_from("okta.xml"))
    page = _text(client.get(url("test", setup)))
    assert "We are still sending your settings to Auth0; this takes a few seconds" in page
    assert 'id="operations"' in page and 'hx-trigger="every 2s"' in page
    assert "test_start" not in page and "Start the test sign-in" not in page
    refused = client.post(url("test_start", setup))
    assert refused.status_code == 302 and refused["Location"] == url("test", setup)
    assert not SsoTest.objects.filter(setup=setup).exists()
    live = client.get(url("test", setup) + "?part=operations")
    assert "HX-Trigger" not in live and 'hx-trigger="every 2s"' in _text(live)
    drain()
    settled = client.get(url("test", setup) + "?part=operations")
    assert settled["HX-Trigger"] == "operationsSettled"  # the page refreshes itself once
    assert "Start the test sign-in" in _text(client.get(url("test", setup)))


def test_the_page_waits_for_a_pending_test_and_stops_when_it_arrives(
    client: Client, imported_tenant: Any
) -> None:
    signed_in_admin(client, imported_tenant)
    setup = okta_setup(acme())
    page = _text(client.get(url("test", setup)))
    assert 'target="_blank" rel="noopener"' in page and "(opens in a new tab)" in page
    authorize = start(client, imported_tenant, setup)
    waiting = _text(client.get(url("test", setup) + "?part=latest"))
    assert 'hx-trigger="every 2s"' in waiting and "Waiting for the sign-in" in waiting
    client.get(through_idp(imported_tenant, authorize))
    done = _text(client.get(url("test", setup) + "?part=latest"))
    assert "hx-trigger" not in done and "The test sign-in worked" in done
    listed = _text(client.get(url("test", setup)))
    assert "admin@acme.test" in listed and "Passed" in listed


def test_pending_tests_per_session_are_bounded(client: Client, imported_tenant: Any) -> None:
    signed_in_admin(client, imported_tenant)
    setup = okta_setup(acme())
    for _ in range(MAX_PENDING + 2):
        start(client, imported_tenant, setup)
    assert len(client.session[SESSION_TESTS]) == MAX_PENDING
