"""The URLs a new organization starts with: per-organization callback, logout and web-origin
URLs made from templates in the settings, such as `https://{org}.app.example.com/callback`
(`{org}` is the organization's short name). The create form shows them, editable."""

from __future__ import annotations

from django.conf import settings

from orgs.models.applications import UrlKind

PLACEHOLDER = "{org}"


def url_templates() -> dict[str, list[str]]:
    """URL kind -> the configured templates, in the order the settings give them."""
    return {
        UrlKind.CALLBACK: list(settings.ORG_CALLBACK_URL_TEMPLATES),
        UrlKind.LOGOUT: list(settings.ORG_LOGOUT_URL_TEMPLATES),
        UrlKind.WEB_ORIGIN: list(settings.ORG_WEB_ORIGIN_TEMPLATES),
    }


def fill_url_template(template: str, organization_name: str) -> str:
    return template.strip().replace(PLACEHOLDER, organization_name)
