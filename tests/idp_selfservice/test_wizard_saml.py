"""Step 3 for SAML-like providers, end to end: what a person uploads, fetches or types is
read on the spot, saved, and sent to Auth0 (the sandbox) as a hidden connection; what is
wrong becomes an error on its field and nothing is saved."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from idp_selfservice.models import MetadataSource, SsoSetup
from idp_selfservice.services import setup_start
from orgs.models import Connection, Organization
from tests.conftest import log_in
from tests.idp_selfservice._wizard import (
    FIXTURES,
    OKTA_ID,
    OKTA_SSO,
    fixture,
    url,
    written,
)
from tests.orgs.engine import drain
from tests.orgs.services import remote_connection, remote_org, staff_user

pytestmark = pytest.mark.django_db

GOOD = sorted(p.name for p in FIXTURES.glob("*.xml") if p.name != "keycloak.xml")


def _upload(name: str, body: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/xml")


def _acme(client: Client, provider: str = "saml") -> SsoSetup:
    """A setup started as step 1 starts it (with the provider's default mapping)."""
    staff = staff_user()
    log_in(client, staff)
    organization = Organization.objects.get(name="acme")
    return setup_start(actor=staff, organization=organization, provider_key=provider)


def _settled(tenant: Any, setup: SsoSetup) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the queued operations; the connection and its link in the sandbox."""
    outcomes = drain()
    assert outcomes and set(outcomes) == {"succeeded"}, outcomes
    state = tenant.state()
    remote = remote_connection(state, setup.connection_name)
    assert remote is not None
    org = remote_org(state, "acme")
    assert org is not None
    return remote, org["connections"][remote["id"]]


@pytest.mark.parametrize("name", GOOD)
def test_each_good_metadata_file_is_saved_and_sent_to_auth0_hidden(
    client: Client, imported_tenant: Any, name: str
) -> None:
    setup = _acme(client)
    response = client.post(
        url("details", setup), {"method": "file", "metadata_file": _upload(name, fixture(name))}
    )
    assert response.status_code == 302 and response["Location"] == url("found", setup)
    setup.refresh_from_db()
    assert setup.source == MetadataSource.FILE and setup.idp_summary["entity_id"]
    remote, link = _settled(imported_tenant, setup)
    assert remote["strategy"] == "samlp"
    assert remote["options"]["signInEndpoint"] == setup.idp_summary["preferred_sso"]["location"]
    assert remote["options"]["signingCert"]
    assert link["show_as_button"] is False and link["assign_membership_on_login"] is True
    page = client.get(url("found", setup)).content.decode()
    assert setup.idp_summary["entity_id"] in page and "SHA-256 fingerprint" in page


def test_okta_from_its_file_gets_okta_s_attribute_mapping_in_fields_map(
    client: Client, imported_tenant: Any
) -> None:
    setup = _acme(client, "okta")
    client.post(
        url("details", setup),
        {"method": "file", "metadata_file": _upload("okta.xml", fixture("okta.xml"))},
    )
    remote, _link = _settled(imported_tenant, setup)
    assert remote["options"]["signInEndpoint"] == OKTA_SSO
    assert remote["options"]["fieldsMap"] == {
        "email": "email",
        "given_name": "firstName",
        "family_name": "lastName",
    }
    response = client.post(
        url("mapping", setup),
        {
            "email": "mail",
            "given_name": "givenName",
            "family_name": "sn",
            "name": "",
            "user_id": "employeeNumber",
        },
    )
    assert response.status_code == 302 and response["Location"] == url("setup", setup)
    remote, _link = _settled(imported_tenant, setup)
    assert remote["options"]["fieldsMap"] == {
        "email": "mail",
        "given_name": "givenName",
        "family_name": "sn",
    }
    assert remote["options"]["user_id_attribute"] == "employeeNumber"


def test_the_metadata_url_is_read_through_the_sandbox_s_hosted_idp(
    client: Client, imported_tenant: Any, settings: Any
) -> None:
    settings.IDP_FETCH_ALLOWED_ORIGINS = [imported_tenant.url]
    hosted = imported_tenant.control("POST", "/idp-metadata", json={"key": "acme-idp", "days": 90})
    metadata_url = hosted["metadata_url"]
    setup = _acme(client)
    response = client.post(url("details", setup), {"method": "url", "metadata_url": metadata_url})
    assert response.status_code == 302, response.content.decode()[-3000:]
    setup.refresh_from_db()
    assert setup.source == MetadataSource.URL and setup.metadata_url == metadata_url
    assert setup.metadata_checked_at is not None
    assert setup.idp_summary["entity_id"] == hosted["entity_id"]
    [cert] = setup.idp_summary["certificates"]
    assert (
        cert["sha256_fingerprint"].replace(":", "").lower()
        == (hosted["certificates"][0]["fingerprint_sha256"])
    )
    remote, _link = _settled(imported_tenant, setup)
    assert remote["options"]["signInEndpoint"] == hosted["sso_url"]


def test_manual_entry_with_a_pasted_certificate_is_saved(
    client: Client, imported_tenant: Any
) -> None:
    setup = _acme(client)
    pem = _okta_certificate_pem()
    response = client.post(
        url("details", setup),
        {
            "method": "manual",
            "entity_id": "https://idp.example.com/entity",
            "sign_in_url": "https://idp.example.com/sso",
            "certificate": pem,
        },
    )
    assert response.status_code == 302
    setup.refresh_from_db()
    assert setup.source == MetadataSource.MANUAL
    assert setup.idp_summary["entity_id"] == "https://idp.example.com/entity"
    remote, _link = _settled(imported_tenant, setup)
    assert remote["options"]["signInEndpoint"] == "https://idp.example.com/sso"
    # Going back to step 3 starts from what was typed (the certificate is pasted again).
    page = client.get(url("details", setup)).content.decode()
    assert 'value="https://idp.example.com/entity"' in page


def test_manual_entry_with_an_uploaded_certificate_file_is_saved(
    client: Client, imported_tenant: Any
) -> None:
    setup = _acme(client)
    der = base64.b64decode("".join(_okta_certificate_pem().splitlines()[1:-1]))
    response = client.post(
        url("details", setup),
        {
            "method": "manual",
            "entity_id": "https://idp.example.com/entity",
            "sign_in_url": "https://idp.example.com/sso",
            "certificate_file": SimpleUploadedFile("idp.cer", der),
        },
    )
    assert response.status_code == 302
    _settled(imported_tenant, setup)


def test_adfs_from_its_federation_metadata_file_goes_inline(
    client: Client, imported_tenant: Any
) -> None:
    setup = _acme(client, "adfs")
    client.post(
        url("details", setup),
        {"method": "file", "metadata_file": _upload("adfs.xml", fixture("adfs.xml"))},
    )
    remote, link = _settled(imported_tenant, setup)
    assert (
        remote["strategy"] == "adfs" and "EntityDescriptor" in remote["options"]["fedMetadataXml"]
    )
    assert link["show_as_button"] is False


def test_adfs_from_its_metadata_url_gives_auth0_the_url(
    client: Client, imported_tenant: Any, settings: Any
) -> None:
    settings.IDP_FETCH_ALLOWED_ORIGINS = [imported_tenant.url]
    imported_tenant.control("POST", "/idp-metadata", json={"key": "acme-adfs", "days": 90})
    metadata_url = f"{imported_tenant.url}/__sandbox__/idp-metadata/acme-adfs.xml"
    setup = _acme(client, "adfs")
    assert (
        client.post(
            url("details", setup), {"method": "url", "metadata_url": metadata_url}
        ).status_code
        == 302
    )
    remote, _link = _settled(imported_tenant, setup)
    assert remote["options"]["adfs_server"] == metadata_url


def test_ping_from_its_metadata_file_gets_the_server_and_certificate(
    client: Client, imported_tenant: Any
) -> None:
    setup = _acme(client, "ping")
    client.post(
        url("details", setup),
        {"method": "file", "metadata_file": _upload("ping.xml", fixture("ping.xml"))},
    )
    setup.refresh_from_db()
    assert any("expired" in w for w in setup.idp_summary["warnings"])
    remote, _link = _settled(imported_tenant, setup)
    assert remote["strategy"] == "pingfederate"
    assert remote["options"]["pingFederateBaseUrl"] == "https://auth.pingone.com"


def test_ping_from_its_server_url_and_certificate(client: Client, imported_tenant: Any) -> None:
    setup = _acme(client, "ping")
    response = client.post(
        url("details", setup),
        {
            "method": "fields",
            "server_url": "https://sso.example.com:9031/",
            "certificate": _okta_certificate_pem(),
        },
    )
    assert response.status_code == 302
    remote, _link = _settled(imported_tenant, setup)
    assert remote["options"]["pingFederateBaseUrl"] == "https://sso.example.com:9031"
    assert remote["options"]["signInEndpoint"] == "https://sso.example.com:9031/idp/SSO.saml2"


def test_new_details_update_the_connection_in_place(client: Client, imported_tenant: Any) -> None:
    setup = _acme(client)
    client.post(
        url("details", setup),
        {"method": "file", "metadata_file": _upload("okta.xml", fixture("okta.xml"))},
    )
    _settled(imported_tenant, setup)
    client.post(
        url("details", setup),
        {"method": "file", "metadata_file": _upload("google.xml", fixture("google.xml"))},
    )
    remote, _link = _settled(imported_tenant, setup)
    assert Connection.objects.filter(name=setup.connection_name).count() == 1
    assert remote["options"]["signInEndpoint"].startswith("https://accounts.google.com/")


def _okta_certificate_pem() -> str:
    from idp_selfservice.saml_metadata import parse_metadata

    return parse_metadata(fixture("okta.xml")).signing_certificates[0].pem()


def test_okta_s_entity_id_is_in_the_summary(client: Client, imported_tenant: Any) -> None:
    setup = _acme(client, "okta")
    client.post(
        url("details", setup),
        {"method": "file", "metadata_file": _upload("okta.xml", fixture("okta.xml"))},
    )
    setup.refresh_from_db()
    assert setup.idp_summary["entity_id"] == OKTA_ID
    assert setup.idp_summary["certificates"][0]["in_use"] is True
    assert written()["connections"] >= 1
