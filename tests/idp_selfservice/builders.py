"""Setups at each stage of their life, for any SSO test: IdP details built by hand (not
through the parsers under test), a started, saved, tested or active setup, and the
sandbox's view of a connection read back through the real auth0-python client.

    setup = active_setup(acme)                    # okta (samlp), tested, on, drained
    copy = drafts.draft_copy_start(actor=None, setup=setup)
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from idp_selfservice import services
from idp_selfservice.models import MetadataSource, SsoSetup, SsoTest
from orgs.auth0.client import as_dict, auth0_call, management_client
from orgs.auth0.operations.connections import connection_client_ids, find_connection
from orgs.models import Organization
from portal.models import User
from tests.orgs.engine import drain

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "saml-metadata"
SIGN_IN = "https://idp.example.com/sso/saml"
SIGN_OUT = "https://idp.example.com/slo/saml"
ENTITY_ID = "https://idp.example.com/metadata"
OIDC_ISSUER = "https://login.example.com"
OIDC_SECRET = "oidc-client-secret-1"


# --- certificates and IdP details ---------------------------------------------------------


@cache
def self_signed_pem(common_name: str = "idp.example.com", days: int = 365) -> str:
    """A PEM certificate (RSA 2048, SHA-256) valid from yesterday for `days` days."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def signing_cert(pem: str | None = None) -> str:
    """The `signingCert` option's form: base64 of the PEM text."""
    return base64.b64encode((pem or self_signed_pem()).encode("ascii")).decode("ascii")


