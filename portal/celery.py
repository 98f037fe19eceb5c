"""The Celery application and its queues.

- `auth0`: Management API pushes a person is waiting for (interactive lane);
- `auth0-bulk`: pushes of batches (imports, CSV provisioning, reconcile, backfills);
- `default`: everything else (sweeper, archive).

Interactive work has workers of its own (`INTERACTIVE_WORKER_QUEUES`), so a batch of a
thousand organizations never occupies the capacity a person's change needs; bulk
workers consume only the bulk lane.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import setup_logging
from kombu import Queue

from portal.log_context import connect_celery_signals
from portal.logging import configure_worker_logging
from portal.worker_signals import connect as connect_worker_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# The queues each kind of worker consumes (devstack, the bench and docker-compose.yml
# start them alike).
INTERACTIVE_WORKER_QUEUES = "auth0,default"
BULK_WORKER_QUEUES = "auth0-bulk"
# One worker for everything: the embedded stack, where web and worker share a process.
ALL_QUEUES = "auth0,auth0-bulk,default"

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("auth0"), Queue("auth0-bulk"), Queue("default"))
app.conf.task_default_queue = "default"
app.autodiscover_tasks()
app.autodiscover_tasks(related_name="bulk_tasks")  # orgs/bulk_tasks.py: CSV provisioning
# Workers log through Django's LOGGING (which redacts secrets) instead of handlers of
# Celery's own that would replace it.
setup_logging.connect(configure_worker_logging)
# Request id into the messages a request sends, task and operation ids onto a task's lines.
connect_celery_signals()
# Heartbeat for /readyz, task durations and the worker's metrics (portal/worker_signals.py).
connect_worker_signals(app)
