"""The Organization Admin Portal's project package: settings, URLs, Celery app, login, health."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]
