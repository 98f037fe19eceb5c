from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:
    return {
        "portal_env": settings.PORTAL_ENV,
        "auth0_domain": settings.AUTH0_DOMAIN,
        # The staff navigation offers Deploys only when there is a repository to deploy.
        "repository_mode": settings.ORG_CONFIG_MODE == "repository",
    }
