from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orgs.models import Connection, Organization
from tests.deploy.conftest import OIDC_SECRET, files, run

pytestmark = pytest.mark.django_db


def test_it_exports_organizations_in_deploy_cli_directory_layout(
    portal_orgs: dict[str, Organization], tmp_path: Path
) -> None:
    code, out, _ = run("export", str(tmp_path))
    assert code == 0, out
    written = files(tmp_path)
    hooli = json.loads(written["organizations/hooli.json"])
    assert hooli == {
        "name": "hooli",
        "display_name": "Hooli",
        "branding": {"colors": {"page_background": "#ffffff", "primary": "#112233"}},
        "metadata": {"tier": "gold", "portal_id": str(portal_orgs["hooli"].portal_id)},
        "connections": [
            {
                "name": "Username-Password-Authentication",
                "assign_membership_on_login": False,
                "is_signup_enabled": False,
            }
        ],
    }
    assert json.loads(written["portal/organizations/hooli.json"]) == {
        "membership_model": "shared_db",
        "status": "active",
        "owned_connections": ["hooli-oidc"],
        "application_urls": {
            _demo_app_name(): {"callbacks": ["https://hooli.example.com/callback"]}
        },
    }
    oidc = json.loads(written["connections/hooli-oidc.json"])
    assert oidc["options"]["client_secret"] == "##HOOLI_OIDC_CLIENT_SECRET##"
    assert oidc["strategy"] == "oidc" and oidc["display_name"] == "Acme SSO"
    beta_db = json.loads(written["database-connections/beta-users/database.json"])
    assert beta_db["strategy"] == "auth0" and _demo_app_name() in beta_db["enabled_clients"]
    client = json.loads(written[f"clients/{_demo_app_name()}.json"])
    assert "https://hooli.example.com/callback" in client["callbacks"]
    assert set(client) == {"name", "callbacks", "allowed_logout_urls", "web_origins"}
    assert "roles/org-admin.json" in written
    config = json.loads(written["config.example.json"])
    assert config["AUTH0_KEYWORD_REPLACE_MAPPINGS"] == {"HOOLI_OIDC_CLIENT_SECRET": ""}


def test_two_exports_of_the_same_state_are_byte_identical(
    portal_orgs: dict[str, Organization], tmp_path: Path
) -> None:
    run("export", str(tmp_path / "one"))
    run("export", str(tmp_path / "two"))
    assert files(tmp_path / "one") == files(tmp_path / "two")


def test_no_exported_file_holds_a_secret(
    portal_orgs: dict[str, Organization], tmp_path: Path
) -> None:
    run("export", str(tmp_path))
    encrypted = Connection.objects.get(name="hooli-oidc").encrypted_secrets
    for name, text in files(tmp_path).items():
        assert OIDC_SECRET not in text, name
        assert encrypted not in text, name


def test_it_exports_only_the_organizations_asked_for(
    portal_orgs: dict[str, Organization], tmp_path: Path
) -> None:
    code, _, _ = run("export", str(tmp_path), "--org", "beta")
    assert code == 0
    assert "organizations/beta.json" in files(tmp_path)
    assert "organizations/hooli.json" not in files(tmp_path)


def _demo_app_name() -> Any:
    from orgs.models import Application

    return Application.objects.get(client_id="sandbox-demo-app").name
