"""The Celery application: queue `auth0` for Management API pushes, `default` for the rest."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("auth0"), Queue("default"))
app.conf.task_default_queue = "default"
app.conf.beat_schedule = {}
app.autodiscover_tasks()


def configure_beat_schedule() -> None:
    """Jobs that beat runs; read from settings so tests and benches can shorten them."""
    from django.conf import settings

    app.conf.beat_schedule = {
        "sweep-sync-operations": {
            "task": "orgs.tasks.sweep_sync_operations",
            "schedule": settings.SYNC_SWEEP_SECONDS,
            "options": {"queue": "default", "expires": settings.SYNC_SWEEP_SECONDS},
        },
        "reconcile-auth0": {
            "task": "orgs.tasks.reconcile_all",
            "schedule": settings.RECONCILE_SECONDS,
            "options": {"queue": "default"},
        },
    }
