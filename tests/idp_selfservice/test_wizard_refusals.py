"""Step 3 refusals: a broken, hostile or oversized document, a refused URL, a bad
certificate or a missing value is a plain error on its own field (never a 400 or 500,
never a library's words) and nothing is saved: no setup change, connection, operation or
audit event. A document with several IdPs asks which one, keeping the upload."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from idp_selfservice.models import SsoSetup
from idp_selfservice.sp_metadata import sp_metadata_xml
from idp_selfservice.sp_values import sp_values
from tests.conftest import People, log_in
from tests.idp_selfservice._wizard import OKTA_ID, fixture, make_setup, url, written

pytestmark = pytest.mark.django_db

GOOGLE_ID = "https://accounts.google.com/o/saml2?idpid=C029op2ga"
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE md [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&xxe;"/>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol2;"/>"""


def _okta_without_certificate() -> bytes:
    return re.sub(rb"<md:KeyDescriptor.*?</md:KeyDescriptor>", b"", fixture("okta.xml"), flags=re.S)


def _okta_with_damaged_certificate() -> bytes:
    return fixture("okta.xml").replace(
        b"MIIDqjCCApKgAwIBAgIGAY8W9FSq", b"MIIDqjCCApKg!!!!AwIBAgIGAY8W"
    )


def _aggregate() -> bytes:
    inner = [
        re.sub(rb"^<\?xml[^>]*\?>\s*", b"", fixture(name).strip())
        for name in ("okta.xml", "google.xml")
    ]
    return (
        b'<?xml version="1.0"?><md:EntitiesDescriptor '
        b'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
        + b"".join(inner)
        + b"</md:EntitiesDescriptor>"
    )


BROKEN = {
    "keycloak.xml": (fixture("keycloak.xml"), "does not use https"),
    "not-xml.xml": (b"hello, this is not metadata", "This file is not XML"),
    "page.html": (b"<!doctype html><html><body>Sign in</body></html>", "web page (HTML)"),
    "sp.xml": (sp_metadata_xml(sp_values("acme-okta")), "a service provider"),
    "xxe.xml": (XXE, "DOCTYPE"),
    "laughs.xml": (LAUGHS, "DOCTYPE"),
    "no-cert.xml": (_okta_without_certificate(), "no signing certificate"),
    "damaged.xml": (_okta_with_damaged_certificate(), "cannot be used"),
    "empty.xml": (b"", "Choose the metadata file to upload."),
}


def _admin(client: Client, people: People, provider: str = "okta") -> SsoSetup:
    log_in(client, people.org_admin, people.organization)
    return make_setup(people.organization, provider)


def _refused(client: Client, setup: SsoSetup, data: dict[str, object], field: str) -> str:
    """POST `data`: the page again with an error on `field`, and nothing written."""
    before = written()
    response = client.post(url("details", setup), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and f'href="#id_{field}"' in page
    group = page.split(f'id="id_{field}-group"')[0].rsplit("<div", 1)[1]
    assert "field-has-error" in group
    message = page.split(f'id="id_{field}_error">')[1].split("</p>")[0]
    assert written() == before
    setup.refresh_from_db()
    assert setup.connection is None and setup.idp_summary == {}
    for raw in ("Traceback", "ParseError", "defusedxml", "Exception"):
        assert raw not in page
    return message


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_file_is_a_field_error_and_saves_nothing(
    client: Client, people: People, name: str
) -> None:
    body, expected = BROKEN[name]
    setup = _admin(client, people)
    upload = SimpleUploadedFile(name, body, content_type="application/xml")
    message = _refused(client, setup, {"method": "file", "metadata_file": upload}, "metadata_file")
    assert expected in message


def test_an_upload_over_4_mb_is_a_clear_form_error(client: Client, people: People) -> None:
    setup = _admin(client, people)
    big = SimpleUploadedFile("big.xml", b"<x>" + b" " * (4 * 1024 * 1024 + 10) + b"</x>")
    message = _refused(client, setup, {"method": "file", "metadata_file": big}, "metadata_file")
    assert "larger than 4 MB" in message


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("http://idp.example.com/metadata", "https"),
        ("https://127.0.0.1/metadata", "internal address"),
        ("https://169.254.169.254/latest/meta-data", "internal address"),
        ("https://2130706433/metadata", "internal address"),
        ("not a url", "web address"),
    ],
)
def test_a_refused_metadata_url_is_a_field_error(
    client: Client, people: People, address: str, expected: str
) -> None:
    setup = _admin(client, people)
    message = _refused(client, setup, {"method": "url", "metadata_url": address}, "metadata_url")
    assert expected in message


def test_the_chosen_way_s_fields_are_required(client: Client, people: People) -> None:
    setup = _admin(client, people)
    assert _refused(client, setup, {"method": "url"}, "metadata_url") == (
        '<span class="visually-hidden">Error:</span> Enter the metadata URL.'
    )
    assert "Choose how you want to give us the details." in _refused(client, setup, {}, "method")
    manual = {
        "entity_id": "Enter your identity provider's entity ID.",
        "sign_in_url": "Enter the sign-in URL.",
        "certificate": "Paste the signing certificate, or upload its file.",
    }
    for field, message in manual.items():
        assert message in _refused(client, setup, {"method": "manual"}, field).replace(
            "&#x27;", "'"
        )


