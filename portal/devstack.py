"""The pieces of the development stack that `manage.py devstack` (and `make run`) starts.

Embedded mode (no REDIS_URL): the Celery broker is in memory, so the worker and beat must
live in the web process; they run as threads beside the web server. With REDIS_URL they
are ordinary `celery` subprocesses, exactly as in production. The sandbox is always a
subprocess, as a real Auth0 tenant would be another machine.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
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

    # --- sandbox -------------------------------------------------------------------------
    def start_sandbox(self) -> None:
        parts = urlsplit(settings.AUTH0_DOMAIN)
        command = sandbox_command(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 8001,
            state_file=Path(settings.VAR_DIR) / "sandbox-state.json",
        )
        self.processes.append(subprocess.Popen(command))  # noqa: S603 (our own interpreter)
        wait_until_up(f"{settings.AUTH0_DOMAIN.rstrip('/')}/.well-known/openid-configuration")

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
            self.processes.append(
                subprocess.Popen(  # noqa: S603
                    [
                        *celery,
                        "worker",
                        "-Q",
                        queues,
                        "-n",
                        f"{name}@%h",
                        "-c",
                        "2",
                        "--loglevel",
                        "INFO",
                    ]
                )
            )
        self.processes.append(
            subprocess.Popen(  # noqa: S603
                [*celery, "beat", "--loglevel", "INFO", "--schedule", schedule]
            )
        )

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
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 10
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()


def sandbox_command(
    *,
    host: str = "127.0.0.1",
    port: int,
    state_file: Path | None = None,
    rate: float | None = None,
    burst: int | None = None,
) -> list[str]:
    """`python -m sandbox serve` with the demo seed and the portal's M2M credentials."""
    command = [sys.executable, "-m", "sandbox", "serve", "--host", host, "--port", str(port)]
    command += ["--seed", "demo", "--m2m-client-id", settings.AUTH0_MGMT_CLIENT_ID]
    command += ["--m2m-client-secret", settings.AUTH0_MGMT_CLIENT_SECRET]
    if state_file is not None:
        command += ["--state", str(state_file)]
    if rate is not None:
        command += ["--rate", str(rate)]
    if burst is not None:
        command += ["--burst", str(burst)]
    return command


def free_port() -> int:
    """A TCP port on the loopback that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    lines = [
        "",
        "Organization Admin Portal is running.",
        "",
        f"  Portal:   http://{host}:{port}/",
        f"  Health:   http://{host}:{port}/healthz   (ready: /readyz)",
    ]
    if with_sandbox:
        from sandbox.seed import DEMO_CREDENTIALS

        base = settings.AUTH0_DOMAIN.rstrip("/")
        lines += [
            f"  Sandbox:  {base}/  (Auth0 stand-in; emails at {base}/__sandbox__/emails)",
            "",
            "  Log in with:",
        ]
        lines += [f"    {email:<24} {password}" for email, password in DEMO_CREDENTIALS.items()]
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
