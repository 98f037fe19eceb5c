"""The pieces of the development stack that `manage.py devstack` (and `make run`) starts.

Embedded mode (no REDIS_URL): the Celery broker is in memory, so the worker and beat must
live in the web process; they run as threads beside the web server. With REDIS_URL they
are ordinary `celery` subprocesses, exactly as in production. The sandbox is always a
subprocess, as a real Auth0 tenant would be another machine.

Stopping: every subprocess runs in a process group of its own, so a signal to the
terminal's or the caller's process group (Ctrl-C, `kill -TERM -PGID`) reaches only this
process, which then stops each child exactly once, workers before the sandbox they call.
Two signals for one child (the group's, then ours) made the sandbox and beat die
half-way through their own shutdown, with a traceback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from portal.celery import ALL_QUEUES, BULK_WORKER_QUEUES, INTERACTIVE_WORKER_QUEUES
from portal.celery import app as celery_app


@dataclass
class DevStack:
    host: str = "127.0.0.1"
    port: int = 8000
    with_sandbox: bool = True
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    stoppers: list[object] = field(default_factory=list)
    sandbox: subprocess.Popen[bytes] | None = None

    # --- sandbox -------------------------------------------------------------------------
    def start_sandbox(self) -> None:
        parts = urlsplit(settings.AUTH0_DOMAIN)
        command = sandbox_command(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 8001,
            state_file=Path(settings.VAR_DIR) / "sandbox-state.json",
            portal_url=settings.PORTAL_BASE_URL,
        )
        self.sandbox = self._spawn(command)
        wait_until_up(f"{settings.AUTH0_DOMAIN.rstrip('/')}/.well-known/openid-configuration")

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        # A process group of its own: group signals reach only us (see the module doc).
        process = subprocess.Popen(command, process_group=0)  # noqa: S603 (our interpreter)
        self.processes.append(process)
        return process

    # --- worker and beat -------------------------------------------------------------------
    def start_workers(self) -> None:
        if settings.REDIS_URL:
            self._start_worker_processes()
        else:
            self._start_worker_threads()

    def _start_worker_processes(self) -> None:
        celery = [sys.executable, "-m", "celery", "-A", "portal"]
        schedule = str(Path(settings.VAR_DIR) / "celerybeat-schedule")
        # Interactive work has a worker of its own: a batch never takes its capacity.
        for name, queues in (
            ("interactive", INTERACTIVE_WORKER_QUEUES),
            ("bulk", BULK_WORKER_QUEUES),
        ):
            worker = [*celery, "worker", "-Q", queues, "-n", f"{name}@%h", "-c", "2"]
            self._spawn([*worker, "--loglevel", "INFO"])
        self._spawn([*celery, "beat", "--loglevel", "INFO", "--schedule", schedule])

    def _start_worker_threads(self) -> None:
        from celery.beat import EmbeddedService
        from celery.worker import WorkController

        worker = WorkController(
            app=celery_app,
            pool="threads",
            concurrency=4,
            # One in-process worker for every lane: the in-memory broker serves its
            # queues in turn, so a person's change is next whenever a thread frees up.
            queues=ALL_QUEUES.split(","),
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            loglevel="INFO",
        )
        threading.Thread(target=worker.start, name="celery-worker", daemon=True).start()
        beat = EmbeddedService(
            celery_app, thread=True, schedule_filename=str(Path(settings.VAR_DIR) / "beat-embedded")
        )
        beat.start()  # type: ignore[union-attr]  # thread=True: the threaded service
        self.stoppers += [worker, beat]

    # --- shutdown --------------------------------------------------------------------------
    def stop(self) -> None:
        for stopper in self.stoppers:
            with contextlib.suppress(Exception):  # best effort at shutdown
                stopper.stop()  # type: ignore[attr-defined]
        deadline = time.monotonic() + 10
        # Workers first: a task they finish may still call the sandbox.
        end_processes([p for p in self.processes if p is not self.sandbox], deadline)
        end_processes([p for p in self.processes if p is self.sandbox], deadline + 5)


def end_processes(processes: Iterable[subprocess.Popen[bytes]], deadline: float) -> None:
    """SIGTERM each (once), wait until `deadline`, then kill what is left."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def install_stop_handlers() -> None:
    """SIGINT, SIGTERM and SIGHUP all stop the stack: the first raises KeyboardInterrupt in
    the main thread (out of the web server's loop, into the orderly shutdown); later ones
    are ignored, so that shutdown is never cut short (make, for one, passes a SIGTERM on
    to its child after the group's). Installed explicitly for SIGINT too: a job started in
    the background by a non-interactive shell (`make run &`) begins with SIGINT ignored,
    and Python then installs no handler of its own."""
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)


