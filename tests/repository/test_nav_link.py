"""Deploys are in the staff navigation only when the portal keeps a repository."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from tests.conftest import log_in


def test_the_deploys_link_shows_in_repository_mode_only(
    client: Any, people: Any, settings: Any
) -> None:
    log_in(client, people.staff)
    deploys = reverse("org_repository:deploys")
    settings.ORG_CONFIG_MODE = "live"
    assert deploys not in client.get(reverse("orgs:list")).content.decode()
    settings.ORG_CONFIG_MODE = "repository"
    assert deploys in client.get(reverse("orgs:list")).content.decode()
