"""Enterprise connection services against the real engine and sandbox: create with the
secrets split off and encrypted, option updates merged under the lock (removed keys,
kept secrets, a new certificate's derived values, write-only options), and delete."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.models import Connection, OpState, Organization, OrganizationConnection, SyncOperation
from orgs.secrets import decrypt_options
from orgs.services.connections import organization_connection_enable
from orgs.services.enterprise_connections import (
    connection_create_enterprise,
    connection_delete,
    connection_secret_keys,
    connection_update_options,
)
from tests.idp_selfservice import builders as b
from tests.orgs.engine import drain
from tests.orgs.services import audited, operations, refused

pytestmark = pytest.mark.django_db


def acme() -> Organization:
    return Organization.objects.get(name="acme")


def _settle() -> None:
    drain()
    unsettled = SyncOperation.objects.exclude(state=OpState.SUCCEEDED)
    assert not unsettled.exists(), list(unsettled.values("kind", "state", "last_error"))


def _options(name: str) -> dict[str, Any]:
    remote = b.remote(name)
    assert remote is not None, f"{name} is not in the sandbox"
    options: dict[str, Any] = remote["options"]
    return options


def _oidc(name: str = "acme-oidc") -> Connection:
    return connection_create_enterprise(
        actor=None,
        organization=acme(),
        name=name,
        strategy="oidc",
        display_name="Acme OIDC",
        options=dict(b.oidc_details().options),
    )


def _saml(name: str = "acme-saml", **extra: Any) -> Connection:
    return connection_create_enterprise(
        actor=None,
        organization=acme(),
        name=name,
        strategy="samlp",
        display_name="Acme SAML",
        options={**b.saml_details().options, **extra},
    )


def test_create_keeps_secrets_encrypted_and_sends_them_to_auth0(imported_tenant: Any) -> None:
    connection = _oidc()
    assert "client_secret" not in connection.options
    assert connection.options["client_id"] == "portal-client"
    assert decrypt_options(connection.encrypted_secrets) == {"client_secret": b.OIDC_SECRET}
    assert connection_secret_keys(connection) == ["client_secret"]
    assert operations() == [("connection.create", None)]
    assert audited() == ["connection.create"]
    _settle()
    connection.refresh_from_db()
    assert connection.auth0_id
    remote = b.remote("acme-oidc")
    assert remote is not None and remote["display_name"] == "Acme OIDC"
    assert remote["options"]["client_secret"] == b.OIDC_SECRET


def test_create_refuses_a_name_in_use(imported_tenant: Any) -> None:
    _saml()
    with refused("A connection named 'acme-saml' already exists."):
        _saml()


def test_update_merges_removes_and_keeps_an_unentered_secret(imported_tenant: Any) -> None:
    connection = _oidc()
    _settle()
    connection = connection_update_options(
        actor=None,
        connection=connection,
        options={"client_id": "client-2", "client_secret": "", "scope": "openid email"},
        removed_keys=["userinfo_endpoint"],
        display_name="Acme sign-in",
    )
    assert connection.options["client_id"] == "client-2"
    assert "userinfo_endpoint" not in connection.options
    assert decrypt_options(connection.encrypted_secrets) == {"client_secret": b.OIDC_SECRET}
    _settle()
    remote = b.remote("acme-oidc")
    assert remote is not None and remote["display_name"] == "Acme sign-in"
    options = remote["options"]
    assert options["client_id"] == "client-2" and options["scope"] == "openid email"
    assert options["client_secret"] == b.OIDC_SECRET and "userinfo_endpoint" not in options

    # a removed secret is dropped from the encrypted store and from Auth0
    connection = connection_update_options(
        actor=None,
        connection=connection,
        options={"type": "front_channel"},
        removed_keys=["client_secret"],
    )
    assert connection.encrypted_secrets == "" and connection_secret_keys(connection) == []
    _settle()
    assert "client_secret" not in _options("acme-oidc")


def test_update_before_the_create_ran_waits_for_it(imported_tenant: Any) -> None:
    connection = _saml()
    connection_update_options(actor=None, connection=connection, options={"debug": True})
    assert operations() == [("connection.create", None), ("connection.update", "connection.create")]
    _settle()
    assert _options("acme-saml")["debug"] is True


def test_a_new_certificate_brings_its_own_derived_values(imported_tenant: Any) -> None:
    connection = _saml()
    _settle()
    old = _options("acme-saml")
    new_cert = b.signing_cert(b.self_signed_pem("next.example.com"))
    connection_update_options(actor=None, connection=connection, options={"signingCert": new_cert})
    update = SyncOperation.objects.get(kind="connection.update")
    assert {"cert", "thumbprints", "expires", "subject"} <= set(update.payload["removed_keys"])
    _settle()
    options = _options("acme-saml")
    assert options["signingCert"] == new_cert and options["subject"] == "CN=next.example.com"
    assert options["thumbprints"] != old["thumbprints"] and options["cert"] != old["cert"]

    # options that do not touch the certificate leave Auth0's derived values alone
    connection_update_options(actor=None, connection=connection, options={"debug": False})
    assert "thumbprints" not in SyncOperation.objects.filter(kind="connection.update").latest(
        "pk"
    ).payload.get("removed_keys", [])
    _settle()
    assert _options("acme-saml")["thumbprints"] == options["thumbprints"]


def test_a_write_only_certificate_is_sent_and_the_update_still_verifies(
    imported_tenant: Any,
) -> None:
    connection = connection_create_enterprise(
        actor=None,
        organization=acme(),
        name="acme-ping",
        strategy="pingfederate",
        display_name="Acme Ping",
        options=dict(b.ping_details().options),
    )
    _settle()
    assert "signingCert" not in _options("acme-ping")  # Auth0 never returns it
    connection_update_options(
        actor=None, connection=connection, options={"pingFederateBaseUrl": "https://p2.example"}
    )
    _settle()  # a failed read-back check would leave this retrying
    options = _options("acme-ping")
    assert options["pingFederateBaseUrl"] == "https://p2.example"
    assert options["subject"] == "CN=idp.example.com"  # the certificate went along


def test_update_of_a_deleted_connection_is_refused(imported_tenant: Any) -> None:
    connection = _saml()
    _settle()
    connection_delete(actor=None, connection=connection)
    _settle()
    with refused("has been deleted"):
        connection_update_options(actor=None, connection=connection, options={"debug": True})


def test_delete_takes_the_connection_off_its_organizations_first(imported_tenant: Any) -> None:
    connection = _saml()
    organization_connection_enable(actor=None, organization=acme(), connection=connection)
    _settle()
    assert b.remote_org_link(acme(), "acme-saml") is not None

    connection_delete(actor=None, connection=connection)
    assert not OrganizationConnection.objects.filter(connection=connection).exists()
    _settle()
    assert b.remote("acme-saml") is None
    connection.refresh_from_db()
    assert connection.deleted_at is not None
    assert audited()[-1] == "connection.delete"


def test_delete_before_the_create_ran_leaves_nothing_behind(imported_tenant: Any) -> None:
    connection = _saml()
    connection_delete(actor=None, connection=connection)
    assert operations() == [("connection.create", None), ("connection.delete", "connection.create")]
    _settle()
    assert b.remote("acme-saml") is None


def test_secret_names_of_an_undecryptable_store_are_empty(
    imported_tenant: Any, settings: Any
) -> None:
    connection = _oidc()
    settings.FIELD_ENCRYPTION_KEY = "a-different-key"
    assert connection_secret_keys(connection) == []
