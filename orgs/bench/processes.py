"""The benchmark's moving parts as real processes: a sandbox server and Celery workers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping

import httpx

from portal.celery import WORKER_QUEUES


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sandbox(
    *, port: int, rate: float | None, burst: int | None, m2m_client_id: str, m2m_client_secret: str
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "sandbox",
        "serve",
        "--port",
        str(port),
        "--seed",
        "demo",
        "--m2m-client-id",
        m2m_client_id,
        "--m2m-client-secret",
        m2m_client_secret,
    ]
    if rate is not None:
        command += ["--rate", str(rate)]
    if burst is not None:
        command += ["--burst", str(burst)]
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(f"http://127.0.0.1:{port}/.well-known/openid-configuration")
    return process


def start_workers(
    count: int, concurrency: int, env: Mapping[str, str], *, name: str = "bench"
) -> list[subprocess.Popen[bytes]]:
    """`count` worker processes with `concurrency` threads each, on both queues."""
    workers = []
    for index in range(count):
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "-Q",
            WORKER_QUEUES,
            "--pool",
            "threads",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}{index}@%h",
        ]
        workers.append(subprocess.Popen(command, env={**os.environ, **env}))  # noqa: S603
    return workers


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f}s")