def test_only_the_chosen_way_is_checked(client: Client, people: People) -> None:
    setup = _admin(client, people)
    upload = SimpleUploadedFile("okta.xml", fixture("okta.xml"))
    response = client.post(
        url("details", setup),
        {
            "method": "file",
            "metadata_file": upload,
            "sign_in_url": "http://junk",
            "certificate": "not a certificate",
            "metadata_url": "ftp://nowhere",
        },
    )
    assert response.status_code == 302
    setup.refresh_from_db()
    assert setup.idp_summary["entity_id"] == OKTA_ID and setup.connection is not None


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        (
            {"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"},
            "certificate",
            "not a valid certificate",
        ),
        (
            {"certificate": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"},
            "certificate",
            "private key",
        ),
        (
            {"certificate_file": SimpleUploadedFile("idp.cer", b"\x00\x01garbage")},
            "certificate_file",
            "not a valid certificate",
        ),
        ({"sign_in_url": "http://idp.example.com/sso"}, "sign_in_url", "https://"),
        ({"sign_out_url": "ftp://idp.example.com/slo"}, "sign_out_url", "https://"),
    ],
)
def test_manual_entry_refusals_land_on_their_field(
    client: Client, people: People, data: dict[str, object], field: str, expected: str
) -> None:
    setup = _admin(client, people)
    given: dict[str, object] = {
        "method": "manual",
        "entity_id": "https://idp.example.com/entity",
        "sign_in_url": "https://idp.example.com/sso",
        "certificate": "" if "certificate_file" in data else _okta_pem(),
    }
    assert expected in _refused(client, setup, {**given, **data}, field)


def test_several_idps_in_one_file_ask_which_and_keep_the_upload(
    client: Client, people: People
) -> None:
    setup = _admin(client, people)
    upload = SimpleUploadedFile("aggregate.xml", _aggregate())
    before = written()
    page = client.post(
        url("details", setup), {"method": "file", "metadata_file": upload}
    ).content.decode()
    assert "describes 2 identity providers" in page
    assert (
        f'value="{OKTA_ID}"' in page and 'value="https://accounts.google.com/o/saml2?idpid' in page
    )
    assert "We kept the file you uploaded" in page
    assert written() == before
    response = client.post(url("details", setup), {"method": "file", "idp_choice": GOOGLE_ID})
    assert response.status_code == 302
    setup.refresh_from_db()
    assert setup.idp_summary["entity_id"] == GOOGLE_ID
    assert (
        "idp_selfservice_pending_choice" not in client.session
        or str(setup.pk) not in (client.session["idp_selfservice_pending_choice"])
    )


def test_a_ping_server_without_https_is_refused_on_its_field(
    client: Client, people: People
) -> None:
    setup = _admin(client, people, "ping")
    data = {"method": "fields", "server_url": "http://sso.example.com", "certificate": _okta_pem()}
    assert "https://" in _refused(client, setup, data, "server_url")


def test_an_adfs_file_that_is_not_metadata_is_refused(client: Client, people: People) -> None:
    setup = _admin(client, people, "adfs")
    upload = SimpleUploadedFile("adfs.xml", b"<nope/>")
    assert "not SAML metadata" in _refused(
        client, setup, {"method": "file", "metadata_file": upload}, "metadata_file"
    )


def _okta_pem() -> str:
    from idp_selfservice.saml_metadata import parse_metadata

    return parse_metadata(fixture("okta.xml")).signing_certificates[0].pem()


def test_several_idps_behind_a_metadata_url_ask_which_then_read_it_again(
    client: Client, people: People, settings: object
) -> None:
    from tests.idp_selfservice._fetch_servers import RecordingServer, respond

    with RecordingServer() as server:
        settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]  # type: ignore[attr-defined]
        server.routes["/federation.xml"] = respond(_aggregate(), content_type="application/xml")
        setup = _admin(client, people)
        data = {"method": "url", "metadata_url": server.url("/federation.xml")}
        page = client.post(url("details", setup), data).content.decode()
        assert "describes 2 identity providers" in page and f'value="{OKTA_ID}"' in page
        assert "We kept the file" not in page
        response = client.post(url("details", setup), {**data, "idp_choice": OKTA_ID})
        assert response.status_code == 302
    setup.refresh_from_db()
    assert setup.idp_summary["entity_id"] == OKTA_ID
    assert setup.metadata_url == server.url("/federation.xml")
    assert [hit.path for hit in server.hits] == ["/federation.xml", "/federation.xml"]


def test_a_3_mb_file_is_read_from_its_temporary_file_and_saved(
    client: Client, people: People
) -> None:
    # Django keeps uploads over FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) on disk; the 4 MB cap
    # is the form's, so such a file is read like any other (never a 400).
    padding = b"<!--" + b"x" * (3 * 1024 * 1024) + b"-->"
    body = fixture("okta.xml").replace(
        b"<md:IDPSSODescriptor", padding + b"<md:IDPSSODescriptor", 1
    )
    setup = _admin(client, people)
    upload = SimpleUploadedFile("okta-padded.xml", body, content_type="application/xml")
    response = client.post(url("details", setup), {"method": "file", "metadata_file": upload})
    assert response.status_code == 302
    setup.refresh_from_db()
    assert setup.idp_summary["entity_id"] == OKTA_ID
