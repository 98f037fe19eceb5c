"""Contradictory configuration is refused with a clear message."""

from __future__ import annotations

from typing import Any

from portal.checks import check_configuration


def ids(settings: Any) -> set[str]:
    return {problem.id for problem in check_configuration()}


def test_the_default_development_configuration_is_clean(settings: Any) -> None:
    settings.REDIS_URL, settings.CELERY_BROKER_URL = "", "memory://"
    assert ids(settings) == set()


def test_production_refuses_debug_missing_secret_hosts_and_redis(settings: Any) -> None:
    settings.PRODUCTION, settings.DEBUG = True, True
    settings.SECRET_KEY, settings.ALLOWED_HOSTS, settings.REDIS_URL = "", [], ""
    settings.CELERY_BROKER_URL = "memory://"
    assert {"portal.E001", "portal.E002", "portal.E003", "portal.E004"} <= ids(settings)


def test_it_refuses_a_client_id_without_its_secret(settings: Any) -> None:
    settings.AUTH0_MGMT_CLIENT_SECRET = ""
    assert "portal.E013" in ids(settings)


def test_it_refuses_an_unknown_rate_plan_and_bad_overrides(settings: Any) -> None:
    settings.AUTH0_RATE_PLAN = "platinum"
    settings.AUTH0_RATE_OVERRIDES = "global=fast"
    assert {"portal.E014", "portal.E015"} <= ids(settings)


def test_it_refuses_an_in_memory_broker_beside_redis(settings: Any) -> None:
    settings.REDIS_URL, settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0", "memory://"
    assert "portal.E020" in ids(settings)


def test_it_refuses_a_domain_with_a_path(settings: Any) -> None:
    settings.AUTH0_DOMAIN = "https://tenant.auth0.com/api/v2"
    assert "portal.E011" in ids(settings)
