"""The Celery application: queue `auth0` for Management API pushes, `default` for the rest."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# The queues every worker consumes (devstack and docker-compose.yml start them alike).
WORKER_QUEUES = "auth0,default"

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("auth0"), Queue("default"))
app.conf.task_default_queue = "default"
app.autodiscover_tasks()
