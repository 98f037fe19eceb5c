"""The pages a person opens in a browser: the tenant's front page at `/` and the outbox
(HTML when the browser asks for it, JSON for scripts); and the demo seed's portal login
client following the configured portal URL."""

from __future__ import annotations

import html
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from sandbox import SandboxApp
from sandbox.__main__ import build_parser
from sandbox.seed import DEMO_USERS, PORTAL_LOGIN_CLIENT_ID, portal_urls, stable_id

from .conftest import http_client

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PROJECT = Path(__file__).resolve().parents[2]


def _send_invitation_email(app: SandboxApp, to: str, subject: str, url: str) -> None:
    app.outbox.send(to, subject, f"Accept: {url}", f'<p><a href="{url}">Accept</a></p>')


def test_the_front_page_lists_the_demo_logins_and_links_the_portal_and_outbox(
    make_sandbox: Callable[..., SandboxApp],
) -> None:
    app = make_sandbox(portal_url="http://127.0.0.1:9000")
    with http_client(app) as http:
        page = http.get("/", headers=BROWSER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = html.unescape(page.text)
    for demo in DEMO_USERS:
        assert f"<code>{demo.email}</code>" in text and f"<code>{demo.password}</code>" in text
        assert f"<code>{demo.organization}</code>" in text
    assert "staff admin" in text and "customer admin of Acme Corp" in text
    assert 'href="http://127.0.0.1:9000/"' in text  # the portal
    assert 'href="http://127.0.0.1:9000/login/"' in text
    assert 'href="/__sandbox__/emails"' in text
    assert "http://sandbox.test/api/v2/" in text


def test_the_front_page_escapes_what_the_tenant_holds(
    make_sandbox: Callable[..., SandboxApp],
) -> None:
    app = make_sandbox(portal_url='http://127.0.0.1:9000/"><script>x()</script>')
    app.state.organizations[stable_id("org", "acme")].display_name = "<b>Acme</b>"
    with http_client(app) as http:
        page = http.get("/").text
    assert "<script>" not in page and "<b>Acme</b>" not in page
    assert "&lt;b&gt;Acme&lt;/b&gt;" in page


def test_without_the_demo_seed_the_front_page_says_so(
    make_sandbox: Callable[..., SandboxApp],
) -> None:
    with http_client(make_sandbox(seed=None)) as http:
        page = http.get("/")
    assert page.status_code == 200 and "without the demo seed" in page.text


def test_the_outbox_is_a_page_for_browsers_and_json_for_scripts(sandbox: SandboxApp) -> None:
    url = "http://127.0.0.1:8000/login/?invitation=abc&organization=org_1"
    _send_invitation_email(sandbox, "new@acme.test", "Join <Acme>", url)
    with http_client(sandbox) as http:
        as_json = http.get("/__sandbox__/emails")  # httpx sends Accept: */*
        as_page = http.get("/__sandbox__/emails", headers=BROWSER)
        forced = http.get("/__sandbox__/emails", params={"format": "json"}, headers=BROWSER)
        email_id = as_json.json()[0]["id"]
        one_page = http.get(f"/__sandbox__/emails/{email_id}", headers=BROWSER)
        one_json = http.get(f"/__sandbox__/emails/{email_id}")
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json()[0]["links"] == [url] and forced.json() == as_json.json()
    assert as_page.headers["content-type"].startswith("text/html")
    assert "Accept" in as_json.headers["vary"] and "Accept" in as_page.headers["vary"]
    assert f'href="{html.escape(url)}"' in as_page.text  # the link is clickable
    assert "Join &lt;Acme&gt;" in as_page.text and "<Acme>" not in as_page.text
    assert one_page.headers["content-type"].startswith("text/html")
    assert f'href="{html.escape(url)}"' in one_page.text
    assert one_json.json()["id"] == email_id


def test_portal_urls_keep_both_loopback_names_of_the_same_port() -> None:
    assert portal_urls("http://127.0.0.1:9000/") == [
        "http://127.0.0.1:9000",
        "http://localhost:9000",
    ]
    assert portal_urls("http://localhost:9000") == [
        "http://localhost:9000",
        "http://127.0.0.1:9000",
    ]
    assert portal_urls("https://portal.example.com") == ["https://portal.example.com"]


def test_the_portal_login_client_follows_the_configured_portal_url(
    make_sandbox: Callable[..., SandboxApp],
) -> None:
    client = make_sandbox(portal_url="http://127.0.0.1:9000").state.clients[PORTAL_LOGIN_CLIENT_ID]
    assert client.callbacks == [
        "http://127.0.0.1:9000/auth/callback",
        "http://localhost:9000/auth/callback",
    ]
    assert client.allowed_logout_urls == ["http://127.0.0.1:9000/", "http://localhost:9000/"]
    assert client.initiate_login_uri == "http://127.0.0.1:9000/login/"
    default = make_sandbox().state.clients[PORTAL_LOGIN_CLIENT_ID]
    assert default.callbacks[0] == "http://127.0.0.1:8000/auth/callback"


def test_a_snapshot_from_another_port_takes_todays_portal_url(
    make_sandbox: Callable[..., SandboxApp], tmp_path: Path
) -> None:
    state_file = str(tmp_path / "state.json")
    make_sandbox(state_file=state_file, portal_url="http://127.0.0.1:8000").save()
    app = make_sandbox(state_file=state_file, portal_url="http://127.0.0.1:9000")
    client = app.state.clients[PORTAL_LOGIN_CLIENT_ID]
    assert client.callbacks[:2] == [
        "http://127.0.0.1:9000/auth/callback",
        "http://localhost:9000/auth/callback",
    ]
    assert "http://127.0.0.1:8000/auth/callback" in client.callbacks  # kept, harmless
    assert client.initiate_login_uri == "http://127.0.0.1:9000/login/"


def test_the_cli_takes_the_portal_url() -> None:
    args = build_parser().parse_args(["serve", "--portal-url", "http://127.0.0.1:9000"])
    assert args.portal_url == "http://127.0.0.1:9000"
    assert build_parser().parse_args(["serve"]).portal_url == "http://127.0.0.1:8000"


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_cli_stops_once_and_cleanly_whatever_the_signals(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """A process group's signal and then a supervisor's: the second must not interrupt
    the snapshot being saved. SIGINT starts ignored, as in a background job of a script."""
    port, state = free_port(), tmp_path / "state.json"
    command = [sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--seed", "demo"]
    command += ["--state", str(state), "--portal-url", "http://localhost:9100"]
    proc = subprocess.Popen(
        command,
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/")
    finally:
        proc.send_signal(sig)
        time.sleep(0.05)
        proc.send_signal(sig)
        output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "Traceback" not in output, output
    assert "sandbox stopped" in output
    saved = json.loads(state.read_text())["clients"][PORTAL_LOGIN_CLIENT_ID]
    assert saved["callbacks"][0] == "http://localhost:9100/auth/callback"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    pytest.fail(f"{url} did not answer")
