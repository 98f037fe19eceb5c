"""Gunicorn hooks for the web service (`gunicorn -c deploy/gunicorn.conf.py ...`).

Bind address, workers and timeout stay on the command line (docker-compose.yml); this
file only keeps prometheus_client's multiprocess directory right (portal/metrics.py):

- `on_starting`: the directory exists and is empty. Files left by an earlier run would
  add a dead process's counters to the new ones (their pids can come back).
- `child_exit`: a worker that exited (restart, timeout, `--max-requests`) is marked dead,
  so its `livemax`/`livesum` gauges (the last seen rate-limit remaining) stop counting.
  Its counters and histograms stay in the directory and keep adding up, as they should.

Nothing happens without `PROMETHEUS_MULTIPROC_DIR` (one process: metrics in memory).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def _multiproc_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    return Path(value) if value else None


def on_starting(server: Any) -> None:
    directory = _multiproc_dir()
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.glob("*.db"):
        leftover.unlink()


def child_exit(server: Any, worker: Any) -> None:
    directory = _multiproc_dir()
    if directory is None:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(directory))
