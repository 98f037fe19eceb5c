"""What the wizard's view tests share: the fixture files, a setup in an organization,
URLs of every wizard route, and a count of what a refused save must not have written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.urls import reverse

from idp_selfservice.models import SsoSetup
from orgs.models import AuditEvent, Connection, SyncOperation

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "saml-metadata"
OKTA_ID = "http://www.okta.com/exkdoocxa1VmjpXmX697"
OKTA_SSO = (
    "https://trial-1022863.okta.com/app/trial-1022863_oktalocalhostbis_1/"
    "exkdoocxa1VmjpXmX697/sso/saml"
)

# The wizard's routes below a setup, and the methods each takes.
SETUP_ROUTES = {
    "setup": ("GET",),
    "create_app": ("GET",),
    "sp_metadata": ("GET",),
    "details": ("GET", "POST"),
    "found": ("GET",),
    "mapping": ("GET", "POST"),
}
ORG_ROUTES = {"index": ("GET",), "pick": ("GET", "POST")}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def make_setup(organization: Any, provider: str = "okta", **fields: Any) -> SsoSetup:
    name = fields.pop("connection_name", f"{organization.name}-{provider}")
    return SsoSetup.objects.create(
        organization=organization, provider=provider, connection_name=name, **fields
    )


def url(name: str, setup: SsoSetup, org_pk: int | None = None) -> str:
    org = setup.organization_id if org_pk is None else org_pk
    return reverse(f"idp_selfservice:{name}", args=[org, setup.pk])


def org_url(name: str, org: Any) -> str:
    return reverse(f"idp_selfservice:{name}", args=[org.pk])


def written() -> dict[str, int]:
    """Row counts a refused save must leave as they were."""
    return {
        "setups": SsoSetup.objects.count(),
        "connections": Connection.objects.count(),
        "operations": SyncOperation.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


SAML_SUMMARY = {
    "kind": "saml",
    "entity_id": OKTA_ID,
    "sso_endpoints": [
        {"binding": "urn:x:HTTP-Redirect", "binding_name": "HTTP-Redirect", "location": OKTA_SSO}
    ],
    "preferred_sso": {
        "binding": "urn:x:HTTP-Redirect",
        "binding_name": "HTTP-Redirect",
        "location": OKTA_SSO,
    },
    "slo_endpoints": [],
    "preferred_slo": None,
    "certificates": [
        {
            "subject": "CN=example",
            "issuer": "CN=example",
            "sha256_fingerprint": "AA:BB",
            "not_before": "2024-01-01T00:00:00+00:00",
            "not_after": "2034-01-01T00:00:00+00:00",
            "signature_algorithm": "sha256WithRSAEncryption",
            "key_type": "RSA",
            "key_size": 2048,
            "in_use": True,
        }
    ],
    "name_id_formats": [],
    "warnings": ["Check this."],
}