def pem_from_base64_der(der_base64: str) -> str:
    body = "".join(der_base64.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def _metadata_text(xml_path_or_text: str | Path) -> str:
    if isinstance(xml_path_or_text, Path) or not xml_path_or_text.lstrip().startswith("<"):
        path = Path(xml_path_or_text)
        return (path if path.is_absolute() else FIXTURES / path).read_text()
    return xml_path_or_text


def _saml_parts(xml: str) -> tuple[str, str, str]:
    """(entity id, HTTP-Redirect sign-in URL, first X509Certificate) read by regex: kept
    apart from the parser the wizard uses, so these details do not depend on it."""
    entity = re.search(r'entityID="([^"]+)"', xml)
    sso = re.search(
        r'<(?:\w+:)?SingleSignOnService[^>]*Binding="[^"]*HTTP-Redirect"[^>]*Location="([^"]+)"',
        xml,
    ) or re.search(r'<(?:\w+:)?SingleSignOnService[^>]*Location="([^"]+)"', xml)
    cert = re.search(r"<(?:\w+:)?X509Certificate>([^<]+)<", xml)
    assert entity and sso and cert, "the metadata lacks an entity id, SSO endpoint or cert"
    return entity.group(1), sso.group(1), cert.group(1)


def saml_details(
    xml_path_or_text: str | Path | None = None,
    *,
    sign_in: str = SIGN_IN,
    pem: str | None = None,
    sign_out: str | None = None,
    metadata_url: str = "",
) -> services.IdpDetails:
    """samlp details: from a metadata fixture (a name in FIXTURES, a path or the XML) or,
    without one, entered by hand with a freshly generated certificate."""
    entity_id = ENTITY_ID
    if xml_path_or_text is not None:
        entity_id, sign_in, der = _saml_parts(_metadata_text(xml_path_or_text))
        pem = pem or pem_from_base64_der(der)
    options: dict[str, Any] = {"signInEndpoint": sign_in, "signingCert": signing_cert(pem)}
    if sign_out:
        options["signOutEndpoint"] = sign_out
    if metadata_url:
        source = MetadataSource.URL
    elif xml_path_or_text is not None:
        source = MetadataSource.FILE
    else:
        source = MetadataSource.MANUAL
    return services.IdpDetails(
        options=options,
        summary={"kind": "saml", "entity_id": entity_id, "certificates": [], "warnings": []},
        source=source,
        metadata_url=metadata_url,
    )


def oidc_details(
    *,
    issuer: str = OIDC_ISSUER,
    client_id: str = "portal-client",
    client_secret: str | None = OIDC_SECRET,
    scope: str = "openid profile email",
) -> services.IdpDetails:
    """Generic OIDC (back channel) details; `client_secret=None` keeps the stored one."""
    options: dict[str, Any] = {
        "type": "back_channel",
        "discovery_url": f"{issuer}/.well-known/openid-configuration",
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "client_id": client_id,
        "scope": scope,
    }
    kept: tuple[str, ...] = ("client_secret",)
    if client_secret is not None:
        options["client_secret"] = client_secret
        kept = ()
    return services.IdpDetails(
        options=options,
        summary={"kind": "oidc", "issuer": issuer, "client_id": client_id, "warnings": []},
        source=MetadataSource.DISCOVERY,
        metadata_url=options["discovery_url"],
        kept_secret_keys=kept,
    )


def adfs_details(*, server: str | None = None, xml: str | None = None) -> services.IdpDetails:
    """ADFS: its federation metadata URL (the default) or the document itself."""
    if xml is not None:
        return services.IdpDetails(
            options={"fedMetadataXml": xml},
            summary={"kind": "saml", "entity_id": "adfs", "warnings": []},
            source=MetadataSource.FILE,
        )
    url = (
        "https://adfs.example.com/FederationMetadata/2007-06/FederationMetadata.xml"
        if server is None
        else server
    )
    return services.IdpDetails(
        options={"adfs_server": url},
        summary={"kind": "saml", "entity_id": "adfs", "warnings": []},
        source=MetadataSource.URL,
        metadata_url=url,
    )


def ping_details(
    *, base_url: str = "https://sso.example.com:9031", pem: str | None = None
) -> services.IdpDetails:
    return services.IdpDetails(
        options={"pingFederateBaseUrl": base_url, "signingCert": signing_cert(pem)},
        summary={"kind": "ping", "server_url": base_url, "warnings": []},
        source=MetadataSource.FIELDS,
    )


def details_for(provider: str) -> services.IdpDetails:
    """Valid details for any provider key."""
    if provider == "oidc":
        return oidc_details()
    if provider == "adfs":
        return adfs_details()
    if provider == "ping":
        return ping_details()
    return saml_details()


# --- setups at each stage -------------------------------------------------------------------


def started_setup(
    organization: Organization, provider: str = "okta", actor: User | None = None
) -> SsoSetup:
    return services.setup_start(actor=actor, organization=organization, provider_key=provider)


def saved_setup(
    organization: Organization,
    provider: str = "okta",
    actor: User | None = None,
    details: services.IdpDetails | None = None,
    *,
    run: bool = True,
) -> SsoSetup:
    """Started with the IdP's details saved; `run` drains the operations to the sandbox."""
    setup = started_setup(organization, provider, actor)
    setup = services.setup_save_idp(
        actor=actor, setup=setup, details=details or details_for(provider)
    )
    if run:
        drain()
    setup.refresh_from_db()
    return setup


def passing_test(setup: SsoSetup, actor: User | None = None) -> SsoTest:
    """One test sign-in recorded as passed (as the callback page would record it)."""
    test = services.test_begin(actor=actor, setup=setup)
    prefix = f"{setup.connection.strategy if setup.connection else 'samlp'}|"
    result = services.TestResult(
        passed=True,
        user_id=f"{prefix}{setup.connection_name}|jane.doe@acme.test",
        email="jane.doe@acme.test",
        attributes={"email": "jane.doe@acme.test"},
    )
    return services.test_record(actor=actor, test=test, result=result)


def tested_setup(
    organization: Organization,
    provider: str = "okta",
    actor: User | None = None,
    details: services.IdpDetails | None = None,
) -> SsoSetup:
    setup = saved_setup(organization, provider, actor, details)
    passing_test(setup, actor)
    setup.refresh_from_db()
    return setup


def active_setup(
    organization: Organization,
    provider: str = "okta",
    actor: User | None = None,
    details: services.IdpDetails | None = None,
    **flags: Any,
) -> SsoSetup:
    """Tested and turned on (`flags` go to setup_activate), drained to the sandbox."""
    setup = tested_setup(organization, provider, actor, details)
    setup = services.setup_activate(actor=actor, setup=setup, **flags)
    drain()
    setup.refresh_from_db()
    return setup


# --- the sandbox's side, through auth0-python -------------------------------------------------


def remote(name: str) -> dict[str, Any] | None:
    """The connection as the Management API returns it (options included), or None."""
    found = find_connection(name)
    if found is None:
        return None
    with auth0_call():
        return as_dict(management_client().connections.get(found["id"]))


def remote_clients(name: str) -> set[str]:
    """Client ids the connection is enabled for."""
    found = find_connection(name)
    assert found is not None, f"no connection {name} in the sandbox"
    return connection_client_ids(found["id"])


def remote_org_link(organization: Organization, name: str) -> dict[str, Any] | None:
    """The organization's enabled-connection entry for `name` (its flags), or None."""
    found = find_connection(name)
    if found is None or not organization.auth0_id:
        return None
    with auth0_call():
        pager = management_client().organizations.enabled_connections.list(
            organization.auth0_id, per_page=100
        )
        for item in pager:
            entry = as_dict(item)
            if entry.get("connection_id") == found["id"]:
                return entry
    return None
