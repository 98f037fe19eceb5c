"""docker-compose.yml cannot run here, so it is kept right by construction: every service,
command, module and environment name it uses must exist in the project."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import get_commands

from portal.celery import BULK_WORKER_QUEUES, INTERACTIVE_WORKER_QUEUES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def test_it_has_every_production_service(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {
        "postgres",
        "redis",
        "web",
        "worker",
        "worker-bulk",
        "beat",
        "sandbox",
    }


def test_every_service_but_beat_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name != "beat":
            assert "healthcheck" in service, name


def test_portal_services_wait_for_healthy_database_and_redis(compose: dict[str, Any]) -> None:
    for name in ("web", "worker", "worker-bulk", "beat"):
        depends = compose["services"][name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"


def test_commands_name_things_that_exist(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "gunicorn portal.wsgi:application" in _command(services["web"])
    for manage_command in re.findall(r"manage\.py (\w+)", _command(services["web"])):
        assert manage_command in get_commands()
    worker = _command(services["worker"])
    assert "-A portal worker" in worker and f"-Q {INTERACTIVE_WORKER_QUEUES}" in worker
    bulk = _command(services["worker-bulk"])
    assert "-A portal worker" in bulk and f"-Q {BULK_WORKER_QUEUES}" in bulk
    assert "-A portal beat" in _command(services["beat"])
    assert "-m sandbox serve" in _command(services["sandbox"])
    makefile = (ROOT / "Makefile").read_text()
    assert "manage.py devstack" in makefile and "manage.py migrate" in makefile


def test_environment_names_are_settings_the_portal_reads(compose: dict[str, Any]) -> None:
    settings_source = (ROOT / "portal" / "settings.py").read_text()
    example = (ROOT / ".env.example").read_text()
    portal = compose["x-portal"]
    assert portal["env_file"] == ".env"
    for name in portal["environment"]:
        assert f'"{name}"' in settings_source, name
        assert f"{name}=" in example, name


def test_every_setting_read_from_the_environment_is_documented() -> None:
    settings_source = (ROOT / "portal" / "settings.py").read_text()
    names = set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]+)"', settings_source))
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in sorted(names):
        assert f"{name}=" in example, f"{name} missing from .env.example"
        assert f"`{name}`" in readme, f"{name} missing from the README's table"


def test_the_image_builds_from_files_that_exist() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (\S+) ", dockerfile, flags=re.M):
        assert (ROOT / source).exists() or source == ".", source
