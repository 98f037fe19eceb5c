"""Helpers for the test sign-in and lifecycle tests (no tests here): a SAML setup from a
metadata fixture, the customer admin signed in through the tenant, and one test sign-in
driven through the sandbox's stand-in IdP as a browser would."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.test import Client
from django.urls import reverse

from idp_selfservice import services
from idp_selfservice.models import MetadataSource, SsoSetup, SsoTest
from idp_selfservice.saml_metadata import parse_metadata
from orgs.models import Organization
from portal.models import User
from tests.orgs.engine import drain
from tests.portal.test_login import log_in_through_tenant
from tests.sandbox.login_support import Browser

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "saml-metadata"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@acme.test", "Acme-demo-2026!"
JANE = {
    "subject": "jane.doe@acme.test",
    "attributes": {
        "email": "jane.doe@acme.test",
        "firstName": "Jane",
        "lastName": "Doe",
        "groups": ["engineering", "on-call"],
    },
    "failure": "none",
}


def acme() -> Organization:
    return Organization.objects.get(name="acme")


def details_from(fixture: str) -> services.IdpDetails:
    metadata = parse_metadata((FIXTURES / fixture).read_bytes())
    certificate = metadata.active_certificate()
    return services.IdpDetails(
        options=metadata.auth0_options(),
        summary={
            "entity_id": metadata.entity_id,
            "certificates": [{"sha256_fingerprint": certificate.sha256_fingerprint}],
        },
        source=MetadataSource.FILE,
    )


def okta_setup(organization: Organization, actor: User | None = None) -> SsoSetup:
    """An Okta (samlp) setup with okta.xml's details, sent to the sandbox."""
    setup = services.setup_start(actor=actor, organization=organization, provider_key="okta")
    setup = services.setup_save_idp(actor=actor, setup=setup, details=details_from("okta.xml"))
    drain()
    setup.refresh_from_db()
    return setup


def signed_in_admin(client: Client, tenant: Any) -> User:
    log_in_through_tenant(client, tenant, ADMIN_EMAIL, ADMIN_PASSWORD, "acme")
    return User.objects.get(email=ADMIN_EMAIL)


def url(name: str, setup: SsoSetup, *more: int) -> str:
    return reverse(f"idp_selfservice:{name}", args=[setup.organization_id, setup.pk, *more])


def start(client: Client, tenant: Any, setup: SsoSetup) -> str:
    started = client.post(url("test_start", setup))
    assert started.status_code == 302, started.content[:300]
    assert started["Location"].startswith(tenant.url), started["Location"]
    return str(started["Location"])


def through_idp(tenant: Any, authorize_url: str, preset: dict[str, Any] | None = None) -> str:
    """Open the authorize URL in a fresh browser, sign in on the stand-in IdP (preset
    through the sandbox's control route) and return the portal callback it lands on."""
    connection = _connection_param(authorize_url)
    tenant.control("PUT", f"/idp/{connection}", json=preset or JANE)
    browser = Browser(tenant.app)
    page = browser.open(authorize_url)
    assert page.status_code == 200 and "Simulated identity provider" in page.text, page.text[:500]
    page = browser.submit(page)
    location = page.headers.get("location", "")
    callback = urlsplit(location)
    assert callback.path == "/auth/callback", page.text[:500]
    return f"{callback.path}?{callback.query}"


def _connection_param(authorize_url: str) -> str:
    from urllib.parse import parse_qs

    return parse_qs(urlsplit(authorize_url).query)["connection"][0]


def run_test(
    client: Client, tenant: Any, setup: SsoSetup, preset: dict[str, Any] | None = None
) -> tuple[SsoTest, Any, str]:
    """One whole test sign-in: (the recorded test, the callback's response, its URL)."""
    callback = through_idp(tenant, start(client, tenant, setup), preset)
    response = client.get(callback)
    test = SsoTest.objects.filter(setup=setup).latest("started_at")
    return test, response, callback


def passed_test(setup: SsoSetup, actor: User | None = None) -> SsoTest:
    """A pass recorded through the services, for tests about what comes after."""
    test = services.test_begin(actor=actor, setup=setup)
    result = services.TestResult(passed=True, user_id="samlp|x|jane", email="jane@acme.test")
    return services.test_record(actor=actor, test=test, result=result)
