"""The benchmark's moving parts as real processes: a sandbox server and Celery workers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from portal.celery import BULK_WORKER_QUEUES, INTERACTIVE_WORKER_QUEUES
from portal.devstack import free_port, sandbox_command, wait_until_up

__all__ = ["free_port", "start_sandbox", "start_workers", "stop"]


def start_sandbox(*, port: int, rate: float | None, burst: int | None) -> subprocess.Popen[bytes]:
    command = sandbox_command(port=port, rate=rate, burst=burst)
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_until_up(f"http://127.0.0.1:{port}/.well-known/openid-configuration")
    return process


def start_workers(
    count: int,
    concurrency: int,
    env: Mapping[str, str],
    *,
    name: str = "bench",
    queues: str = f"{INTERACTIVE_WORKER_QUEUES},{BULK_WORKER_QUEUES}",
) -> list[subprocess.Popen[bytes]]:
    """`count` worker processes with `concurrency` threads each, consuming `queues`."""
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
            queues,
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
