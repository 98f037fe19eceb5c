"""`make run` on ports of its own: the callbacks follow PORT, AUTH0_DOMAIN follows
SANDBOX_PORT, a staff member really logs in, and SIGTERM or SIGINT (also for a stack
started in the background, where SIGINT begins ignored) stops everything cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from portal.devstack import browser_host, configure_urls, portal_base_url, sandbox_command
from sandbox.seed import DEMO_CREDENTIALS
from tests.sandbox.login_support import parse
from tests.tenant import free_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
BROWSER = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


# --- where things run -----------------------------------------------------------------------


def test_the_port_gives_the_portal_url_unless_it_is_set() -> None:
    assert portal_base_url("127.0.0.1", 9000, {}) == "http://127.0.0.1:9000"
    wildcard = "0.0.0.0"
    assert portal_base_url(wildcard, 9000, {"PORTAL_BASE_URL": ""}) == "http://127.0.0.1:9000"
    assert portal_base_url("localhost", 9000, {}) == "http://localhost:9000"
    configured = {"PORTAL_BASE_URL": "https://portal.example.com/"}
    assert portal_base_url("127.0.0.1", 9000, configured) == "https://portal.example.com"
    assert browser_host("::1") == "[::1]"


def test_configure_urls_moves_the_settings_and_the_childrens_environment(
    settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    monkeypatch.setenv("AUTH0_DOMAIN", "http://127.0.0.1:8001")
    configure_urls("127.0.0.1", 9000, 9001)
    assert settings.PORTAL_BASE_URL == os.environ["PORTAL_BASE_URL"] == "http://127.0.0.1:9000"  # type: ignore[attr-defined]
    assert settings.AUTH0_DOMAIN == os.environ["AUTH0_DOMAIN"] == "http://127.0.0.1:9001"  # type: ignore[attr-defined]
    command = sandbox_command(port=9001, portal_url="http://127.0.0.1:9000")
    assert command[command.index("--portal-url") + 1] == "http://127.0.0.1:9000"


# --- the real thing -------------------------------------------------------------------------


def _env(tmp_path: Path) -> dict[str, str]:
    """A fresh checkout's defaults: no PORTAL_BASE_URL, no AUTH0_DOMAIN (empty is unset)."""
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "PORTAL_ENV": "development",
        "PORTAL_BASE_URL": "",
    }
    for name in ("DJANGO_SETTINGS_MODULE", "AUTH0_DOMAIN", "SANDBOX_PORT"):
        env.pop(name, None)
    return env


def _wait_for(url: str, process: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited early: {output.read_text()[-2000:]}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer: {output.read_text()[-2000:]}")


def _descendants(pid: int) -> list[int]:
    """Every process under `pid` (Linux /proc): the stack's children run in process
    groups of their own, so a test that fails half-way must find them one by one."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@pytest.fixture
def reaper() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Kill whatever a failed test left running."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        for pid in [*_descendants(process.pid), process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _log_in_as_staff(portal: str) -> httpx.Response:
    """A browser's way through: the portal's Staff sign-in, the sandbox's form, back."""
    email = "staff@portal.test"
    with httpx.Client(timeout=10, follow_redirects=True) as http:
        page = http.get(f"{portal}/login/")
        [staff] = [f for f in parse(page.text).forms if "Staff sign-in" in f.buttons]
        form_page = http.post(urljoin(str(page.url), staff.action), data=staff.fields)
        assert "password" in form_page.text, form_page.text[:500]
        [form] = parse(form_page.text).forms
        action = urljoin(str(form_page.url), form.action or str(form_page.url))
        credentials = {"username": email, "password": DEMO_CREDENTIALS[email]}
        done = http.post(action, data={**form.fields, **credentials})
    assert f"{portal}/auth/callback" in [str(r.url).split("?")[0] for r in done.history]
    return done


def _assert_stopped_cleanly(output: str, *ports: int) -> None:
    assert "Stopped." in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    for port in ports:
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


@pytest.mark.slow
def test_make_run_on_other_ports_logs_staff_in_and_stops_on_sigterm(
    tmp_path: Path, reaper: list[subprocess.Popen[bytes]]
) -> None:
    web, sandbox = free_port(), free_port()
    log = tmp_path / "make-run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"PORT={web}", f"SANDBOX_PORT={sandbox}"],
            cwd=ROOT,
            env=_env(tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    reaper.append(process)
    portal, tenant = f"http://127.0.0.1:{web}", f"http://127.0.0.1:{sandbox}"
    _wait_for(f"{portal}/healthz", process, log)

    home = _log_in_as_staff(portal)
    assert home.status_code == 200 and str(home.url) == f"{portal}/orgs/"
    client = httpx.get(f"{tenant}/__sandbox__/state", timeout=5).json()["clients"]
    assert f"http://localhost:{web}/auth/callback" in client["sandbox-portal-login"]["callbacks"]
    front = httpx.get(f"{tenant}/", headers=BROWSER, timeout=5)
    assert "staff@portal.test" in front.text and f'href="{portal}/"' in front.text
    outbox = httpx.get(f"{tenant}/__sandbox__/emails", headers=BROWSER, timeout=5)
    assert outbox.headers["content-type"].startswith("text/html")

    os.killpg(process.pid, signal.SIGTERM)  # the whole group: make, then make's SIGTERM again
    process.wait(timeout=60)
    output = log.read_text()
    assert f"Sandbox:  {tenant}/" in output and f"Emails:   {tenant}/__sandbox__/emails" in output
    _assert_stopped_cleanly(output, web, sandbox)


@pytest.mark.slow
def test_a_stack_started_in_the_background_stops_on_sigint(
    tmp_path: Path, reaper: list[subprocess.Popen[bytes]]
) -> None:
    """`make run &` from a script: the job starts with SIGINT ignored (no job control), and
    Python then installs no KeyboardInterrupt handler; devstack must install its own."""
    env = _env(tmp_path)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    web, sandbox = free_port(), free_port()
    log, pid_file = tmp_path / "devstack.log", tmp_path / "devstack.pid"
    devstack = f"{PYTHON} manage.py devstack --port {web} --sandbox-port {sandbox}"
    shell = subprocess.Popen(
        ["sh", "-c", f'{devstack} > "{log}" 2>&1 & echo $! > "{pid_file}"; wait'],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    reaper.append(shell)
    _wait_for(f"http://127.0.0.1:{web}/healthz", shell, log)
    pid = int(pid_file.read_text())

    os.kill(pid, signal.SIGINT)
    shell.wait(timeout=60)  # `wait` returns when the stack has exited
    _assert_stopped_cleanly(log.read_text(), web, sandbox)