# --- where things run ----------------------------------------------------------------------


def browser_host(host: str) -> str:
    """The host a browser on this machine uses for a server bound to `host`."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 (naming the wildcard, not binding it)
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def portal_base_url(host: str, port: int, environ: Mapping[str, str] = os.environ) -> str:
    """PORTAL_BASE_URL when it is set (not empty); otherwise where this run serves."""
    configured = environ.get("PORTAL_BASE_URL", "").strip()
    if configured:
        return configured.rstrip("/")
    return f"http://{browser_host(host)}:{port}"


def configure_urls(host: str, port: int, sandbox_port: int | None) -> None:
    """Point the settings at this run's ports, and the processes started from here too
    (through the environment they inherit): `make run PORT=9000` must build callbacks on
    :9000, and `SANDBOX_PORT` moves AUTH0_DOMAIN with the sandbox."""
    values = {"PORTAL_BASE_URL": portal_base_url(host, port)}
    if sandbox_port is not None:
        values["AUTH0_DOMAIN"] = f"http://127.0.0.1:{sandbox_port}"
    for name, value in values.items():
        setattr(settings, name, value)
        os.environ[name] = value
    if not os.environ.get("IDP_FETCH_ALLOWED_ORIGINS", "").strip():
        # The sandbox serves the stand-in IdP's metadata and discovery documents on
        # loopback over http, which the safe fetcher refuses for anyone else.
        sandbox = settings.AUTH0_DOMAIN.rstrip("/")
        settings.IDP_FETCH_ALLOWED_ORIGINS = [sandbox]
        os.environ["IDP_FETCH_ALLOWED_ORIGINS"] = sandbox


def sandbox_command(
    *,
    host: str = "127.0.0.1",
    port: int,
    state_file: Path | None = None,
    rate: float | None = None,
    burst: int | None = None,
    portal_url: str | None = None,
) -> list[str]:
    """`python -m sandbox serve` with the demo seed and the portal's M2M credentials;
    `portal_url` is where the seed's portal login client sends people back to."""
    command = [sys.executable, "-m", "sandbox", "serve", "--host", host, "--port", str(port)]
    command += ["--seed", "demo", "--m2m-client-id", settings.AUTH0_MGMT_CLIENT_ID]
    command += ["--m2m-client-secret", settings.AUTH0_MGMT_CLIENT_SECRET]
    if portal_url is not None:
        command += ["--portal-url", portal_url]
    if state_file is not None:
        command += ["--state", str(state_file)]
    if rate is not None:
        command += ["--rate", str(rate)]
    if burst is not None:
        command += ["--burst", str(burst)]
    return command


def free_port() -> int:
    """A TCP port on the loopback that is free right now."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` different free ports: each socket stays bound until all are chosen, so the
    system cannot hand the same port out twice (a stack's portal and sandbox once got one)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")
        time.sleep(0.2)


def banner(host: str, port: int, with_sandbox: bool) -> str:
    portal = settings.PORTAL_BASE_URL
    lines = [
        "",
        "Organization Admin Portal is running.",
        "",
        f"  Portal:   {portal}/",
        f"  Health:   {portal}/healthz   (ready: /readyz)",
    ]
    if with_sandbox:
        from sandbox.seed import DEMO_USERS

        base = settings.AUTH0_DOMAIN.rstrip("/")
        lines += [
            f"  Sandbox:  {base}/   (the Auth0 stand-in: demo logins, links)",
            f"  Emails:   {base}/__sandbox__/emails   (the tenant's and the portal's)",
            "",
            "  Log in with (organization, email, password; staff: the Staff sign-in button):",
        ]
        lines += [f"    {u.organization:<8} {u.email:<24} {u.password}" for u in DEMO_USERS]
    mode = f"Redis at {settings.REDIS_URL}" if settings.REDIS_URL else "embedded (in-process)"
    lines += [
        "",
        f"  Database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
        f" · coordination: {mode}",
        "",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in ("1", "true", "yes", "on")
