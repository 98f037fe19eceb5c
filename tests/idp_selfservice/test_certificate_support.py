"""Helpers for the certificate lifecycle tests (no tests here): a SAML setup reading its
metadata URL from the sandbox's hosted stand-in IdP (rotatable certificates), setups
with made-up certificate summaries for the database-only tests, and what the sandbox
stores for a connection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from idp_selfservice import services
from idp_selfservice.details import DetailsInput, build_details
from idp_selfservice.models import SetupState, SsoSetup
from idp_selfservice.providers import get_provider
from orgs.models import Organization
from tests.factories import ConnectionFactory
from tests.orgs.engine import drain

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def acme() -> Organization:
    return Organization.objects.get(name="acme")


def hosted_idp(tenant: Any, key: str, days: int = 365) -> dict[str, Any]:
    idp: dict[str, Any] = tenant.control("POST", "/idp-metadata", json={"key": key, "days": days})
    return idp


def rotate(tenant: Any, key: str, days: int = 730) -> dict[str, Any]:
    """Publish a new certificate beside the current one; returns the new one."""
    idp = tenant.control("POST", f"/idp-metadata/{key}/rotate", json={"days": days})
    newest: dict[str, Any] = idp["certificates"][-1]
    return newest


def retire(tenant: Any, key: str) -> None:
    tenant.control("POST", f"/idp-metadata/{key}/retire", json={})


def fingerprint(hosted_certificate: dict[str, Any]) -> str:
    """The sandbox's lower-case hex as the portal writes it: AB:CD:..."""
    raw = hosted_certificate["fingerprint_sha256"].upper()
    return ":".join(raw[i : i + 2] for i in range(0, len(raw), 2))


def url_setup(
    tenant: Any,
    settings: Any,
    organization: Organization,
    key: str = "acme-idp",
    days: int = 365,
    state: str = SetupState.ACTIVE,
    provider_key: str = "saml",
) -> SsoSetup:
    """A SAML (or ADFS) setup made through the wizard's services from the hosted IdP's metadata URL,
    its connection created in the sandbox, then put in `state` directly."""
    settings.IDP_FETCH_ALLOWED_ORIGINS = [tenant.url]
    idp = hosted_idp(tenant, key, days)
    provider = get_provider(provider_key)
    assert provider is not None
    details = build_details(provider, DetailsInput(method="url", metadata_url=idp["metadata_url"]))
    setup = services.setup_start(actor=None, organization=organization, provider_key=provider_key)
    setup = services.setup_save_idp(actor=None, setup=setup, details=details)
    assert drain().count("succeeded") >= 1
    SsoSetup.objects.filter(pk=setup.pk).update(state=state)
    setup.refresh_from_db()
    return setup


def remote_options(tenant: Any, setup: SsoSetup) -> dict[str, Any]:
    """The connection's options as the sandbox (Auth0) holds them."""
    assert setup.connection is not None
    setup.connection.refresh_from_db()
    options: dict[str, Any] = tenant.state()["connections"][setup.connection.auth0_id]["options"]
    return options


def summary(
    fingerprint: str, not_after: datetime, *, not_before: datetime | None = None
) -> dict[str, Any]:
    """A certificate as details.certificate_summary stores it."""
    return {
        "subject": f"CN={fingerprint[:5]}",
        "issuer": f"CN={fingerprint[:5]}",
        "sha256_fingerprint": fingerprint,
        "not_before": (not_before or not_after - timedelta(days=365)).isoformat(),
        "not_after": not_after.isoformat(),
        "signature_algorithm": "sha256WithRSAEncryption",
        "key_type": "RSA",
        "key_size": 2048,
        "in_use": True,
    }


def stored_setup(
    organization: Organization,
    *,
    expires: datetime | None = None,
    state: str = SetupState.ACTIVE,
    provider: str = "okta",
    staged: dict[str, Any] | None = None,
    name: str = "",
) -> SsoSetup:
    """A setup whose certificate in use expires at `expires` (none without), with a
    connection row of its own: for tests that never reach Auth0."""
    name = name or f"{organization.name}-{provider}-{SsoSetup.objects.count() + 1}"
    connection = ConnectionFactory(name=name, strategy="samlp", organization=organization)
    certificates = [summary("AA:" + name.upper()[:8], expires)] if expires else []
    return SsoSetup.objects.create(
        organization=organization,
        provider=provider,
        state=state,
        connection_name=name,
        connection=connection,
        idp_summary={"entity_id": "urn:idp", "certificates": certificates},
        staged_certificate=staged or {},
    )
