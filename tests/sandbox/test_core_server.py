"""The sandbox behind a real socket: Werkzeug's threaded server and `python -m sandbox`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from sandbox import SandboxApp, create_app
from sandbox.seed import PORTAL_M2M_CLIENT_ID, PORTAL_M2M_CLIENT_SECRET

pytestmark = pytest.mark.slow
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served() -> Iterator[tuple[SandboxApp, str]]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(base_url=base, seed="demo")
    server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, base
    server.shutdown()
    server.server_close()


def token(base: str) -> str:
    response = httpx.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": PORTAL_M2M_CLIENT_ID,
            "client_secret": PORTAL_M2M_CLIENT_SECRET,
            "audience": f"{base}/api/v2/",
        },
    )
    return str(response.json()["access_token"])


def test_drop_closes_the_socket_without_a_response(served: tuple[SandboxApp, str]) -> None:
    _, base = served
    headers = {"Authorization": f"Bearer {token(base)}"}
    with httpx.Client(base_url=base, headers=headers) as client:
        client.post(
            "/__sandbox__/faults",
            json={
                "action": "apply_then_fail",
                "then": "drop",
                "method": "POST",
                "path": "^/api/v2/organizations$",
                "times": 1,
            },
        )
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/api/v2/organizations", json={"name": "lost-response"})
        # the change happened; the server is still healthy
        assert client.get("/api/v2/organizations/name/lost-response").status_code == 200
        client.post("/__sandbox__/faults", json={"action": "drop", "times": 1})
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/api/v2/organizations")
        assert client.get("/api/v2/organizations").status_code == 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_serves_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    state = tmp_path / "state.json"
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--port",
            str(port),
            "--seed",
            "demo",
            "--state",
            str(state),
            "--m2m-client-id",
            "cli-m2m",
            "--m2m-client-secret",
            "cli-s",
        ],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                discovery = httpx.get(f"{base}/__sandbox__/").json()
                break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            pytest.fail("the sandbox did not start")
        assert discovery["sandbox"] == base
        response = httpx.post(
            f"{base}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "cli-m2m",
                "client_secret": "cli-s",
                "audience": f"{base}/api/v2/",
            },
        )
        assert response.status_code == 200
        issuer = json.loads(httpx.get(f"{base}/__sandbox__/").text)["sandbox"]
        assert issuer == base
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, output
    assert "admin@acme.test / Acme-demo-2026!" in output
    assert "sandbox stopped" in output
    saved = json.loads(state.read_text())
    assert "cli-m2m" in saved["clients"]
