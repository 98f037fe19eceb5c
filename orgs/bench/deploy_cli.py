"""The real auth0-deploy-cli (`a0deploy`, package.json's devDependency) and the sandbox
over TLS it insists on: for the re-deploy benchmark (orgs/bench/redeploy.py) and the
round-trip test (tests/deploy/test_deploy_cli_roundtrip.py).

deploy-cli reads its tenant from a config file (AUTH0_DOMAIN without a scheme: it always
speaks https) and trusts the sandbox's CA through NODE_EXTRA_CA_CERTS. Only the resource
types the portal manages are included, and it never deletes (AUTH0_ALLOW_DELETE false).
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from orgs.bench.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
A0DEPLOY = ROOT / "node_modules" / ".bin" / "a0deploy"
INCLUDED = ["organizations", "clients", "roles", "databases", "connections"]
NPM_INSTALL_TIMEOUT = 600.0
RUN_TIMEOUT = 1800.0  # an import of hundreds of organizations at Enterprise limits


class DeployCliUnavailable(Exception):
    """node, npm or the package is missing: the caller decides between skip and fail."""


def find_a0deploy() -> Path:
    """`a0deploy`, installed with `npm install` in the project when node is present."""
    if shutil.which("node") is None:
        raise DeployCliUnavailable("node is not installed: auth0-deploy-cli needs it")
    if not A0DEPLOY.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise DeployCliUnavailable("npm is not installed: cannot install auth0-deploy-cli")
        subprocess.run(  # noqa: S603 (npm from PATH, fixed arguments)
            [npm, "install", "--no-audit", "--no-fund", "--silent"],
            cwd=ROOT,
            check=False,
            timeout=NPM_INSTALL_TIMEOUT,
        )
    if not A0DEPLOY.exists():
        raise DeployCliUnavailable("auth0-deploy-cli did not install (npm install in the project)")
    return A0DEPLOY


@dataclass(frozen=True)
class TlsTenant:
    """A sandbox served over https by a process of ours."""

    port: int
    ca_cert: Path
    process: subprocess.Popen[bytes]

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def http(self) -> httpx.Client:
        verify = ssl.create_default_context(cafile=str(self.ca_cert))
        return httpx.Client(base_url=self.base_url, verify=verify, timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_tls_sandbox(tls_dir: Path, *options: str) -> TlsTenant:
    """`python -m sandbox serve --tls --seed demo` on a free port (its CA in `tls_dir`);
    `options` are more of serve's (`--rate`, `--burst`, `--no-endpoint-buckets`)."""
    port = free_port()
    command = [sys.executable, "-m", "sandbox", "serve", "--tls", "--tls-dir", str(tls_dir)]
    command += ["--port", str(port), "--seed", "demo", *options]
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    tenant = TlsTenant(port, tls_dir / "ca.pem", process)
    _wait_until_serving(tenant)
    return tenant


def _wait_until_serving(tenant: TlsTenant, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tenant.process.poll() is not None:
            raise RuntimeError(f"the TLS sandbox exited early ({tenant.process.returncode})")
        if tenant.ca_cert.exists():
            try:
                with tenant.http() as http:
                    http.get("/__sandbox__/")
                return
            except (httpx.TransportError, ssl.SSLError):
                pass
        time.sleep(0.1)
    tenant.stop()
    raise RuntimeError("the TLS sandbox did not start serving https")


@dataclass(frozen=True)
class DeployCli:
    """`a0deploy` pointed at one tenant through its config file."""

    executable: Path
    config_file: Path
    ca_cert: Path

    def run(self, *args: str) -> str:
        """Run it; its output, or RuntimeError with the output when it exits non-zero."""
        done = subprocess.run(  # noqa: S603 (the project's own a0deploy)
            [str(self.executable), *args, "--config_file", str(self.config_file)],
            env={**os.environ, "NODE_EXTRA_CA_CERTS": str(self.ca_cert)},
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        output = done.stdout + done.stderr
        if done.returncode != 0:
            raise RuntimeError(f"a0deploy {args[0]} exited {done.returncode}:\n{output}")
        return output

    def import_directory(self, directory: Path) -> str:
        return self.run("import", "--input_file", str(directory))

    def export_directory(self, directory: Path) -> str:
        return self.run("export", "--format", "directory", "--output_folder", str(directory))


def deploy_cli_for(
    tenant: TlsTenant,
    config_file: Path,
    *,
    client_id: str,
    client_secret: str,
    keywords: dict[str, str] | None = None,
) -> DeployCli:
    """Write deploy-cli's config for `tenant` (secret keywords as
    AUTH0_KEYWORD_REPLACE_MAPPINGS) and return the CLI pointed at it."""
    config = {
        "AUTH0_DOMAIN": f"127.0.0.1:{tenant.port}",
        "AUTH0_CLIENT_ID": client_id,
        "AUTH0_CLIENT_SECRET": client_secret,
        "AUTH0_ALLOW_DELETE": False,
        "AUTH0_INCLUDED_ONLY": INCLUDED,
        "AUTH0_KEYWORD_REPLACE_MAPPINGS": keywords or {},
    }
    config_file.write_text(json.dumps(config, indent=2))
    return DeployCli(find_a0deploy(), config_file, tenant.ca_cert)


def delete_organizations(
    tenant: TlsTenant, names: set[str], *, client_id: str, client_secret: str
) -> None:
    """Delete these organizations from a fresh sandbox (the Management API, as a person
    emptying a tenant would), so an import has to create them."""
    with tenant.http() as http:
        token = http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
                "audience": f"{tenant.base_url}/api/v2/",
            },
        )
        token.raise_for_status()
        http.headers["authorization"] = f"Bearer {token.json()['access_token']}"
        for org in http.get("/api/v2/organizations", params={"per_page": 100}).json():
            if org["name"] in names:
                http.delete(f"/api/v2/organizations/{org['id']}").raise_for_status()
