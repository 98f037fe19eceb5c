"""docker-compose.yml cannot run here, so it is kept right by construction: every service,
command, module and environment name it uses must exist in the project."""

from __future__ import annotations

import json
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
        "prometheus",
        "grafana",
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


# --- the monitoring profile (docs/operations.md, "Metrics") ----------------------------------


def _host_side_mounts(service: dict[str, Any]) -> list[Path]:
    """The files and folders of this checkout a service mounts (not named volumes)."""
    mounts = [str(volume).split(":", 1)[0] for volume in service.get("volumes", [])]
    return [ROOT / mount for mount in mounts if mount.startswith("./")]


def test_the_monitoring_profile_mounts_files_that_exist(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"], name
        mounts = _host_side_mounts(services[name])
        assert mounts, name
        for mount in mounts:
            assert mount.exists(), f"{name} mounts {mount}, which does not exist"
    assert set(compose["volumes"]) >= {"prometheus-data", "grafana-data"}
    dashboards = list((ROOT / "deploy/grafana/dashboards").glob("*.json"))
    assert dashboards and all(json.loads(d.read_text())["panels"] for d in dashboards)


def test_prometheus_scrapes_what_the_portal_serves(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    web = jobs["portal-web"]
    assert web["metrics_path"] == "/metrics" and web["static_configs"][0]["targets"] == ["web:8000"]
    assert "--bind 0.0.0.0:8000" in _command(compose["services"]["web"])
    workers = jobs["portal-workers"]["dns_sd_configs"][0]
    assert set(workers["names"]) == {"worker", "worker-bulk"}
    environment = compose["x-portal"]["environment"]
    assert str(workers["port"]) == environment["WORKER_METRICS_PORT"]
    # Only the profile's Prometheus gets past METRICS_ALLOWED_NETWORKS.
    address = compose["services"]["prometheus"]["networks"]["monitoring"]["ipv4_address"]
    assert f"{address}/32" in environment["METRICS_ALLOWED_NETWORKS"].split(",")
    assert environment["PROMETHEUS_MULTIPROC_DIR"] in compose["x-portal"]["tmpfs"]


def test_grafana_is_provisioned_with_the_dashboard_and_its_datasource(
    compose: dict[str, Any],
) -> None:
    grafana = compose["services"]["grafana"]
    mounted = {str(v).split(":")[1]: str(v).split(":")[0] for v in grafana["volumes"]}
    provider = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/portal.yml").read_text()
    )["providers"][0]
    assert mounted[provider["options"]["path"]] == "./deploy/grafana/dashboards"
    (source,) = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    )["datasources"]
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/portal.json").read_text())
    assert {p["datasource"]["uid"] for p in dashboard["panels"]} == {source["uid"]}
    expressions = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in (
        "portal_auth0_requests_total",
        "portal_auth0_rate_limited_total",
        "portal_auth0_ratelimit_remaining",
        "portal_sync_operations",
        "portal_sync_oldest_queued_seconds",
        "portal_task_duration_seconds",
        "portal_signups",
        "portal_signups_started_total",
        "portal_idp_certificate_expiry_seconds",
    ):
        assert metric in expressions, f"no panel shows {metric}"


def test_web_runs_gunicorn_with_the_hooks_file(compose: dict[str, Any]) -> None:
    web = _command(compose["services"]["web"])
    (config,) = re.findall(r"gunicorn \S+ -c (\S+)", web)
    assert (ROOT / config).is_file()
