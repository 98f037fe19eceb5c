"""The portal's export through the real auth0-deploy-cli, over TLS.

Sandbox A is the portal's tenant (the demo tenant imported, hooli and beta made through
the services). `orgs export` writes its directory; a fresh sandbox B, holding what the
export depends on (the demo seed's clients, roles and shared database) but none of the
exported organizations, gets `a0deploy import` of it, and then holds what the portal
wants. `a0deploy export` of B, planned against the unchanged portal, shows no changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orgs.auth0.client import forget_clients
from orgs.bench.deploy_cli import (
    DeployCli,
    DeployCliUnavailable,
    TlsTenant,
    delete_organizations,
    deploy_cli_for,
    find_a0deploy,
    start_tls_sandbox,
)
from orgs.deploy import layout
from orgs.deploy.state import Desired, link_flags, portal_state
from orgs.models import Organization
from orgs.tenant_import import import_tenant
from portal.coordination import coordination_store
from sandbox.seed import PORTAL_M2M_CLIENT_ID, PORTAL_M2M_CLIENT_SECRET
from tests.conftest import require_service
from tests.deploy.conftest import OIDC_SECRET, create_portal_orgs, run
from tests.tenant import FAST_LIMITS

pytestmark = [pytest.mark.slow, pytest.mark.django_db]
# Neither side should throttle a handful of organizations.
UNLIMITED = ("--rate", "1000", "--burst", "1000", "--no-endpoint-buckets")
KEYWORDS = {"HOOLI_OIDC_CLIENT_SECRET": OIDC_SECRET}


@pytest.fixture
def a0deploy() -> Path:
    try:
        return find_a0deploy()
    except DeployCliUnavailable as exc:
        require_service(str(exc))
        raise


@pytest.fixture
def tenant_a(tmp_path: Path, settings: Any) -> Iterator[TlsTenant]:
    """The portal's tenant over TLS: the portal trusts its CA through AUTH0_CA_BUNDLE."""
    tenant = start_tls_sandbox(tmp_path / "tls-a", *UNLIMITED)
    settings.AUTH0_DOMAIN = tenant.base_url
    settings.AUTH0_CA_BUNDLE = str(tenant.ca_cert)
    settings.AUTH0_RATE_OVERRIDES = FAST_LIMITS
    forget_clients()
    coordination_store().flushdb()
    try:
        yield tenant
    finally:
        forget_clients()
        tenant.stop()


@pytest.fixture
def tenant_b(tmp_path: Path) -> Iterator[TlsTenant]:
    tenant = start_tls_sandbox(tmp_path / "tls-b", *UNLIMITED)
    try:
        yield tenant
    finally:
        tenant.stop()


@pytest.fixture
def portal(tenant_a: TlsTenant) -> Desired:
    import_tenant()
    orgs = create_portal_orgs()
    Organization.objects.filter(pk=orgs["beta"].pk).update(
        logo_url="https://beta.example.com/logo.png"
    )
    return portal_state()


def cli_for(tenant: TlsTenant, tmp_path: Path, a0deploy: Path) -> DeployCli:
    return deploy_cli_for(
        tenant,
        tmp_path / f"config-{tenant.port}.json",
        client_id=PORTAL_M2M_CLIENT_ID,
        client_secret=PORTAL_M2M_CLIENT_SECRET,
        keywords=KEYWORDS,
    )


def tenant_state(tenant: TlsTenant) -> dict[str, Any]:
    with tenant.http() as http:
        state: dict[str, Any] = http.get("/__sandbox__/state").json()
    return state


def organization_view(state: dict[str, Any], org: dict[str, Any]) -> dict[str, Any]:
    """An organization in the tenant, in the portal's spec terms (orgs.deploy.state)."""
    connections = state["connections"]
    branding = org.get("branding") or {}
    colors = branding.get("colors") or {}
    links = {}
    for connection_id, link in org["connections"].items():
        connection = connections[connection_id]
        links[connection["name"]] = link_flags(link, database=connection["strategy"] == "auth0")
    return {
        "display_name": org["display_name"],
        "logo_url": branding.get("logo_url") or "",
        "primary_color": colors.get("primary") or "",
        "page_background_color": colors.get("page_background") or "",
        "metadata": {k: v for k, v in (org.get("metadata") or {}).items() if k != "portal_id"},
        "connections": links,
    }


def test_a_directory_the_portal_exported_imports_with_deploy_cli_and_plans_clean(
    a0deploy: Path, portal: Desired, tenant_b: TlsTenant, tmp_path: Path
) -> None:
    exported = tmp_path / "exported"
    assert run("export", str(exported))[0] == 0
    wanted = set(portal.organizations)
    assert {"acme", "globex", "hooli", "beta"} <= wanted
    delete_organizations(
        tenant_b, wanted, client_id=PORTAL_M2M_CLIENT_ID, client_secret=PORTAL_M2M_CLIENT_SECRET
    )

    cli = cli_for(tenant_b, tmp_path, a0deploy)
    assert "Import Successful" in cli.import_directory(exported)

    state = tenant_state(tenant_b)
    by_name = {o["name"]: o for o in state["organizations"].values()}
    for name, spec in portal.organizations.items():
        fields = {key: spec[key] for key in organization_view(state, by_name[name])}
        assert organization_view(state, by_name[name]) == fields, name
        for app, kinds in spec["application_urls"].items():
            client = next(c for c in state["clients"].values() if c["name"] == app)
            for kind, urls in kinds.items():
                assert set(urls) <= set(client[kind]), f"{name}: {app}.{kind}"
    _assert_connections_match(state, portal)
    _assert_clients_match(state, exported)
    roles = {r["name"]: {"description": r["description"]} for r in state["roles"].values()}
    assert roles == portal.roles

    again = tmp_path / "again"
    cli.export_directory(again)
    code, out, err = run("plan", str(again))
    assert (code, out.strip()) == (0, "No changes."), out + err


def _assert_connections_match(state: dict[str, Any], portal: Desired) -> None:
    names = {c["client_id"]: c["name"] for c in state["clients"].values()}
    by_name = {c["name"]: c for c in state["connections"].values()}
    for name, spec in portal.connections.items():
        connection = by_name[name]
        assert connection["strategy"] == spec["strategy"], name
        assert connection["display_name"] == spec["display_name"], name
        assert sorted(names[c] for c in connection["enabled_clients"]) == spec["enabled_clients"]
        for key, value in spec["options"].items():
            match = layout.PLACEHOLDER.match(value) if isinstance(value, str) else None
            expected = KEYWORDS[match.group(1)] if match else value
            assert connection["options"][key] == expected, f"{name}.options.{key}"


def _assert_clients_match(state: dict[str, Any], exported: Path) -> None:
    """Every client the export names holds exactly the file's URL lists, which include
    every URL an organization contributes (tests/deploy/test_export.py)."""
    by_name = {c["name"]: c for c in state["clients"].values()}
    files = sorted((exported / layout.CLIENTS).glob("*.json"))
    assert files
    for path in files:
        document = json.loads(path.read_text())
        client = by_name[document["name"]]
        for kind in layout.URL_KINDS:
            assert sorted(client[kind]) == document[kind], f"{document['name']}.{kind}"
