"""SAML IdP metadata: every shared fixture, hostile documents, manual entry and URLs."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.x509.oid import NameOID

from idp_selfservice.certificates import parse_certificate
from idp_selfservice.errors import CertificateError, FetchRefused, MetadataError, MultipleIdps
from idp_selfservice.saml_metadata import (
    HTTP_POST,
    HTTP_REDIRECT,
    Endpoint,
    IdpMetadata,
    load_metadata_url,
    manual_metadata,
    parse_metadata,
)
from sandbox.mgmt.connection_options import load_certificate, normalize
from tests.idp_selfservice.test_certificates import make_certificate, metadata_body, pem_of

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "saml-metadata"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
SOAP = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"
ARTIFACT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
OKTA_ID = "http://www.okta.com/exkdoocxa1VmjpXmX697"
OKTA_SSO = (
    "https://trial-1022863.okta.com/app/trial-1022863_oktalocalhostbis_1/"
    "exkdoocxa1VmjpXmX697/sso/saml"
)
OKTA_FP = (
    "21:D5:E6:FF:D3:60:7D:88:BD:8E:EE:5F:97:9F:CB:E9:"
    "C3:A3:08:BF:E8:E4:42:A4:41:36:AB:60:B9:21:6B:CF"
)
MS = "https://login.microsoftonline.com/a9054a0f-2011-4e31-b3ac-fd8c354146ec/saml2"
GOOGLE = "https://accounts.google.com/o/saml2/idp?idpid=C029op2ga"
PING = "https://auth.pingone.com/3030059e-440b-4ad0-9217-44326f1757f6/saml20/idp"
KEYCLOAK = "http://localhost:8085/realms/master/protocol/saml"

# What each fixture holds, read from the files: (entity ID, SSO endpoints, SLO endpoints,
# signing-certificate fingerprints, NameID formats, WantAuthnRequestsSigned).
EXPECTED = {
    "adfs.xml": (
        "https://sts.windows.net/a9054a0f-2011-4e31-b3ac-fd8c354146ec/",
        [Endpoint(HTTP_REDIRECT, MS), Endpoint(HTTP_POST, MS)],
        [Endpoint(HTTP_REDIRECT, MS)],
        [
            "20:76:D8:86:41:0A:00:A7:5A:CD:B8:AE:DB:93:D3:87:"
            "7B:4F:AD:BD:8E:A9:72:F6:37:30:77:91:7B:2E:50:49"
        ],
        [],
        False,
    ),
    "google.xml": (
        "https://accounts.google.com/o/saml2?idpid=C029op2ga",
        [Endpoint(HTTP_REDIRECT, GOOGLE), Endpoint(HTTP_POST, GOOGLE)],
        [],
        [
            "85:EF:56:F2:38:25:54:3D:9F:12:FF:E4:B5:6A:D7:6D:"
            "60:70:DC:A8:54:3D:3E:41:36:A4:2F:A2:A9:EA:2A:D7"
        ],
        [EMAIL],
        False,
    ),
    "jumpcloud.xml": (
        "IdP Entity ID",
        [Endpoint(HTTP_POST, "https://sso.jumpcloud.com/saml2/ucariontest")],
        [],
        [
            "6D:84:10:51:9E:E2:66:3E:55:1D:F1:C4:09:B0:0F:FE:"
            "CE:74:4D:A0:8D:D0:E2:A8:E4:B4:5F:15:49:D2:61:BE"
        ],
        ["urn:oasis:names:tc:SAML:1.0:nameid-format:unspecified"],
        False,
    ),
    "okta.xml": (
        OKTA_ID,
        [Endpoint(HTTP_POST, OKTA_SSO), Endpoint(HTTP_REDIRECT, OKTA_SSO)],
        [],
        [OKTA_FP],
        [EMAIL],
        False,
    ),
    "ping.xml": (
        "https://auth.pingone.com/3030059e-440b-4ad0-9217-44326f1757f6",
        [Endpoint(HTTP_POST, PING + "/sso"), Endpoint(HTTP_REDIRECT, PING + "/sso")],
        [Endpoint(HTTP_REDIRECT, PING + "/slo"), Endpoint(HTTP_POST, PING + "/slo")],
        [
            "D8:E5:94:BE:AE:EB:4A:14:25:80:2D:E0:B9:DB:81:D8:"
            "08:88:73:3D:C2:80:AB:F8:30:0B:99:16:A8:29:24:FB"
        ],
        [],
        False,
    ),
}
# Files that are not plainly good; each has its own tests below.
SPECIAL = {"keycloak.xml", "bad-certificate.xml", "no-certificate.xml"}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def okta_with(old: str, new: str) -> str:
    text = fixture("okta.xml").decode()
    assert old in text
    return text.replace(old, new)


def idp_document(
    entity_id: str = "https://idp.example.com", *, sso: str = "", keys: str = ""
) -> str:
    cert = make_certificate()
    keys = keys or (
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{metadata_body(cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
    )
    sso = sso or f'<md:SingleSignOnService Binding="{HTTP_REDIRECT}" Location="{entity_id}/sso"/>'
    return (
        f'<md:EntityDescriptor entityID="{entity_id}" '
        'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"{keys}{sso}</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def key_descriptor(pem: str, use: str | None = "signing") -> str:
    body = "".join(pem.strip().splitlines()[1:-1])
    attribute = f' use="{use}"' if use else ""
    return (
        f"<md:KeyDescriptor{attribute}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{body}"
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
    )


def refused(data: bytes | str, **kwargs) -> str:
    with pytest.raises(MetadataError) as caught:
        parse_metadata(data, **kwargs)
    return str(caught.value)


# --- the shared fixtures --------------------------------------------------------------


def test_every_fixture_file_is_covered() -> None:
    assert {p.name for p in FIXTURES.glob("*.xml")} == set(EXPECTED) | SPECIAL


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_real_idps_metadata_parses_to_its_values(name: str) -> None:
    entity_id, sso, slo, fingerprints, formats, wants_signed = EXPECTED[name]
    found = parse_metadata(fixture(name), now=NOW)
    assert found.entity_id == entity_id
    assert found.sso_endpoints == sso
    assert found.slo_endpoints == slo
    assert [c.sha256_fingerprint for c in found.signing_certificates] == fingerprints
    assert found.name_id_formats == formats
    assert found.want_authn_requests_signed is wants_signed
    assert found.source_xml == fixture(name).decode("utf-8-sig")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_text_and_bytes_give_the_same_result(name: str) -> None:
    as_text = (FIXTURES / name).read_text(encoding="utf-8")  # keeps adfs.xml's BOM
    assert parse_metadata(as_text, now=NOW) == parse_metadata(fixture(name), now=NOW)


@pytest.mark.parametrize(
    ("name", "sign_in", "binding"),
    [
        ("adfs.xml", MS, HTTP_REDIRECT),
        ("google.xml", GOOGLE, HTTP_REDIRECT),
        ("jumpcloud.xml", "https://sso.jumpcloud.com/saml2/ucariontest", HTTP_POST),
        ("okta.xml", OKTA_SSO, HTTP_REDIRECT),
        ("ping.xml", PING + "/sso", HTTP_REDIRECT),
    ],
)
def test_redirect_is_preferred_and_post_used_when_alone(name, sign_in, binding) -> None:
    found = parse_metadata(fixture(name), now=NOW)
    assert found.preferred_sso() == Endpoint(binding, sign_in)
    assert found.protocol_binding() == binding


def test_okta_gives_the_auth0_options_the_sandbox_accepts() -> None:
    found = parse_metadata(fixture("okta.xml"), now=NOW)
    options = found.auth0_options()
    assert set(options) == {"signInEndpoint", "signingCert", "protocolBinding"}
    assert options["signInEndpoint"] == OKTA_SSO
    assert options["protocolBinding"] == HTTP_REDIRECT
    sent = load_certificate(options["signingCert"])
    assert sent.subject.rfc4514_string({NameOID.EMAIL_ADDRESS: "emailAddress"}) == (
        found.signing_certificates[0].subject
    )
    stored = normalize("samlp", options)
    assert stored["signInEndpoint"] == OKTA_SSO
    assert stored["cert"] == found.signing_certificates[0].der_base64


def test_ping_has_a_sign_out_endpoint_and_an_expired_certificate() -> None:
    found = parse_metadata(fixture("ping.xml"), now=NOW)
    assert found.auth0_options()["signOutEndpoint"] == PING + "/slo"
    assert found.warnings == [
        "Signing certificate (CN=PingOne SSO Certificate for Administrators environment,"
        "OU=Ping Identity,O=Ping Identity,C=US): This certificate expired on 17 Nov 2024. "
        "Sign-ins signed with it will fail: ask your identity provider for its current "
        "certificate or metadata."
    ]
    assert parse_metadata(fixture("ping.xml"), now=datetime(2024, 6, 1, tzinfo=UTC)).warnings == []


def test_adfs_counts_only_the_idp_signing_certificate_not_the_documents_signature() -> None:
    found = parse_metadata(fixture("adfs.xml"), now=NOW)
    assert len(found.signing_certificates) == 1
    assert found.signing_certificates[0].subject == "CN=Microsoft Azure Federated SSO Certificate"
    assert found.warnings == []
    soon = parse_metadata(fixture("adfs.xml"), now=datetime(2026, 11, 1, tzinfo=UTC))
    assert "expires in 15 days (on 16 Nov 2026)" in soon.warnings[0]


def test_jumpcloud_placeholder_entity_id_is_pointed_out() -> None:
    assert parse_metadata(fixture("jumpcloud.xml"), now=NOW).warnings == [
        "The entity ID “IdP Entity ID” is not a URI and may be a placeholder. Check that your "
        "identity provider sends exactly this value as its Issuer."
    ]


def test_keycloak_on_plain_http_is_refused() -> None:
    assert refused(fixture("keycloak.xml")) == (
        f"The sign-in URL {KEYCLOAK} does not use https. Sign-ins must be encrypted: "
        "set up your identity provider with an https address."
    )


def test_keycloak_is_read_when_its_origin_is_allowed_for_development(settings) -> None:
    settings.IDP_FETCH_ALLOWED_ORIGINS = ["http://localhost:8085"]
    found = parse_metadata(fixture("keycloak.xml"), now=NOW)
    assert found.entity_id == "http://localhost:8085/realms/master"
    assert [e.binding for e in found.sso_endpoints] == [HTTP_POST, HTTP_REDIRECT, SOAP, ARTIFACT]
    assert found.preferred_sso() == Endpoint(HTTP_REDIRECT, KEYCLOAK)
    assert [c.sha256_fingerprint[:11] for c in found.signing_certificates] == ["9F:8A:E3:AD"]
    assert found.want_authn_requests_signed is True
    assert found.auth0_options()["signSAMLRequest"] is True
    assert found.warnings[0] == (
        "Sign-in endpoints with the HTTP-Artifact and SOAP bindings are not used; Auth0 signs "
        f"in with HTTP-Redirect at {KEYCLOAK}."
    )
    assert "wants sign-in requests signed" in found.warnings[1]


def test_bad_certificate_fixture_reads_but_carries_a_different_certificate_than_okta() -> None:
    # In ssoready's suite this metadata pairs with assertions its certificate did not sign:
    # the document itself is well formed, and the mismatch shows at the test sign-in.
    found = parse_metadata(fixture("bad-certificate.xml"), now=NOW)
    assert found.entity_id == OKTA_ID
    assert found.preferred_sso() == Endpoint(HTTP_REDIRECT, OKTA_SSO)
    [cert] = found.signing_certificates
    assert cert.subject == "CN=dummyidp"
    assert cert.sha256_fingerprint == (
        "E5:F0:A6:ED:00:24:80:EA:0F:17:14:6B:BA:30:C9:A6:0E:D9:FE:5E:0A:51:98:5D:52:2F:32:89:8C:5A:63:6C"
    )
    assert cert.sha256_fingerprint != OKTA_FP


def test_no_certificate_fixture_is_byte_for_byte_okta_and_reads_the_same() -> None:
    # Its name comes from ssoready's unsigned-assertion case; the metadata does have a cert.
    assert fixture("no-certificate.xml") == fixture("okta.xml")
    assert parse_metadata(fixture("no-certificate.xml"), now=NOW) == parse_metadata(
        fixture("okta.xml"), now=NOW
    )


def test_metadata_without_its_certificate_is_refused() -> None:
    text = re.sub(
        r"<md:KeyDescriptor.*?</md:KeyDescriptor>", "", fixture("okta.xml").decode(), flags=re.S
    )
    assert refused(text).startswith(
        "This metadata has no signing certificate (a KeyDescriptor with an X509Certificate)"
    )


def test_an_encryption_only_certificate_is_no_signing_certificate() -> None:
    text = okta_with('<md:KeyDescriptor use="signing">', '<md:KeyDescriptor use="encryption">')
    assert refused(text).startswith("This metadata has no signing certificate")


def test_a_damaged_certificate_is_refused_in_plain_words() -> None:
    text = okta_with("MIIDqjCCApKgAwIBAgIGAY8W9FSq", "MIIDqjCCApKg!!!!AwIBAgIGAY8W9FSq")
    message = refused(text)
    assert message.startswith(
        "The signing certificate in this metadata cannot be used. This is not a valid "
        "certificate: it is neither a PEM block"
    )
    truncated = okta_with("whMgwbzHoz7vrWZiwq2K2AYIu8Uh//DZxsDM9g0B", "")
    assert "Copy the whole certificate again" in refused(truncated)


# --- hostile and wrong documents ------------------------------------------------------

DOCTYPE = (
    "This document contains a DOCTYPE/entity declarations, which metadata never needs; "
    "it was not read."
)
NOT_XML = "This file is not XML. Upload the metadata XML your identity provider gives you."


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(
            '<?xml version="1.0"?><!DOCTYPE md [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            'entityID="&xxe;"/>',
            id="xxe-file",
        ),
        pytest.param(
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
            "<lolz>&lol3;</lolz>",
            id="billion-laughs",
        ),
        pytest.param(
            '<?xml version="1.0"?><!DOCTYPE md SYSTEM "http://169.254.169.254/evil.dtd">'
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>',
            id="external-dtd",
        ),
        pytest.param(
            '<!DOCTYPE md [<!ENTITY % remote SYSTEM "http://evil.example/x"> %remote;]><md/>',
            id="parameter-entity",
        ),
        pytest.param(
            okta_with("<md:EntityDescriptor", "<!DOCTYPE md><md:EntityDescriptor"),
            id="bare-doctype",
        ),
    ],
)
def test_doctypes_and_entities_are_refused_unread(document: str) -> None:
    assert refused(document) == DOCTYPE
    assert refused(document.encode()) == DOCTYPE


def test_xinclude_is_not_followed() -> None:
    text = okta_with(
        "<md:NameIDFormat>",
        '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" '
        'parse="text"/><md:NameIDFormat>',
    )
    found = parse_metadata(text, now=NOW)
    assert "root:" not in repr(found).replace(found.source_xml, "")
    assert found.entity_id == OKTA_ID


def test_an_oversized_document_is_refused_before_parsing() -> None:
    padding = "<!--" + "x" * (4 * 1024 * 1024) + "-->"
    message = refused(okta_with("<md:IDPSSODescriptor", padding + "<md:IDPSSODescriptor"))
    assert message == (
        "This file is larger than 4 MB, far more than any identity provider's metadata; "
        "it was not read."
    )


def test_a_large_document_under_the_cap_is_read() -> None:
    padding = "<!--" + "x" * (3 * 1024 * 1024) + "-->"
    found = parse_metadata(okta_with("<md:IDPSSODescriptor", padding + "<md:IDPSSODescriptor"))
    assert found.entity_id == OKTA_ID


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param("  \n\t", id="whitespace"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", id="png"),
        pytest.param('{"entityID": "https://idp.example.com"}', id="json"),
        pytest.param("just some words", id="text"),
        pytest.param(fixture("okta.xml")[:900], id="truncated-xml"),
        pytest.param(b"<md:EntityDescriptor entityID='\xff\xfe'", id="broken-bytes"),
    ],
)
def test_what_is_not_xml_is_refused(data) -> None:
    assert refused(data) == NOT_XML


@pytest.mark.parametrize(
    "page",
    [
        "<!DOCTYPE html><html><head><title>Sign in</title></head><body></body></html>",
        "<!-- login --><HTML><body><p>Please sign in</body></HTML>",
        '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
    ],
)
def test_a_web_page_is_named_as_one(page: str) -> None:
    assert refused(page).startswith("This is a web page (HTML), not metadata XML.")


def test_other_xml_is_not_metadata() -> None:
    assert refused("<rss><channel/></rss>").startswith(
        "This XML is not SAML metadata: it starts with <rss>, not <EntityDescriptor>."
    )


def test_metadata_without_the_saml_namespace_is_explained() -> None:
    text = '<EntityDescriptor entityID="https://idp.example.com"><IDPSSODescriptor/></EntityDescriptor>'
    assert "not in the SAML 2.0 metadata namespace" in refused(text)


def test_service_provider_metadata_is_refused_as_such() -> None:
    sp = (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'entityID="urn:auth0:acme:acme-okta"><md:SPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        'Location="https://acme.auth0.com/login/callback" index="0"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    )
    assert refused(sp).startswith(
        "This is a service provider's metadata (it has SPSSODescriptor); we need your "
        "identity provider's."
    )


def test_metadata_with_no_idp_descriptor_is_refused() -> None:
    text = idp_document().replace("IDPSSODescriptor", "AttributeAuthorityDescriptor")
    assert refused(text).startswith("This metadata has no IDPSSODescriptor")


def test_metadata_without_an_entity_id_is_refused() -> None:
    assert refused(okta_with(f'entityID="{OKTA_ID}"', "")).startswith(
        "This metadata has no entity ID"
    )
    assert refused(okta_with(f'entityID="{OKTA_ID}"', 'entityID="  "')).startswith(
        "This metadata has no entity ID"
    )


def test_an_idp_without_saml2_is_refused() -> None:
    text = okta_with(
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"',
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:1.1:protocol"',
    )
    assert refused(text).startswith("This identity provider does not offer SAML 2.0")


def test_sso_endpoints_only_for_unsupported_bindings_are_refused() -> None:
    text = idp_document(sso=f'<md:SingleSignOnService Binding="{SOAP}" Location="https://i/s"/>')
    assert refused(text) == (
        "This identity provider has no sign-in URL (SingleSignOnService) that Auth0 can use: "
        "it needs the HTTP-Redirect or HTTP-POST binding, and this metadata has: SOAP."
    )
    assert refused(idp_document(sso=" ")).endswith("and this metadata has: none.")


def test_a_plain_http_sign_in_url_is_refused() -> None:
    text = okta_with("https://trial-1022863", "http://trial-1022863")
    assert refused(text).startswith(f"The sign-in URL {OKTA_SSO.replace('https', 'http')} does")


def test_an_http_redirect_endpoint_is_skipped_for_an_https_post_one() -> None:
    sso = (
        f'<md:SingleSignOnService Binding="{HTTP_REDIRECT}" Location="http://idp.example.com/r"/>'
        f'<md:SingleSignOnService Binding="{HTTP_POST}" Location="https://idp.example.com/p"/>'
    )
    found = parse_metadata(idp_document(sso=sso), now=NOW)
    assert found.preferred_sso() == Endpoint(HTTP_POST, "https://idp.example.com/p")
    assert found.warnings == ["Sign-in URLs without https are not used: http://idp.example.com/r."]


def test_an_expired_valid_until_is_pointed_out() -> None:
    text = (
        fixture("google.xml").decode().replace("2028-07-19T17:28:34.000Z", "2025-01-02T00:00:00Z")
    )
    assert parse_metadata(text, now=NOW).warnings == [
        "This metadata says it was valid only until 2 Jan 2025. Download a current copy from "
        "your identity provider."
    ]


# --- several certificates, several IdPs -----------------------------------------------


def test_several_signing_certificates_are_all_kept_and_the_rollover_noted() -> None:
    old = make_certificate(cn="old", not_after=NOW + timedelta(days=10))
    new = make_certificate(cn="new", not_before=NOW - timedelta(days=1))
    encryption = make_certificate(cn="encryption")
    keys = key_descriptor(pem_of(old)) + key_descriptor(pem_of(new), use=None)
    keys += key_descriptor(pem_of(encryption), use="encryption")
    found = parse_metadata(idp_document(keys=keys), now=NOW)
    assert [c.subject for c in found.signing_certificates] == ["CN=old", "CN=new"]
    assert found.warnings[0].startswith(
        "Signing certificate 1 (CN=old): This certificate expires in 10 days"
    )
    assert found.warnings[-1] == (
        "This metadata lists 2 signing certificates. Auth0 uses the first valid one; the "
        "portal shows both and tracks the rollover."
    )
    signing = parse_certificate(found.auth0_options(NOW)["signingCert"])
    assert signing.subject == "CN=old"


def test_the_first_currently_valid_certificate_goes_to_auth0() -> None:
    expired = make_certificate(cn="expired", not_after=NOW - timedelta(days=3))
    current = make_certificate(cn="current")
    keys = key_descriptor(pem_of(expired)) + key_descriptor(pem_of(current))
    found = parse_metadata(idp_document(keys=keys), now=NOW)
    assert found.active_certificate(NOW).subject == "CN=current"
    assert parse_certificate(found.auth0_options(NOW)["signingCert"]).subject == "CN=current"


def test_the_same_certificate_listed_twice_counts_once() -> None:
    pem = pem_of(make_certificate())
    found = parse_metadata(idp_document(keys=key_descriptor(pem) + key_descriptor(pem, None)))
    assert len(found.signing_certificates) == 1


def aggregate_of(*documents: str) -> str:
    inner = "".join(re.sub(r"<[?]xml[^>]*[?]>", "", doc) for doc in documents)
    start = '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
    return f"{start}{inner}</md:EntitiesDescriptor>"


SP_ENTITY = (
    '<md:EntityDescriptor entityID="urn:sp"><md:SPSSODescriptor '
    'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>'
)


def two_idps(*extra: str) -> str:
    return aggregate_of(fixture("okta.xml").decode(), fixture("google.xml").decode(), *extra)


def test_several_idps_in_one_document_let_the_person_choose() -> None:
    with pytest.raises(MultipleIdps) as caught:
        parse_metadata(two_idps())
    assert caught.value.entity_ids == [
        OKTA_ID,
        "https://accounts.google.com/o/saml2?idpid=C029op2ga",
    ]
    assert str(caught.value) == (
        "This metadata describes 2 identity providers. Choose the one your organization "
        "signs in with."
    )


def test_picking_one_idp_by_entity_id_works() -> None:
    google = "https://accounts.google.com/o/saml2?idpid=C029op2ga"
    assert parse_metadata(two_idps(), entity_id=google).preferred_sso().location == GOOGLE
    assert parse_metadata(two_idps(), entity_id=OKTA_ID).preferred_sso().location == OKTA_SSO


def test_an_unknown_entity_id_is_refused_with_the_ones_there_are() -> None:
    message = refused(two_idps(), entity_id="https://other.example.com")
    assert not isinstance(message, MultipleIdps)
    assert message.startswith(
        "This metadata has no identity provider with entity ID “https://other.example.com”."
    )
    assert OKTA_ID in message
    assert refused(fixture("okta.xml"), entity_id="https://other.example.com") == (
        f"This metadata is for “{OKTA_ID}”, not “https://other.example.com”."
    )


def test_an_aggregate_with_one_idp_and_service_providers_needs_no_choice() -> None:
    doc = aggregate_of(SP_ENTITY, fixture("okta.xml").decode())
    assert parse_metadata(doc).entity_id == OKTA_ID


def test_an_aggregate_of_service_providers_only_is_refused_as_such() -> None:
    assert "service provider's metadata" in refused(aggregate_of(SP_ENTITY))
    assert refused(aggregate_of()) == "This metadata lists no entities at all."


# --- manual entry ---------------------------------------------------------------------


def test_manual_entry_gives_the_same_kind_of_result() -> None:
    cert = make_certificate(cn="Manual IdP")
    found = manual_metadata(
        entity_id=" https://idp.example.com ",
        sign_in_url="https://idp.example.com/sso",
        certificate=pem_of(cert),
        sign_out_url="https://idp.example.com/slo",
        now=NOW,
    )
    assert isinstance(found, IdpMetadata)
    assert found.entity_id == "https://idp.example.com"
    assert found.warnings == []
    assert found.auth0_options() == {
        "signInEndpoint": "https://idp.example.com/sso",
        "signOutEndpoint": "https://idp.example.com/slo",
        "signingCert": found.auth0_options()["signingCert"],
        "protocolBinding": HTTP_REDIRECT,
    }
    assert parse_certificate(found.auth0_options()["signingCert"]).subject == "CN=Manual IdP"
    assert normalize("samlp", found.auth0_options())["subject"] == "CN=Manual IdP"


def test_manual_entry_checks_what_a_document_is_checked_for() -> None:
    pem = pem_of(make_certificate())
    ok = {"entity_id": "https://idp.example.com", "sign_in_url": "https://idp.example.com/s"}
    with pytest.raises(MetadataError, match="sign-in URL must be a full address"):
        manual_metadata(**{**ok, "sign_in_url": "http://idp.example.com/s"}, certificate=pem)
    with pytest.raises(MetadataError, match="sign-in URL must be a full address"):
        manual_metadata(**{**ok, "sign_in_url": "idp.example.com/s"}, certificate=pem)
    with pytest.raises(MetadataError, match="sign-out URL must be a full address"):
        manual_metadata(**ok, certificate=pem, sign_out_url="ftp://idp.example.com")
    with pytest.raises(MetadataError, match="Enter your identity provider's entity ID"):
        manual_metadata(**{**ok, "entity_id": "  "}, certificate=pem)
    with pytest.raises(CertificateError, match="This is not a valid certificate"):
        manual_metadata(
            **ok, certificate="-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"
        )


def test_manual_entry_warns_about_an_expired_certificate() -> None:
    cert = make_certificate(not_after=NOW - timedelta(days=1))
    found = manual_metadata(
        entity_id="https://idp.example.com",
        sign_in_url="https://idp.example.com/s",
        certificate=metadata_body(cert),
        now=NOW,
    )
    assert found.warnings[0].startswith("This certificate expired on 31 May 2025.")


# --- metadata URLs, through the real safe fetcher -------------------------------------


class MetadataServer:
    """A loopback HTTP server with fixed answers, counting the requests it gets."""

    def __init__(self, routes: dict[str, tuple[int, str, bytes]]) -> None:
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                status, content_type, body = routes.get(self.path, (404, "text/plain", b"no"))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def metadata_server() -> Iterator[MetadataServer]:
    server = MetadataServer(
        {
            "/okta": (200, "application/samlmetadata+xml", fixture("okta.xml")),
            "/login": (200, "text/html", b"<!DOCTYPE html><html><body>Sign in</body></html>"),
        }
    )
    yield server
    server.close()


def test_a_metadata_url_is_fetched_and_read(settings, metadata_server) -> None:
    settings.IDP_FETCH_ALLOWED_ORIGINS = [metadata_server.origin]
    found = load_metadata_url(metadata_server.origin + "/okta")
    assert found.entity_id == OKTA_ID
    assert found.source_xml == fixture("okta.xml").decode()


def test_a_url_answering_with_a_login_page_is_explained(settings, metadata_server) -> None:
    settings.IDP_FETCH_ALLOWED_ORIGINS = [metadata_server.origin]
    with pytest.raises(MetadataError, match=r"This is a web page \(HTML\)"):
        load_metadata_url(metadata_server.origin + "/login")


def test_a_missing_metadata_url_is_refused(settings, metadata_server) -> None:
    settings.IDP_FETCH_ALLOWED_ORIGINS = [metadata_server.origin]
    with pytest.raises((FetchRefused, MetadataError), match="404"):
        load_metadata_url(metadata_server.origin + "/gone")


def test_a_url_at_a_forbidden_address_is_never_requested(settings, metadata_server) -> None:
    settings.IDP_FETCH_ALLOWED_ORIGINS = []
    for url in (
        metadata_server.origin + "/okta",
        metadata_server.origin.replace("http", "https") + "/okta",
    ):
        with pytest.raises(FetchRefused):
            load_metadata_url(url)
    assert metadata_server.hits == 0
