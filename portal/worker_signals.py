"""What every Celery worker does for operations: a heartbeat, task durations, its metrics.

**Heartbeat.** A consumer bootstep (`WorkerHeartbeat`) writes
`ops:worker:heartbeat:<hostname>` into the coordination store every
`WORKER_HEARTBEAT_SECONDS`, with a TTL of three intervals, naming the queues the worker
consumes; `/readyz` asks for a fresh one for every queue. Why a bootstep rather than the
alternatives:

- a beat task every 15 s proves beat and *one* worker of the `default` queue, never the
  bulk lane, and the whole heartbeat stops when beat does;
- Celery's own `heartbeat_sent` needs worker events, which the embedded worker turns off
  (`without_heartbeat`), and broadcast `ping` makes every probe wait for replies;
- a thread started at `worker_ready` proves only that the process exists. The bootstep's
  callback runs on the consumer's own timer (the event loop with Redis, the timer thread
  with the in-memory broker), so it stops when the consumer stops or wedges, it starts
  only once the broker connection is up, and the embedded worker of `make run` gets it
  without any code of its own (the step is part of the app's consumer blueprint).

**Task durations.** `task_prerun` / `task_postrun` time every task into
`portal_task_duration_seconds{task}`.

**Metrics.** Celery processes are not behind gunicorn, so with `WORKER_METRICS_PORT` a
worker serves its own process metrics (`prometheus_client.start_http_server`, the
multiprocess view when `PROMETHEUS_MULTIPROC_DIR` is set) and a prefork child that exits
is marked dead. prometheus_client is imported inside the handlers only: this module is
imported with the Celery app, before settings have read `.env` (see `portal.metrics`).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

from celery import Celery, bootsteps
from celery.signals import task_postrun, task_prerun, worker_process_shutdown, worker_ready
from django.conf import settings

from portal.coordination import coordination_store

log = logging.getLogger(__name__)

HEARTBEAT_PREFIX = "ops:worker:heartbeat:"
# A heartbeat is fresh while younger than this many intervals (two may be missed).
FRESH_INTERVALS = 3


def heartbeat_key(hostname: str) -> str:
    return f"{HEARTBEAT_PREFIX}{hostname}"


def heartbeat_ttl() -> float:
    return float(settings.WORKER_HEARTBEAT_SECONDS) * FRESH_INTERVALS


def write_heartbeat(hostname: str, queues: list[str], *, now: float | None = None) -> None:
    """Record that `hostname` is alive and consuming `queues` (expires on its own)."""
    value = json.dumps({"queues": sorted(queues), "at": time.time() if now is None else now})
    coordination_store().set(heartbeat_key(hostname), value, px=int(heartbeat_ttl() * 1000))


@dataclass(frozen=True)
class Heartbeat:
    hostname: str
    queues: tuple[str, ...]
    age: float


def fresh_heartbeats(*, now: float | None = None) -> list[Heartbeat]:
    """Every worker heard from within the freshness window (the TTL, checked again against
    the stored time in case a clock or a TTL-less copy of the store disagrees)."""
    store = coordination_store()
    keys = sorted(store.scan_iter(match=f"{HEARTBEAT_PREFIX}*", count=100))
    if not keys:
        return []
    now = time.time() if now is None else now
    found: list[Heartbeat] = []
    for key, raw in zip(keys, store.mget(keys), strict=True):
        heartbeat = _parse(key, raw, now)
        if heartbeat is not None and heartbeat.age <= heartbeat_ttl():
            found.append(heartbeat)
    return found


def _parse(key: bytes | str, raw: bytes | str | None, now: float) -> Heartbeat | None:
    if raw is None:
        return None  # expired between SCAN and MGET
    try:
        data = json.loads(raw)
        queues, at = tuple(str(q) for q in data["queues"]), float(data["at"])
    except (ValueError, KeyError, TypeError):
        return None
    name = key.decode() if isinstance(key, bytes) else key
    return Heartbeat(hostname=name.removeprefix(HEARTBEAT_PREFIX), queues=queues, age=now - at)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes this worker's heartbeat from the consumer's timer while the consumer runs."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.timer_entry: Any = None

    def start(self, parent: Any) -> None:
        self.beat(parent)
        self.timer_entry = parent.timer.call_repeatedly(
            float(settings.WORKER_HEARTBEAT_SECONDS), self.beat, (parent,), priority=10
        )

    def stop(self, parent: Any) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
        try:
            # Gone at once rather than after the TTL: /readyz notices a stopped worker now.
            coordination_store().delete(heartbeat_key(parent.hostname))
        except Exception:  # shutting down without a store is fine; the key expires
            log.debug("heartbeat of %s not removed", parent.hostname, exc_info=True)

    shutdown = stop

    def beat(self, parent: Any) -> None:
        queues = list(parent.app.amqp.queues.consume_from)  # the queues of -Q, else all
        try:
            write_heartbeat(parent.hostname, queues)
        except Exception as exc:  # the store is down: /readyz reports that by itself
            log.warning("worker heartbeat not written: %s", type(exc).__name__)


# --- task durations ----------------------------------------------------------------------

_started: dict[str, float] = {}


def _task_started(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _started[task_id] = time.monotonic()


def _task_finished(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    started = _started.pop(task_id or "", None)
    if started is None or task is None:
        return
    from portal.metrics import TASK_DURATION

    TASK_DURATION.labels(task=str(task.name)).observe(time.monotonic() - started)


# --- the worker's own metrics endpoint --------------------------------------------------


def _serve_worker_metrics(**kwargs: Any) -> None:
    port = int(settings.WORKER_METRICS_PORT)
    if not port:
        return
    from prometheus_client import start_http_server

    from portal.metrics import process_registry

    try:
        start_http_server(port, registry=process_registry())
    except OSError as exc:  # two workers on one host with one port: the first one serves
        log.warning("worker metrics not served on port %s: %s", port, type(exc).__name__)
        return
    log.info("worker metrics on port %s", port)


def _child_exited(pid: int | None = None, **kwargs: Any) -> None:
    if not settings.PROMETHEUS_MULTIPROC_DIR:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid or os.getpid(), settings.PROMETHEUS_MULTIPROC_DIR)


def connect(app: Celery) -> None:
    """Register the heartbeat step and the signal handlers on the portal's Celery app."""
    app.steps["consumer"].add(WorkerHeartbeat)
    task_prerun.connect(_task_started, weak=False)
    task_postrun.connect(_task_finished, weak=False)
    worker_ready.connect(_serve_worker_metrics, weak=False)
    worker_process_shutdown.connect(_child_exited, weak=False)
