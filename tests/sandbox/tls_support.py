"""`python -m sandbox serve --tls` in a subprocess, for the TLS and deploy-cli tests."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

PROJECT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class TlsSandbox:
    base_url: str
    ca_cert: Path
    port: int

    def client(self) -> httpx.Client:
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        return httpx.Client(base_url=self.base_url, verify=context, timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_tls(tls_dir: Path, *extra: str) -> Iterator[TlsSandbox]:
    """Start the sandbox over https on a free port; stop it (SIGINT) on exit."""
    port = free_port()
    command = [sys.executable, "-m", "sandbox", "serve", "--tls", "--tls-dir", str(tls_dir)]
    command += ["--port", str(port), "--seed", "demo", *extra]
    proc = subprocess.Popen(
        command,
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sandbox = TlsSandbox(f"https://127.0.0.1:{port}", tls_dir / "ca.pem", port)
    try:
        _wait_until_up(sandbox, proc)
        yield sandbox
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _wait_until_up(sandbox: TlsSandbox, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read() if proc.stdout else ""
            pytest.fail(f"the sandbox exited early:\n{output}")
        if sandbox.ca_cert.exists():
            try:
                with sandbox.client() as client:
                    client.get("/__sandbox__/")
                return
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    pytest.fail("the sandbox did not start serving https")
