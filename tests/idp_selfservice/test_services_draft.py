"""Step 7 through the services, against the real engine and sandbox: an active setup is
changed on a draft copy with a connection of its own (presenting the live entity id to the
IdP), tested while the live one keeps working, and swapped in with one write, or thrown
away."""

from __future__ import annotations

from typing import Any

import pytest

from idp_selfservice import drafts, services
from idp_selfservice.models import SetupState, SsoSetup
from idp_selfservice.sp_values import sp_values
from orgs.models import Connection, OpState, Organization, SyncOperation
from orgs.secrets import decrypt_options
from tests.idp_selfservice import builders as b
from tests.orgs.engine import drain
from tests.orgs.services import refused

pytestmark = pytest.mark.django_db

PORTAL_LOGIN = "sandbox-portal-login"


def acme() -> Organization:
    return Organization.objects.get(name="acme")


def _all_succeeded() -> None:
    drain()
    unsettled = SyncOperation.objects.exclude(state=OpState.SUCCEEDED)
    assert not unsettled.exists(), list(unsettled.values("kind", "state", "last_error"))


def _options(name: str) -> dict[str, Any]:
    remote = b.remote(name)
    assert remote is not None, f"{name} is not in the sandbox"
    options: dict[str, Any] = remote["options"]
    return options


def _live_with_domains(provider: str = "okta") -> SsoSetup:
    from orgs.models import Domain
    from orgs.models.organizations import DomainStatus

    Domain.objects.create(organization=acme(), domain="acme.test", status=DomainStatus.VERIFIED)
    client_id = services.organization_applications(acme()).first().client_id
    flags: dict[str, Any] = {}
    if provider in ("okta", "ping"):
        flags = {"idp_initiated": True, "idp_initiated_client_id": client_id}
    return b.active_setup(acme(), provider, **flags)


def test_a_draft_copy_copies_the_live_details(imported_tenant: Any) -> None:
    live = _live_with_domains()
    copy = drafts.draft_copy_start(actor=None, setup=live)
    assert copy.replaces == live and copy.state == SetupState.DRAFT
    assert copy.connection_name == "acme-okta-draft"
    assert copy.idp_summary == live.idp_summary and copy.attribute_map == live.attribute_map
    assert copy.connection is not None and live.connection is not None
    assert copy.connection.options["signingCert"] == live.connection.options["signingCert"]
    # the IdP's app knows the live connection's entity id: the copy presents that one
    assert copy.connection.options["entityId"] == sp_values("acme-okta").entity_id
    assert copy.connection.display_name.endswith("(draft)")
    _all_succeeded()

    options = _options("acme-okta-draft")
    assert options["entityId"] == "urn:auth0:sandbox:acme-okta"
    assert options["signInEndpoint"] == _options("acme-okta")["signInEndpoint"]
    assert "idpinitiated" not in options and "domain_aliases" not in options
    assert b.remote_clients("acme-okta-draft") == {PORTAL_LOGIN}  # testing only
    link = b.remote_org_link(acme(), "acme-okta-draft")
    assert link is not None and link["show_as_button"] is False
    live.refresh_from_db()
    assert live.state == SetupState.ACTIVE  # the live one keeps working

    # one copy at a time: asking again returns it
    before = SyncOperation.objects.count()
    assert drafts.draft_copy_start(actor=None, setup=live) == copy
    assert SyncOperation.objects.count() == before


def test_a_draft_copy_of_an_oidc_setup_carries_the_secret(imported_tenant: Any) -> None:
    live = b.active_setup(acme(), "oidc")
    copy = drafts.draft_copy_start(actor=None, setup=live)
    assert copy.connection is not None
    assert "client_secret" not in copy.connection.options
    assert decrypt_options(copy.connection.encrypted_secrets) == {"client_secret": b.OIDC_SECRET}
    assert "entityId" not in copy.connection.options
    _all_succeeded()
    assert _options(copy.connection_name)["client_secret"] == b.OIDC_SECRET


def test_only_a_setup_in_use_gets_a_draft_copy(imported_tenant: Any) -> None:
    draft = b.tested_setup(acme(), "okta")
    with refused("Only a connection that is in use is edited as a draft copy."):
        drafts.draft_copy_start(actor=None, setup=draft)
    live = b.active_setup(acme(), "saml")
    copy = drafts.draft_copy_start(actor=None, setup=live)
    with refused("Only a connection that is in use is edited as a draft copy."):
        drafts.draft_copy_start(actor=None, setup=copy)


def test_the_swap_waits_for_a_passing_test_of_the_copy(imported_tenant: Any) -> None:
    live = b.active_setup(acme(), "okta")
    copy = drafts.draft_copy_start(actor=None, setup=live)
    _all_succeeded()
    with refused("Run a test sign-in of the draft that passes before swapping it in."):
        drafts.draft_copy_swap(actor=None, draft=copy)
    with refused("This is not a draft copy waiting to be swapped in."):
        drafts.draft_copy_swap(actor=None, draft=live)


