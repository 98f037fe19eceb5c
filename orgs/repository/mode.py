"""Which mode this deployment runs in (ORG_CONFIG_MODE)."""

from __future__ import annotations

from django.conf import settings

LIVE = "live"
REPOSITORY = "repository"


def repository_mode() -> bool:
    return bool(settings.ORG_CONFIG_MODE == REPOSITORY)
