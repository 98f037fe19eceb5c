"""Connections through the real SDK: create per strategy, validation, 409, list filters
and paging, options replaced whole on PATCH, delete (202, users removed), enabled clients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.errors import BadRequestError, ConflictError, ForbiddenError, NotFoundError

from sandbox import SandboxApp
from sandbox.seed import DEMO_APP_CLIENT_ID, PORTAL_LOGIN_CLIENT_ID, stable_id

from .mgmt_support import DB, Raw, certificate, error_of, idp_metadata, logs_of
from .openapi import OpenAPIValidator


@pytest.fixture
def raw(http: httpx.Client, openapi: OpenAPIValidator, mgmt_token: str) -> Raw:
    return Raw(http, openapi, mgmt_token)


OIDC = {"client_id": "acme-client", "discovery_url": "https://idp.acme.test/.well-known/x"}


def saml_options(**extra: Any) -> dict[str, Any]:
    der, _ = certificate()
    return {"signInEndpoint": "https://idp.acme.test/sso", "signingCert": der, **extra}


def test_create_get_and_defaults(mgmt: Auth0) -> None:
    created = mgmt.connections.create(
        name="acme-oidc", strategy="oidc", options={**OIDC, "domain_aliases": ["acme.test"]}
    )
    assert created.id and created.id.startswith("con_") and len(created.id) == 20
    assert created.display_name == "acme-oidc"  # defaults to the name
    assert created.realms == ["acme-oidc"]
    assert created.enabled_clients == []
    assert created.show_as_button is False
    assert created.options is not None
    assert created.options["type"] == "front_channel"
    assert created.options["domain_aliases"] == ["acme.test"]
    fetched = mgmt.connections.get(created.id)
    assert fetched.name == "acme-oidc" and fetched.options == created.options
    partial = mgmt.connections.get(created.id, fields="id,name")
    assert partial.options is None and partial.name == "acme-oidc"


@pytest.mark.parametrize(
    ("strategy", "options", "check"),
    [
        ("auth0", {"passwordPolicy": "fair"}, {"brute_force_protection": True}),
        ("okta", {"client_id": "x", "domain": "acme.okta.com"}, {"type": "back_channel"}),
        ("waad", {"client_id": "x", "tenant_domain": "acme.onmicrosoft.com"},
         {"identity_api": "microsoft-identity-platform-v2.0"}),
        ("google-apps", {"client_id": "x", "domain": "acme.test"}, {"tenant_domain": "acme.test"}),
        ("adfs", {"adfs_server": "https://adfs.acme.test/FederationMetadata.xml"}, {}),
        ("samlp", {"metadataUrl": "https://idp.acme.test/metadata"}, {}),
    ],
)  # fmt: skip
def test_create_each_strategy(
    mgmt: Auth0, strategy: str, options: dict[str, Any], check: dict[str, Any]
) -> None:
    created = mgmt.connections.create(name=f"c-{strategy}", strategy=strategy, options=options)
    assert created.strategy == strategy
    assert created.options is not None
    for key, value in {**options, **check}.items():
        assert created.options[key] == value


def test_saml_certificate_facts_and_metadata_xml(mgmt: Auth0) -> None:
    direct = mgmt.connections.create(name="acme-saml", strategy="samlp", options=saml_options())
    assert direct.options is not None
    assert direct.options["signatureAlgorithm"] == "rsa-sha256"
    assert len(direct.options["thumbprints"][0]) == 40
    assert direct.options["subject"] == "CN=idp.acme.test"

    from_xml = mgmt.connections.create(
        name="acme-saml-xml", strategy="samlp", options={"metadataXml": idp_metadata()}
    )
    assert from_xml.options is not None
    assert from_xml.options["signInEndpoint"] == "https://idp.acme.test/sso"  # redirect binding
    assert from_xml.options["signOutEndpoint"] == "https://idp.acme.test/slo"
    assert from_xml.options["thumbprints"] == direct.options["thumbprints"]
    assert "metadataXml" not in from_xml.options  # write-only, as documented

    _, pem = certificate()
    ping = mgmt.connections.create(
        name="acme-ping",
        strategy="pingfederate",
        options={"pingFederateBaseUrl": "https://ping.acme.test", "signingCert": pem},
    )
    assert ping.options is not None
    assert ping.options["signInEndpoint"] == "https://ping.acme.test/idp/SSO.saml2"
    assert "signingCert" not in ping.options and ping.options["thumbprints"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "acme_sso", "strategy": "oidc"}, "String does not match pattern"),
        ({"name": "-acme", "strategy": "oidc"}, "on property name"),
        ({"name": "acme--sso", "strategy": "oidc"}, "on property name"),
        ({"name": "a" * 129, "strategy": "oidc"}, "String is too long (129 chars), maximum 128"),
        ({"name": "acme"}, "Missing required property: strategy"),
        ({"name": "acme", "strategy": "nope"}, "No enum match for"),
        ({"name": "acme", "strategy": "oidc", "options": {}},
         "Missing required property: client_id' on property options."),
        ({"name": "acme", "strategy": "oidc", "options": {**OIDC, "type": "back_channel"}},
         "Missing required property: client_secret"),
        ({"name": "acme", "strategy": "samlp", "options": {"signInEndpoint": "https://i.test/s"}},
         "Missing required property: signingCert"),
        ({"name": "acme", "strategy": "samlp", "options": saml_options(signingCert="bm9wZQ==")},
         "not a valid X.509 certificate"),
        ({"name": "acme", "strategy": "samlp",
          "options": saml_options(signInEndpoint="http://idp.acme.test/sso")},
         "on property options.signInEndpoint"),
        ({"name": "acme", "strategy": "oidc", "options": {**OIDC, "domain_aliases": ["no pe"]}},
         "on property options.domain_aliases[0]"),
        ({"name": "acme", "strategy": "adfs", "options": {}}, "adfs_server"),
        ({"name": "acme", "strategy": "oidc", "options": OIDC,
          "metadata": {str(i): "v" for i in range(11)}},
         "Too many properties defined (11), maximum 10' on property metadata"),
        ({"name": "acme", "strategy": "oidc", "options": OIDC, "colour": "red"},
         "Additional properties not allowed: colour"),
    ],
)  # fmt: skip
def test_create_validation_errors(raw: Raw, body: dict[str, Any], message: str) -> None:
    response = raw("POST", "/connections", json=body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["errorCode"] == "invalid_body"
    assert error["message"].startswith("Payload validation error: '")
    assert message in error["message"]


def test_local_http_endpoints_are_accepted(mgmt: Auth0) -> None:
    # A documented difference: http is allowed for localhost and 127.0.0.1 only.
    created = mgmt.connections.create(
        name="local-oidc",
        strategy="oidc",
        options={"client_id": "x", "issuer": "http://127.0.0.1:8001/"},
    )
    assert created.options is not None and created.options["issuer"] == "http://127.0.0.1:8001/"


def test_name_clash_is_409_and_logged(mgmt: Auth0, raw: Raw) -> None:
    mgmt.connections.create(name="acme-oidc", strategy="oidc", options=OIDC)
    with pytest.raises(ConflictError) as excinfo:
        mgmt.connections.create(name="acme-oidc", strategy="samlp", options=saml_options())
    body = error_of(excinfo)
    assert body["errorCode"] == "connection_conflict"
    assert body["message"] == "A connection with the same name already exists"
    fapi = logs_of(raw, "type:fapi")
    assert fapi[0]["details"]["response"]["statusCode"] == 409
    sapi = logs_of(raw, 'type:sapi AND description:"Create a connection"')
    assert len(sapi) == 1


def test_unknown_connection_is_404(mgmt: Auth0) -> None:
    for call in (
        lambda: mgmt.connections.get("con_0000000000000000"),
        lambda: mgmt.connections.update("con_0000000000000000", display_name="x"),
        lambda: mgmt.connections.clients.get("con_0000000000000000"),
    ):
        with pytest.raises(NotFoundError) as excinfo:
            call()
        assert error_of(excinfo)["errorCode"] == "inexistent_connection"


def test_list_filters_and_checkpoint_paging(mgmt: Auth0, sandbox: SandboxApp) -> None:
    for i in range(3):
        mgmt.connections.create(name=f"oidc-{i}", strategy="oidc", options=OIDC)
    mgmt.connections.create(name="saml-0", strategy="samlp", options=saml_options())

    everything = list(mgmt.connections.list(take=2))  # the pager follows `next`
    assert len(everything) == 5 and len({c.id for c in everything}) == 5
    assert all("enabled_clients" not in c.model_dump() for c in everything)  # not in lists

    first = mgmt.connections.list(take=2)
    assert first.response is not None and first.response.next

    by_strategy = mgmt.connections.list(strategy=["samlp", "auth0"])
    assert sorted(c.name for c in by_strategy) == sorted(["saml-0", DB])
    by_name = list(mgmt.connections.list(name="oidc-1"))
    assert [c.name for c in by_name] == ["oidc-1"]


def test_list_offset_paging(raw: Raw, mgmt: Auth0) -> None:
    for i in range(3):
        mgmt.connections.create(name=f"oidc-{i}", strategy="oidc", options=OIDC)
    plain = raw("GET", "/connections", params={"per_page": 2, "page": 1})
    assert plain.status_code == 200 and len(plain.json()) == 2
    totals = raw("GET", "/connections", params={"per_page": 3, "include_totals": "true"}).json()
    assert totals["total"] == 4 and totals["limit"] == 3 and len(totals["connections"]) == 3
    for params in ({"per_page": 101}, {"strategy": "carrier-pigeon"}):
        bad = raw("GET", "/connections", params=params)
        assert bad.status_code == 400 and bad.json()["errorCode"] == "invalid_query_string"


def test_update_replaces_options_whole_and_resets_display_name(mgmt: Auth0) -> None:
    created = mgmt.connections.create(
        name="acme-saml",
        strategy="samlp",
        display_name="Acme SSO",
        options=saml_options(domain_aliases=["acme.test"], signatureAlgorithm="rsa-sha1"),
    )
    assert created.display_name == "Acme SSO"
    updated = mgmt.connections.update(created.id, options=saml_options(debug=True))
    assert updated.options is not None
    assert "domain_aliases" not in updated.options  # left out, so gone
    assert updated.options["signatureAlgorithm"] == "rsa-sha256"  # back to the default
    assert updated.options["debug"] is True
    assert updated.display_name == "acme-saml"  # left out, so reset to the name

    with pytest.raises(BadRequestError) as excinfo:
        mgmt.connections.update(created.id, options={"debug": True})  # no endpoint any more
    assert "signInEndpoint" in error_of(excinfo)["message"]

    kept = mgmt.connections.update(
        created.id, display_name="Acme", metadata={"portal_id": "7"}, is_domain_connection=True
    )
    assert kept.display_name == "Acme" and kept.metadata == {"portal_id": "7"}
    assert kept.options == updated.options  # options untouched when not sent


def test_update_rejects_name_and_strategy(raw: Raw, mgmt: Auth0) -> None:
    created = mgmt.connections.create(name="acme-oidc", strategy="oidc", options=OIDC)
    for body in ({"name": "other"}, {"strategy": "samlp"}, {}):
        response = raw("PATCH", f"/connections/{created.id}", json=body)
        assert response.status_code == 400, body


def test_options_scope_allows_options_only(
    mgmt: Auth0, sdk_for: Callable[..., Auth0], sandbox: SandboxApp, token_for: Callable[..., str]
) -> None:
    created = mgmt.connections.create(name="acme-oidc", strategy="oidc", options=OIDC)
    limited = sdk_for(sandbox, token_for("read:connections_options", "update:connections_options"))
    changed = limited.connections.update(created.id, options={**OIDC, "scope": "openid email"})
    assert changed.options is not None and changed.options["scope"] == "openid email"
    assert limited.connections.get(created.id).name == "acme-oidc"
    with pytest.raises(ForbiddenError) as excinfo:
        limited.connections.update(created.id, display_name="nope")
    assert error_of(excinfo)["errorCode"] == "insufficient_scope"


def test_missing_scope_is_403(sdk_for: Callable[..., Auth0], sandbox: SandboxApp,
                              token_for: Callable[..., str]) -> None:  # fmt: skip
    reader = sdk_for(sandbox, token_for("read:connections"))
    assert list(reader.connections.list())
    for call in (
        lambda: reader.connections.create(name="x", strategy="oidc", options=OIDC),
        lambda: reader.connections.delete(stable_id("con", DB)),
        lambda: reader.connections.clients.update(
            stable_id("con", DB), request=[{"client_id": DEMO_APP_CLIENT_ID, "status": False}]
        ),
    ):
        with pytest.raises(ForbiddenError) as excinfo:
            call()
        body = error_of(excinfo)
        assert body["errorCode"] == "insufficient_scope"
        assert body["message"].startswith("Insufficient scope, expected any of: ")


def test_delete_is_202_and_removes_users_and_org_links(
    mgmt: Auth0, sandbox: SandboxApp, raw: Raw
) -> None:
    db_id = stable_id("con", DB)
    acme = sandbox.state.organizations[stable_id("org", "acme")]
    members = list(acme.members)
    assert db_id in acme.connections and members
    response = raw("DELETE", f"/connections/{db_id}")
    assert response.status_code == 202 and response.content == b""
    assert not [u for u in sandbox.state.users.values() if u.connection == DB]
    assert db_id not in acme.connections and not acme.members
    with pytest.raises(NotFoundError):
        mgmt.connections.get(db_id)


def test_enabled_clients_add_remove_and_paging(mgmt: Auth0, raw: Raw) -> None:
    conn = mgmt.connections.create(name="acme-oidc", strategy="oidc", options=OIDC)
    assert list(mgmt.connections.clients.get(conn.id)) == []
    mgmt.connections.clients.update(
        conn.id,
        request=[
            {"client_id": DEMO_APP_CLIENT_ID, "status": True},
            {"client_id": PORTAL_LOGIN_CLIENT_ID, "status": True},
        ],
    )
    page = mgmt.connections.clients.get(conn.id, take=1)
    assert [c.client_id for c in page.items] == [DEMO_APP_CLIENT_ID]
    assert page.response is not None and page.response.next
    assert [c.client_id for c in page] == [DEMO_APP_CLIENT_ID, PORTAL_LOGIN_CLIENT_ID]

    # Removing one leaves the other: add/remove, not replace.
    mgmt.connections.clients.update(
        conn.id, request=[{"client_id": DEMO_APP_CLIENT_ID, "status": False}]
    )
    assert [c.client_id for c in mgmt.connections.clients.get(conn.id)] == [PORTAL_LOGIN_CLIENT_ID]
    assert mgmt.connections.get(conn.id).enabled_clients == [PORTAL_LOGIN_CLIENT_ID]

    # The legacy array replaces the whole set.
    legacy = mgmt.connections.update(conn.id, enabled_clients=[DEMO_APP_CLIENT_ID])
    assert legacy.enabled_clients == [DEMO_APP_CLIENT_ID]

    for body, message in (
        ([], "Array is too short (0), minimum 1"),
        ([{"client_id": DEMO_APP_CLIENT_ID, "status": True}] * 51, "Array is too long (51)"),
        ([{"client_id": DEMO_APP_CLIENT_ID}], "Missing required property: status"),
        ([{"client_id": "nope", "status": True}], "Client nope does not exist"),
        ({"client_id": DEMO_APP_CLIENT_ID, "status": True}, "Expected type array"),
    ):
        response = raw("PATCH", f"/connections/{conn.id}/clients", json=body)
        assert response.status_code == 400 and message in response.json()["message"], body


def test_deleting_a_client_removes_it_from_connections(mgmt: Auth0) -> None:
    db_id = stable_id("con", DB)
    assert DEMO_APP_CLIENT_ID in (mgmt.connections.get(db_id).enabled_clients or [])
    mgmt.clients.delete(DEMO_APP_CLIENT_ID)
    assert DEMO_APP_CLIENT_ID not in (mgmt.connections.get(db_id).enabled_clients or [])
