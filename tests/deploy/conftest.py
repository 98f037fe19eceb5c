"""A small portal state to export: a shared-database organization with a URL and an
OIDC connection (with a secret), and an own-database one; all pushed to the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from orgs.models import Application, Organization
from orgs.models.applications import UrlKind
from orgs.services.applications import application_url_add
from orgs.services.enterprise_connections import connection_create_enterprise
from orgs.services.organizations import organization_create, organization_update
from tests.orgs.engine import drain

OIDC_SECRET = "oidc-very-secret-value-1234"


@pytest.fixture
def portal_orgs(imported_tenant: Any) -> dict[str, Organization]:
    return create_portal_orgs()


def create_portal_orgs() -> dict[str, Organization]:
    """hooli and beta, made through the services and drained to the tenant."""
    app = Application.objects.get(client_id="sandbox-demo-app")
    hooli = organization_create(actor=None, name="hooli", display_name="Hooli")
    hooli = organization_update(
        actor=None,
        organization=hooli,
        primary_color="#112233",
        page_background_color="#ffffff",
        metadata={"tier": "gold"},
    )
    application_url_add(
        actor=None,
        organization=hooli,
        application=app,
        kind=UrlKind.CALLBACK,
        url="https://hooli.example.com/callback",
    )
    connection_create_enterprise(
        actor=None,
        organization=hooli,
        name="hooli-oidc",
        strategy="oidc",
        display_name="Acme SSO",
        options={
            "client_id": "hooli-client",
            "client_secret": OIDC_SECRET,
            "discovery_url": "https://idp.hooli.example.com/.well-known/openid-configuration",
            "type": "back_channel",
        },
    )
    beta = organization_create(
        actor=None,
        name="beta",
        display_name="Beta",
        membership_model="own_db",
        database_applications=[app],
    )
    assert set(drain()) == {"succeeded"}
    return {"hooli": hooli, "beta": beta}


def run(*args: str) -> tuple[int, str, str]:
    """Run `manage.py orgs ...`: (exit status, stdout, stderr)."""
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("orgs", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def files(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): p.read_text()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