def test_the_swap_puts_the_tested_copy_on_the_live_connection(imported_tenant: Any) -> None:
    live = _live_with_domains()
    before = _options("acme-okta")
    copy = drafts.draft_copy_start(actor=None, setup=live)
    new_pem = b.self_signed_pem("rotated.example.com")
    details = b.saml_details(sign_in="https://idp.example.com/sso/v2", pem=new_pem)
    copy = services.setup_save_idp(actor=None, setup=copy, details=details)
    mapping = {**copy.attribute_map, "email": "mail"}
    copy = services.setup_save_mapping(actor=None, setup=copy, attribute_map=mapping)
    _all_succeeded()
    b.passing_test(copy)
    copy.refresh_from_db()
    assert copy.state == SetupState.TESTED

    swapped = drafts.draft_copy_swap(actor=None, draft=copy)
    assert swapped.pk == live.pk and swapped.state == SetupState.ACTIVE
    assert swapped.attribute_map == mapping and swapped.tested_at == copy.tested_at
    _all_succeeded()

    options = _options("acme-okta")
    assert options["signingCert"] == details.options["signingCert"]
    assert options["signInEndpoint"] == "https://idp.example.com/sso/v2"
    assert options["subject"] == "CN=rotated.example.com"  # derived from the new certificate
    assert options["thumbprints"] != before["thumbprints"]
    assert options["fieldsMap"]["email"] == "mail"
    assert "entityId" not in options  # the live name's own entity id stays in force
    assert options["idpinitiated"] == before["idpinitiated"]
    assert options["domain_aliases"] == ["acme.test"]
    link = b.remote_org_link(acme(), "acme-okta")
    assert link is not None and link["show_as_button"] is True

    copy.refresh_from_db()
    assert copy.state == SetupState.SWAPPED
    assert b.remote("acme-okta-draft") is None  # the copy's connection is gone
    assert Connection.objects.get(name="acme-okta-draft").deleted_at is not None
    live_connection = Connection.objects.get(name="acme-okta")
    assert "entityId" not in live_connection.options
    # a later edit starts a fresh copy
    again = drafts.draft_copy_start(actor=None, setup=swapped)
    assert again.pk != copy.pk and again.connection_name == "acme-okta-draft-2"


@pytest.mark.parametrize("provider", ["oidc", "adfs", "ping", "entra"])
def test_the_swap_works_for_each_strategy(imported_tenant: Any, provider: str) -> None:
    live = b.active_setup(acme(), provider)
    copy = drafts.draft_copy_start(actor=None, setup=live)
    replacement = {
        "oidc": b.oidc_details(client_id="client-2", client_secret="secret-2"),
        "adfs": b.adfs_details(server="https://adfs2.example.com/FederationMetadata.xml"),
        "ping": b.ping_details(base_url="https://sso2.example.com", pem=b.self_signed_pem("p2")),
        "entra": b.saml_details(sign_in="https://login.example.com/saml2"),
    }[provider]
    services.setup_save_idp(actor=None, setup=copy, details=replacement)
    _all_succeeded()
    b.passing_test(copy)
    drafts.draft_copy_swap(actor=None, draft=copy)
    _all_succeeded()

    options = _options(live.connection_name)
    for key, value in replacement.options.items():
        if not (provider == "ping" and key == "signingCert"):  # Auth0 never returns it
            assert options[key] == value, key
    assert "entityId" not in options
    if provider == "ping":
        assert options["subject"] == "CN=p2"
    live_connection = Connection.objects.get(pk=live.connection_id)
    if provider == "oidc":
        assert decrypt_options(live_connection.encrypted_secrets) == {"client_secret": "secret-2"}
    assert b.remote(copy.connection_name) is None


def test_discarding_a_copy_deletes_only_the_copy(imported_tenant: Any) -> None:
    live = b.active_setup(acme(), "okta")
    copy = drafts.draft_copy_start(actor=None, setup=live)
    _all_succeeded()
    drafts.draft_copy_discard(actor=None, draft=copy)
    _all_succeeded()
    copy.refresh_from_db()
    live.refresh_from_db()
    assert copy.state == SetupState.DELETED and live.state == SetupState.ACTIVE
    assert b.remote("acme-okta-draft") is None and b.remote("acme-okta") is not None
    with refused("This is not a draft copy."):
        drafts.draft_copy_discard(actor=None, draft=copy)
    with refused("This is not a draft copy."):
        drafts.draft_copy_discard(actor=None, draft=live)


def test_deleting_the_live_setup_deletes_its_copy(imported_tenant: Any) -> None:
    live = b.active_setup(acme(), "okta")
    copy = drafts.draft_copy_start(actor=None, setup=live)
    _all_succeeded()
    services.setup_delete(actor=None, setup=live)
    _all_succeeded()
    copy.refresh_from_db()
    assert copy.state == SetupState.DELETED
    assert b.remote("acme-okta") is None and b.remote("acme-okta-draft") is None
