"""Step 3 for OpenID Connect: the discovery URL checked on the spot (through the sandbox's
stand-in provider), the client secret write-only (stored encrypted, never in the
connection's options, an audit event or a page) and kept when left blank."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from idp_selfservice.models import MetadataSource, SsoSetup
from idp_selfservice.services import setup_start
from orgs.models import AuditEvent, Connection, Organization
from orgs.secrets import decrypt_options
from tests.conftest import People, log_in
from tests.idp_selfservice._fetch_servers import RecordingServer, respond
from tests.idp_selfservice._wizard import make_setup, url, written
from tests.orgs.engine import drain
from tests.orgs.services import remote_connection, staff_user

pytestmark = pytest.mark.django_db

SECRET = "s3cret-Value-that-must-never-show"
STAND_IN = "/__sandbox__/oidc-idp"


def _acme(client: Client) -> SsoSetup:
    staff = staff_user()
    log_in(client, staff)
    return setup_start(
        actor=staff, organization=Organization.objects.get(name="acme"), provider_key="oidc"
    )


def _data(tenant: Any, **changes: str) -> dict[str, str]:
    return {
        "discovery_url": f"{tenant.url}{STAND_IN}/.well-known/openid-configuration",
        "client_id": "acme-client",
        "client_secret": SECRET,
        "scopes": "openid profile email",
        **changes,
    }


def _no_secret_anywhere(client: Client, setup: SsoSetup) -> None:
    connection = Connection.objects.get(name=setup.connection_name)
    assert SECRET not in json.dumps(connection.options)
    assert SECRET not in json.dumps(list(AuditEvent.objects.values_list("details", flat=True)))
    assert SECRET not in json.dumps(SsoSetup.objects.get(pk=setup.pk).idp_summary)
    for name in ("details", "found", "setup"):
        assert SECRET not in client.get(url(name, setup)).content.decode(), name


def test_oidc_details_are_checked_saved_and_sent_with_the_secret_encrypted(
    client: Client, imported_tenant: Any, settings: Any
) -> None:
    settings.IDP_FETCH_ALLOWED_ORIGINS = [imported_tenant.url]
    setup = _acme(client)
    response = client.post(url("details", setup), _data(imported_tenant))
    assert response.status_code == 302 and response["Location"] == url("found", setup)
    setup.refresh_from_db()
    assert setup.source == MetadataSource.DISCOVERY
    assert setup.idp_summary["issuer"] == imported_tenant.url + STAND_IN
    connection = Connection.objects.get(name=setup.connection_name)
    assert "client_secret" not in connection.options
    assert decrypt_options(connection.encrypted_secrets) == {"client_secret": SECRET}
    assert connection.options["type"] == "back_channel"
    assert connection.options["client_id"] == "acme-client"
    _no_secret_anywhere(client, setup)
    assert set(drain()) == {"succeeded"}
    remote = imported_tenant.app.state.connection_by_name(setup.connection_name)
    assert remote.strategy == "oidc" and remote.options["client_secret"] == SECRET
    assert remote.options["issuer"] == imported_tenant.url + STAND_IN
    page = client.get(url("found", setup)).content.decode()
    assert "Stored encrypted; never shown" in page and "acme-client" in page


def test_a_blank_secret_keeps_the_stored_one(
    client: Client, imported_tenant: Any, settings: Any
) -> None:
    settings.IDP_FETCH_ALLOWED_ORIGINS = [imported_tenant.url]
    setup = _acme(client)
    client.post(url("details", setup), _data(imported_tenant))
    drain()
    page = client.get(url("details", setup)).content.decode()
    assert "A secret is stored; leave blank to keep it" in page
    field = (
        page.split('name="client_secret"')[0].rsplit("<input", 1)[1]
        + page.split('name="client_secret"')[1].split(">")[0]
    )
    assert 'type="password"' in field and 'autocomplete="off"' in field and "value=" not in field
    assert 'value="acme-client"' in page  # the client id is shown back; the secret never
    response = client.post(
        url("details", setup), _data(imported_tenant, client_secret="", scopes="openid email")
    )
    assert response.status_code == 302
    connection = Connection.objects.get(name=setup.connection_name)
    assert decrypt_options(connection.encrypted_secrets) == {"client_secret": SECRET}
    assert connection.options["scope"] == "openid email"
    assert set(drain()) == {"succeeded"}
    remote = remote_connection(imported_tenant.state(), setup.connection_name)
    assert remote is not None and remote["options"]["scope"] == "openid email"
    assert (
        imported_tenant.app.state.connection_by_name(setup.connection_name).options["client_secret"]
        == SECRET
    )
    _no_secret_anywhere(client, setup)


# --- refusals, without the sandbox ------------------------------------------------------------


def _refused(client: Client, setup: SsoSetup, data: dict[str, str], field: str) -> str:
    before = written()
    response = client.post(url("details", setup), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="#id_{field}"' in page
    assert written() == before
    assert SECRET not in page
    return page.split(f'id="id_{field}_error">')[1].split("</p>")[0]


@pytest.fixture
def provider(settings: Any) -> Any:
    """A local OIDC provider on an allowed origin whose document claims another issuer."""
    with RecordingServer() as server:
        settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
        document = {
            "issuer": "https://evil.example.com",
            "authorization_endpoint": server.url("/authorize"),
            "token_endpoint": server.url("/token"),
            "jwks_uri": server.url("/jwks"),
        }
        server.routes["/.well-known/openid-configuration"] = respond(
            json.dumps(document).encode(), content_type="application/json"
        )
        yield server


def test_a_discovery_document_with_another_issuer_is_refused(
    client: Client, people: People, provider: RecordingServer
) -> None:
    log_in(client, people.org_admin, people.organization)
    setup = make_setup(people.organization, "oidc")
    data = {
        "discovery_url": provider.origin,
        "client_id": "c",
        "client_secret": SECRET,
        "scopes": "openid",
    }
    assert "evil.example.com" in _refused(client, setup, data, "discovery_url")
    assert [hit.path for hit in provider.hits] == ["/.well-known/openid-configuration"]


def test_a_refused_discovery_url_fetches_nothing_and_saves_nothing(
    client: Client, people: People
) -> None:
    log_in(client, people.org_admin, people.organization)
    setup = make_setup(people.organization, "oidc")
    data = {
        "discovery_url": "https://127.0.0.1:9",
        "client_id": "c",
        "client_secret": SECRET,
        "scopes": "openid",
    }
    assert "internal address" in _refused(client, setup, data, "discovery_url")


def test_the_secret_is_needed_the_first_time_and_openid_always(
    client: Client, people: People
) -> None:
    log_in(client, people.org_admin, people.organization)
    setup = make_setup(people.organization, "oidc")
    data = {"discovery_url": "https://idp.example.com", "client_id": "c", "scopes": "openid"}
    assert "Enter the client secret." in _refused(client, setup, data, "client_secret")
    data = {**data, "client_secret": SECRET, "scopes": "profile email"}
    assert "must include openid" in _refused(client, setup, data, "scopes")
    assert "Enter the client ID." in _refused(client, setup, {**data, "client_id": ""}, "client_id")
