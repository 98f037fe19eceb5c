"""System checks that refuse contradictory configuration with a clear message."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

RATE_PLANS = ("free", "essentials", "professional", "enterprise", "enterprise-nonprod")


@register(Tags.security, deploy=False)
def check_configuration(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    problems += _production_problems()
    problems += _auth0_problems()
    problems += _coordination_problems()
    problems += _signup_problems()
    return problems


def _signup_problems() -> list[Error]:
    from orgs.signup.checks import signup_problems

    return signup_problems()


def _production_problems() -> list[Error | Warning]:
    if not settings.PRODUCTION:
        return []
    found: list[Error | Warning] = []
    if settings.DEBUG:
        found.append(
            Error(
                "DEBUG is on while PORTAL_ENV=production.",
                hint="Unset DEBUG or set DEBUG=false.",
                id="portal.E001",
            )
        )
    if not _secret_key():
        found.append(
            Error(
                "SECRET_KEY is required when PORTAL_ENV=production.",
                hint="Generate one with: python -c 'import secrets; "
                "print(secrets.token_urlsafe(50))'",
                id="portal.E002",
            )
        )
    if not settings.ALLOWED_HOSTS:
        found.append(
            Error(
                "ALLOWED_HOSTS is empty while PORTAL_ENV=production.",
                hint="Set ALLOWED_HOSTS=portal.example.com",
                id="portal.E003",
            )
        )
    if not settings.REDIS_URL:
        found.append(
            Error(
                "REDIS_URL is required when PORTAL_ENV=production: web, workers and beat must "
                "share locks, rate-limit buckets and the token cache.",
                id="portal.E004",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        found.append(
            Warning(
                "SQLite is the embedded default; use PostgreSQL in production.",
                hint="Set DATABASE_URL=postgres://...",
                id="portal.W001",
            )
        )
    return found


def _secret_key() -> str:
    try:
        return str(settings.SECRET_KEY)
    except ImproperlyConfigured:  # Django refuses an empty key on access
        return ""


def _auth0_problems() -> list[Error | Warning]:
    found: list[Error | Warning] = []
    if not settings.AUTH0_DOMAIN:
        found.append(
            Error(
                "AUTH0_DOMAIN is not set.",
                hint="Set it to your tenant's domain (tenant.eu.auth0.com) or the sandbox URL.",
                id="portal.E010",
            )
        )
    elif "://" in settings.AUTH0_DOMAIN:
        parts = urlsplit(settings.AUTH0_DOMAIN)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            found.append(
                Error(
                    f"AUTH0_DOMAIN={settings.AUTH0_DOMAIN!r} is not a domain or a "
                    "base URL without a path.",
                    id="portal.E011",
                )
            )
        elif parts.scheme == "http" and settings.PRODUCTION:
            found.append(Error("AUTH0_DOMAIN uses plain http in production.", id="portal.E012"))
    for name in ("MGMT", "LOGIN"):
        client_id = getattr(settings, f"AUTH0_{name}_CLIENT_ID")
        secret = getattr(settings, f"AUTH0_{name}_CLIENT_SECRET")
        if bool(client_id) != bool(secret):
            found.append(
                Error(
                    f"AUTH0_{name}_CLIENT_ID and AUTH0_{name}_CLIENT_SECRET must be set together.",
                    id="portal.E013",
                )
            )
    if settings.AUTH0_RATE_PLAN not in RATE_PLANS:
        found.append(
            Error(
                f"AUTH0_RATE_PLAN={settings.AUTH0_RATE_PLAN!r} is not a known plan.",
                hint=f"Use one of: {', '.join(RATE_PLANS)}.",
                id="portal.E014",
            )
        )
    found += _rate_override_problems(settings.AUTH0_RATE_OVERRIDES)
    return found


def _rate_override_problems(raw: str) -> list[Error | Warning]:
    from orgs.auth0.plans import parse_overrides

    try:
        parse_overrides(raw)
    except ValueError as exc:
        return [
            Error(
                f"AUTH0_RATE_OVERRIDES is invalid: {exc}",
                hint="Write bucket=burst:per_second pairs, e.g. global=50:16",
                id="portal.E015",
            )
        ]
    return []


def _coordination_problems() -> list[Error | Warning]:
    broker = settings.CELERY_BROKER_URL
    if settings.REDIS_URL and broker.startswith("memory://"):
        return [
            Error(
                "CELERY_BROKER_URL is in-memory while REDIS_URL is set: separate worker "
                "processes would never see the tasks.",
                id="portal.E020",
            )
        ]
    if not settings.REDIS_URL and not broker.startswith("memory://"):
        return [
            Error(
                "A shared broker is configured but REDIS_URL is unset: locks and rate "
                "limits would not be shared with the workers.",
                hint="Set REDIS_URL too.",
                id="portal.E021",
            )
        ]
    return []
