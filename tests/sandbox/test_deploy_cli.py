"""The real auth0-deploy-cli 8 (`a0deploy`, from package.json) against the sandbox over TLS:
an export lists the sandbox's organizations and roles, and importing it back (twice) works.

The config used (the portal-side test reuses its shape): AUTH0_DOMAIN `127.0.0.1:PORT`, the
sandbox M2M client's id and secret, AUTH0_INCLUDED_ONLY limited to the resource types the
portal manages, AUTH0_ALLOW_DELETE false; NODE_EXTRA_CA_CERTS names the sandbox's CA.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sandbox.seed import (
    DEMO_ORGANIZATIONS,
    DEMO_ROLES,
    PORTAL_M2M_CLIENT_ID,
    PORTAL_M2M_CLIENT_SECRET,
)
from tests.conftest import require_service

from .tls_support import PROJECT, TlsSandbox, serve_tls

pytestmark = pytest.mark.slow
A0DEPLOY = PROJECT / "node_modules" / ".bin" / "a0deploy"
INCLUDED = ["organizations", "clients", "roles", "databases", "connections"]


def a0deploy() -> Path:
    if shutil.which("node") is None:
        require_service("node is not installed: the auth0-deploy-cli test needs it")
    if not A0DEPLOY.exists():
        npm = shutil.which("npm")
        if npm is None:
            require_service("npm is not installed: cannot install auth0-deploy-cli")
        subprocess.run(
            [str(npm), "install", "--no-audit", "--no-fund", "--silent"],
            cwd=PROJECT,
            check=False,
            timeout=600,
        )
    if not A0DEPLOY.exists():
        require_service("auth0-deploy-cli did not install (npm install in the project)")
    return A0DEPLOY


def write_config(path: Path, sandbox: TlsSandbox) -> Path:
    config = {
        "AUTH0_DOMAIN": f"127.0.0.1:{sandbox.port}",
        "AUTH0_CLIENT_ID": PORTAL_M2M_CLIENT_ID,
        "AUTH0_CLIENT_SECRET": PORTAL_M2M_CLIENT_SECRET,
        "AUTH0_INCLUDED_ONLY": INCLUDED,
        "AUTH0_ALLOW_DELETE": False,
    }
    path.write_text(json.dumps(config, indent=2))
    return path


def run(cli: Path, sandbox: TlsSandbox, *args: str) -> str:
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(sandbox.ca_cert)}
    done = subprocess.run(
        [str(cli), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def names_in(folder: Path) -> set[str]:
    return {json.loads(p.read_text())["name"] for p in folder.glob("*.json")}


def test_export_then_import_twice(tmp_path: Path) -> None:
    cli = a0deploy()
    with serve_tls(tmp_path / "tls") as sandbox:
        config = write_config(tmp_path / "config.json", sandbox)
        out = tmp_path / "tenant"
        export = run(cli, sandbox, "export", "--format", "directory", "--output_folder",
                     str(out), "--config_file", str(config))  # fmt: skip
        assert "Export Successful" in export
        assert names_in(out / "organizations") == set(DEMO_ORGANIZATIONS)
        assert names_in(out / "roles") == set(DEMO_ROLES)
        acme = json.loads((out / "organizations" / "acme.json").read_text())
        assert [c["name"] for c in acme["connections"]] == ["Username-Password-Authentication"]
        # An organization client grant, by client name, as deploy-cli writes them.
        acme["client_grants"] = [{"client_id": "Organization Admin Portal (Management API)"}]
        (out / "organizations" / "acme.json").write_text(json.dumps(acme))
        for _ in range(2):
            imported = run(cli, sandbox, "import", "--input_file", str(out),
                           "--config_file", str(config))  # fmt: skip
            assert "Import Successful" in imported
        again = tmp_path / "again"
        run(cli, sandbox, "export", "--format", "directory", "--output_folder", str(again),
            "--config_file", str(config))  # fmt: skip
    exported = json.loads((again / "organizations" / "acme.json").read_text())
    assert exported["client_grants"] == acme["client_grants"]
    assert names_in(again / "roles") == set(DEMO_ROLES)
